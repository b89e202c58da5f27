package listeners_test

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/listeners"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/scenarios"
)

var _ = Describe("the MS-WSMAN cookie (HLB cookie affinity)", Ordered, Label("web"), func() {
	var r *role
	BeforeAll(func() { r = startRole(scenarios.RoleDirector, "127.0.10.36") })

	get := func(cookie string) *http.Response {
		req, err := http.NewRequest(http.MethodGet, "https://"+r.addrs["https-4443"]+wire.WellKnownPath, nil)
		Expect(err).NotTo(HaveOccurred())
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: listeners.AffinityCookie, Value: cookie})
		}
		res, err := webClient(r.pool, false).Do(req)
		Expect(err).NotTo(HaveOccurred())
		res.Body.Close()
		return res
	}

	It("is set on an answer to a request without it, as Lync sets it: not HttpOnly, no expiry, the member's value", func() {
		res := get("")
		var c *http.Cookie
		for _, ck := range res.Cookies() {
			if ck.Name == listeners.AffinityCookie {
				c = ck
			}
		}
		Expect(c).NotTo(BeNil(), "Set-Cookie: %v", res.Header.Values("Set-Cookie"))
		Expect(c.HttpOnly).To(BeFalse())
		Expect(c.Expires.IsZero()).To(BeTrue())
		Expect(c.MaxAge).To(BeZero())
		Expect(c.Path).To(Equal("/"))
		member := res.Header.Get(wire.HeaderMember)
		Expect(c.Value).To(Equal(listeners.AffinityValue(member)))
		Expect(listeners.AffinityValue(member)).NotTo(Equal(listeners.AffinityValue(member + "x")))
	})

	It("is not set again on a request that carries it", func() {
		res := get(listeners.AffinityValue("dir01.contoso.local"))
		Expect(res.Header.Values("Set-Cookie")).To(BeEmpty())
	})
})
