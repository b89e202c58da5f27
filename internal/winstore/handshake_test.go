package winstore_test

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/winstore"
)

// handshake runs crypto/tls on both ends of an in-memory pipe: the server presents cert, the
// client trusts root and offers versions up to maxVersion. It returns the server's error.
func handshake(cert tls.Certificate, root *x509.Certificate, maxVersion uint16) error {
	c, s := net.Pipe()
	defer c.Close()
	defer s.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	_ = s.SetDeadline(time.Now().Add(10 * time.Second))
	roots := x509.NewCertPool()
	roots.AddCert(root)
	done := make(chan error, 1)
	go func() {
		cl := tls.Client(c, &tls.Config{RootCAs: roots, ServerName: "dir01.contoso.local", MaxVersion: maxVersion})
		done <- cl.Handshake()
	}()
	srv := tls.Server(s, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	err := srv.Handshake()
	s.Close() // a client still waiting for the server's flight ends too
	<-done
	return err
}

var _ = Describe("a selected certificate on the wire", func() {
	var root, inter, dir *issued

	BeforeEach(func() {
		root = newCAIssued("Contoso Root", nil)
		inter = newCAIssued("Contoso Issuing", root)
		dir = newLeaf("dir01.contoso.local", inter, rsaKey())
	})

	It("completes a TLS 1.2 handshake with a key that cannot sign RSA-PSS, which needs the PKCS#1 v1.5 schemes it is kept to", func() {
		st := &machineStore{idents: []winstore.Identity{identity(capiKey{dir.key}, dir.cert, inter.cert, root.cert)}}
		sel, err := winstore.Select(st, winstore.ThumbprintOf(dir.cert))
		Expect(err).NotTo(HaveOccurred())
		Expect(handshake(sel.Cert, root.cert, tls.VersionTLS12)).To(Succeed())

		By("without the restriction crypto/tls picks RSA-PSS, and that key cannot sign it")
		unrestricted := sel.Cert
		unrestricted.SupportedSignatureAlgorithms = nil
		Expect(handshake(unrestricted, root.cert, tls.VersionTLS12)).To(MatchError(ContainSubstring("PSS")))

		By("TLS 1.3 has no PKCS#1 v1.5 handshake signature: refused, as the note says")
		Expect(handshake(sel.Cert, root.cert, tls.VersionTLS13)).NotTo(Succeed())
	})

	It("completes TLS 1.3 with a key that signs RSA-PSS (CNG), serving the intermediate", func() {
		st := &machineStore{idents: []winstore.Identity{identity(dir.key, dir.cert, inter.cert, root.cert)}}
		sel, err := winstore.Select(st, winstore.ThumbprintOf(dir.cert))
		Expect(err).NotTo(HaveOccurred())
		Expect(handshake(sel.Cert, root.cert, tls.VersionTLS13)).To(Succeed(), "the client has only the root: the intermediate came from the server")
	})
})
