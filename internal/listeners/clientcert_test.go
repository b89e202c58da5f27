package listeners_test

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/listeners"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
)

var _ = Describe("an HTTPS listener that asks for client certificates (topology client_cert)", Label("mtls"), func() {
	serve := func(mode string) (string, *memJournal) {
		jr := &memJournal{}
		spec := listeners.Spec{Role: "director", Member: "dir01.contoso.local", Pool: "dir-pool.contoso.local",
			Name: "https-4443", Protocol: wire.ProtoHTTPS, Port: 4443, Addr: "127.0.10.32:0", ClientCert: mode}
		g, err := listeners.Bind([]listeners.Spec{spec}, directorEnv(jr))
		Expect(err).NotTo(HaveOccurred())
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- g.Serve(ctx) }()
		DeferCleanup(func() { cancel(); Eventually(done, 10*time.Second).Should(Receive()) })
		return "https://" + g.Listeners[0].Addr().String() + wire.WellKnownPath, jr
	}
	get := func(url string, id tlsIdentity) (*wire.Identity, error) {
		cl := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			DialContext: dialer().DialContext, TLSClientConfig: id.ClientConfig("dir-pool.contoso.local")}}
		res, err := cl.Get(url)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		var got wire.Identity
		Expect(json.NewDecoder(res.Body).Decode(&got)).To(Succeed())
		return &got, nil
	}

	It("require: refuses a client without a certificate and answers one from the CA", func() {
		url, jr := serve("require")
		_, err := get(url, noCert{})
		Expect(err).To(HaveOccurred())
		id, err := get(url, keys.probe)
		Expect(err).NotTo(HaveOccurred())
		Expect(id.ClientCert).To(HaveField("Verified", true))
		Eventually(jr.Events).Should(ContainElement(SatisfyAll(HaveField("Kind", journal.KindHandshake),
			HaveField("Outcome", journal.OutcomeFailed), HaveField("Reason", ContainSubstring("no client certificate")))))
	})

	It("request: answers every client and says which certificate verified", func() {
		url, jr := serve("request")
		id, err := get(url, noCert{})
		Expect(err).NotTo(HaveOccurred())
		Expect(id.ClientCert).To(BeNil())
		id, err = get(url, keys.untrusted)
		Expect(err).NotTo(HaveOccurred())
		Expect(id.ClientCert).To(HaveField("Verified", false))
		id, err = get(url, keys.probe)
		Expect(err).NotTo(HaveOccurred())
		Expect(id.ClientCert).To(HaveField("Verified", true))
		Eventually(jr.Events).Should(ContainElement(SatisfyAll(HaveField("Kind", journal.KindHandshake),
			HaveField("Outcome", journal.OutcomeOK), HaveField("Reason", ContainSubstring("unknown authority")))))
	})
})
