package lab

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/template"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/topology"
)

var _ = Describe("the Director HLB's HAProxy mutations", func() {
	It("each changes the rendered haproxy.cfg, and HAProxy accepts every one", func() {
		if _, err := exec.LookPath("haproxy"); err != nil {
			Skip("needs haproxy (apt-get install haproxy)")
		}
		t, err := template.ParseFiles(filepath.Join("peers", "haproxy.cfg.tmpl"))
		Expect(err).NotTo(HaveOccurred())
		// HAProxy's check certificate, as newTestLab writes it.
		dir := GinkgoT().TempDir()
		topo, err := topology.Load("topology.yaml")
		Expect(err).NotTo(HaveOccurred())
		_, err = certs.Init(topo, certs.Options{Dir: dir})
		Expect(err).NotTo(HaveOccurred())
		var pem []byte
		for _, f := range []string{"edge01-int.contoso.local.crt", "edge01-int.contoso.local.key"} {
			b, err := os.ReadFile(filepath.Join(dir, f))
			Expect(err).NotTo(HaveOccurred())
			pem = append(pem, b...)
		}
		Expect(os.WriteFile(filepath.Join(dir, "haproxy-check.pem"), pem, 0o600)).To(Succeed())
		var b strings.Builder
		Expect(t.Execute(&b, map[string]string{"VIP": addrVIP, "Dir01": addrDir01, "Dir02": addrDir02, "Dir": dir})).To(Succeed())
		base := b.String()
		check := func(cfg string) {
			f := filepath.Join(GinkgoT().TempDir(), "haproxy.cfg")
			Expect(os.WriteFile(f, []byte(cfg), 0o644)).To(Succeed())
			out, err := exec.Command("haproxy", "-c", "-q", "-f", f).CombinedOutput()
			Expect(err).NotTo(HaveOccurred(), "%s", out)
		}
		check(base)
		n := 0
		for _, m := range mutations {
			if m.HAProxy == nil {
				continue
			}
			n++
			cfg, err := m.HAProxy(base)
			Expect(err).NotTo(HaveOccurred(), m.Name)
			Expect(cfg).NotTo(Equal(base), m.Name)
			check(cfg)
		}
		Expect(n).To(BeNumerically(">=", 6))
	})
})
