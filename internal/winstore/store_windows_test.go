//go:build windows

package winstore_test

import (
	"crypto/x509"
	"os"
	"unsafe"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/windows"
	pkcs12 "software.sslmate.com/src/go-pkcs12"

	"github.com/mockdirector/mockdirector/internal/testdir"
	"github.com/mockdirector/mockdirector/internal/winstore"
)

// importPFX puts a certificate, its key and its issuers into LocalMachine\My as
// Import-PfxCertificate does (PFXImportCertStore, then each certificate added to the system
// store) and removes them when the spec ends.
func importPFX(leaf *issued, cas ...*x509.Certificate) {
	var chain []*x509.Certificate
	chain = append(chain, cas...)
	pfx, err := pkcs12.Legacy.Encode(leaf.key, leaf.cert, chain, "test-only")
	Expect(err).NotTo(HaveOccurred())
	pw, err := windows.UTF16PtrFromString("test-only")
	Expect(err).NotTo(HaveOccurred())
	blob := windows.CryptDataBlob{Size: uint32(len(pfx)), Data: &pfx[0]}
	mem, err := windows.PFXImportCertStore(&blob, pw, 0)
	Expect(err).NotTo(HaveOccurred(), "PFXImportCertStore")
	DeferCleanup(windows.CertCloseStore, mem, uint32(0))
	my := openMy()
	var ctx *windows.CertContext
	var added []*x509.Certificate
	for {
		if ctx, err = windows.CertEnumCertificatesInStore(mem, ctx); err != nil {
			break
		}
		Expect(windows.CertAddCertificateContextToStore(my, ctx, windows.CERT_STORE_ADD_REPLACE_EXISTING, nil)).To(Succeed())
		c, err := x509.ParseCertificate(unsafe.Slice(ctx.EncodedCert, ctx.Length))
		Expect(err).NotTo(HaveOccurred())
		added = append(added, c)
	}
	// Closed now, not when the spec ends: Wine writes a system store back to its registry when
	// the last reference to it goes, and only then does another handle see the additions.
	Expect(windows.CertCloseStore(my, 0)).To(Succeed())
	DeferCleanup(func() {
		my := openMy()
		defer windows.CertCloseStore(my, 0)
		for _, c := range added {
			t := winstore.ThumbprintOf(c)
			hb := windows.CryptHashBlob{Size: uint32(len(t)), Data: &t[0]}
			found, err := windows.CertFindCertificateInStore(my, windows.X509_ASN_ENCODING|windows.PKCS_7_ASN_ENCODING, 0,
				windows.CERT_FIND_SHA1_HASH, unsafe.Pointer(&hb), nil)
			Expect(err).NotTo(HaveOccurred(), "the imported %s is gone from LocalMachine\\My", c.Subject.CommonName)
			Expect(windows.CertDeleteCertificateFromStore(found)).To(Succeed())
		}
	})
}

// openMy opens LocalMachine\My for writing (an Administrator's right on Windows).
func openMy() windows.Handle {
	name, err := windows.UTF16PtrFromString(winstore.StoreMy)
	Expect(err).NotTo(HaveOccurred())
	my, err := windows.CertOpenStore(windows.CERT_STORE_PROV_SYSTEM_W, 0, 0, windows.CERT_SYSTEM_STORE_LOCAL_MACHINE, uintptr(unsafe.Pointer(name)))
	Expect(err).NotTo(HaveOccurred(), `open LocalMachine\My for writing`)
	return my
}

// These specs change the machine's LocalMachine\My: under Wine that is the test's own prefix;
// on a Windows host they run only when asked (an Administrator, MOCKDIRECTOR_TEST_CERTSTORE=1).
var _ = Describe(`LocalMachine\My (crypt32)`, Serial, func() {
	var root, inter, dir *issued

	BeforeEach(func() {
		if !testdir.UnderWine() && os.Getenv("MOCKDIRECTOR_TEST_CERTSTORE") != "1" {
			Skip(`writes to this host's LocalMachine\My: set MOCKDIRECTOR_TEST_CERTSTORE=1 as an Administrator to run it`)
		}
		root = newCAIssued("Winstore Test Root", nil)
		inter = newCAIssued("Winstore Test Issuing", root)
		dir = newLeaf("dir01.contoso.local", inter, rsaKey())
		importPFX(dir, inter.cert, root.cert)
	})

	It("lists a certificate imported from a PFX, by the thumbprint Windows gives it", func() {
		st, err := winstore.Open("my")
		Expect(err).NotTo(HaveOccurred())
		all, err := st.Certificates()
		Expect(err).NotTo(HaveOccurred())
		var tps []string
		for _, c := range all {
			tps = append(tps, winstore.ThumbprintOf(c).String())
		}
		Expect(tps).To(ContainElement(winstore.ThumbprintOf(dir.cert).String()))
	})

	It("names the imported certificate when a thumbprint matches none", func() {
		st, err := winstore.Open(winstore.StoreMy)
		Expect(err).NotTo(HaveOccurred())
		var t winstore.Thumbprint
		_, err = winstore.Select(st, t)
		Expect(err).To(MatchError(winstore.ErrNotFound))
		Expect(err.Error()).To(ContainSubstring(winstore.ThumbprintOf(dir.cert).String()))
	})

	It("selects it with its private key and the chain Windows builds", func() {
		if testdir.UnderWine() {
			// Wine 8's crypt32 has no CertFindChainInStore (E_INVALIDARG), which
			// github.com/tailscale/certstore enumerates identities with, and its
			// CryptAcquireCertificatePrivateKey ignores the CNG flags (ncrypt is stubs).
			Skip("Wine 8 has no CertFindChainInStore nor a CNG key store: runs on Windows only")
		}
		st, err := winstore.Open(winstore.StoreMy)
		Expect(err).NotTo(HaveOccurred())
		sel, err := winstore.Select(st, winstore.ThumbprintOf(dir.cert))
		Expect(err).NotTo(HaveOccurred())
		Expect(sel.Cert.Certificate[0]).To(Equal(dir.cert.Raw))
		Expect(sel.Cert.Certificate).To(ContainElement(inter.cert.Raw))
	})

	It("refuses a store other than My", func() {
		_, err := winstore.Open("Root")
		Expect(err).To(MatchError(ContainSubstring("pass --cert-store My")))
	})
})
