package wireprofile_test

import (
	"crypto/tls"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/wireprofile"
)

var _ = Describe("profiles", func() {
	It("has the default first and refuses an unknown name, naming the known ones", func() {
		Expect(wireprofile.Names()[0]).To(Equal(wireprofile.Default))
		p, err := wireprofile.Get("")
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Name).To(Equal("lync2013-ws2012r2"))
		_, err = wireprofile.Get("lync2010")
		Expect(err).To(MatchError(ContainSubstring(`unknown profile "lync2010" (known: lync2013-ws2012r2, sfb2015-ws2016, sfb2019-ws2019, modern)`)))
	})

	DescribeTable("header values and versions",
		func(name, httpServer, sipServer string, versions []uint16, h2, h3 bool) {
			p := wireprofile.MustGet(name)
			Expect(p.HTTPServer).To(Equal(httpServer))
			Expect(p.SIPServer).To(Equal(sipServer))
			Expect(p.Versions()).To(Equal(versions))
			Expect(p.HTTP2()).To(Equal(h2))
			Expect(p.HTTP3).To(Equal(h3))
		},
		Entry(nil, "lync2013-ws2012r2", "Microsoft-IIS/8.5", "RTC/5.0", []uint16{tls.VersionTLS10, tls.VersionTLS11, tls.VersionTLS12}, false, false),
		Entry(nil, "sfb2015-ws2016", "Microsoft-IIS/10.0", "RTC/6.0", []uint16{tls.VersionTLS10, tls.VersionTLS11, tls.VersionTLS12}, true, false),
		Entry(nil, "sfb2019-ws2019", "Microsoft-IIS/10.0", "RTC/6.0", []uint16{tls.VersionTLS10, tls.VersionTLS11, tls.VersionTLS12}, true, false),
		Entry(nil, "modern", "Microsoft-IIS/8.5 (mockdirector)", "RTC/5.0 mockdirector", []uint16{tls.VersionTLS12, tls.VersionTLS13}, true, true),
	)

	// The suites Go lacks are part of what the profile says; if a Go release adds one, this spec
	// fails and the stored scanner outputs must be regenerated.
	DescribeTable("lists what Go's crypto/tls cannot offer",
		func(name string, missing []string) {
			Expect(wireprofile.MustGet(name).Missing).To(Equal(missing))
		},
		Entry(nil, "lync2013-ws2012r2", []string{
			"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
			"TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
			"TLS_DHE_RSA_WITH_AES_256_CBC_SHA", "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
			"TLS_RSA_WITH_AES_256_CBC_SHA256",
			"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
			"TLS_DHE_DSS_WITH_AES_256_CBC_SHA256", "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256",
			"TLS_DHE_DSS_WITH_AES_256_CBC_SHA", "TLS_DHE_DSS_WITH_AES_128_CBC_SHA",
			"TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", "TLS_RSA_WITH_RC4_128_MD5",
		}),
		Entry(nil, "sfb2015-ws2016", []string{
			"TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
			"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
			"TLS_DHE_RSA_WITH_AES_256_CBC_SHA", "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
			"TLS_RSA_WITH_AES_256_CBC_SHA256",
			"TLS_DHE_DSS_WITH_AES_256_CBC_SHA256", "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256",
			"TLS_DHE_DSS_WITH_AES_256_CBC_SHA", "TLS_DHE_DSS_WITH_AES_128_CBC_SHA",
			"TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", "TLS_RSA_WITH_RC4_128_MD5",
		}),
		Entry(nil, "sfb2019-ws2019", []string{
			"TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
			"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
			"TLS_RSA_WITH_AES_256_CBC_SHA256",
		}),
		Entry(nil, "modern", []string(nil)),
	)

	It("hands out copies: changing one does not change the next Get", func() {
		p := wireprofile.MustGet(wireprofile.Default)
		p.Suites[0].ID = 0
		p.Curves[0] = 0
		q := wireprofile.MustGet(wireprofile.Default)
		Expect(q.Suites[0].ID).To(Equal(tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256))
		Expect(q.Curves[0]).To(Equal(tls.CurveP256))
	})
})
