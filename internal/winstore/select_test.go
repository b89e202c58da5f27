package winstore_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/winstore"
)

// machineStore stands in for LocalMachine\My, which no test outside Windows can reach (and
// Wine's crypt32 has no CertFindChainInStore): identities are certificates with a key, each
// with the chain the system would build; bare are certificates without a key.
type machineStore struct {
	idents    []winstore.Identity
	bare      []*x509.Certificate
	identsErr error
}

func (s *machineStore) Name() string { return `LocalMachine\My` }

func (s *machineStore) Identities() ([]winstore.Identity, error) { return s.idents, s.identsErr }

func (s *machineStore) Certificates() ([]*x509.Certificate, error) {
	var all []*x509.Certificate
	for _, id := range s.idents {
		all = append(all, id.Chain...)
	}
	return append(all, s.bare...), nil
}

func identity(key crypto.Signer, chain ...*x509.Certificate) winstore.Identity {
	return winstore.Identity{Chain: chain, Signer: func() (crypto.Signer, error) { return key, nil }}
}

// capiKey signs as a CryptoAPI-only provider does: PKCS#1 v1.5, no PSS (CryptSignHash).
type capiKey struct{ crypto.Signer }

func (k capiKey) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	if _, pss := o.(*rsa.PSSOptions); pss {
		return nil, errors.New("capiSignHash: CAPI does not support PSS padding")
	}
	return k.Signer.Sign(r, d, o)
}

var _ = Describe("Select", func() {
	var root, inter *issued
	var dir, other *issued
	var store *machineStore

	BeforeEach(func() {
		root = newCAIssued("Contoso Root", nil)
		inter = newCAIssued("Contoso Issuing", root)
		dir = newLeaf("dir01.contoso.local", inter, rsaKey())
		other = newLeaf("fe01.contoso.local", inter, rsaKey())
		store = &machineStore{idents: []winstore.Identity{
			identity(other.key, other.cert, inter.cert, root.cert),
			identity(dir.key, dir.cert, inter.cert, root.cert),
		}}
	})

	It("serves the leaf and its intermediates, not the root, with the key, and keeps the root for client certificates", func() {
		sel, err := winstore.Select(store, winstore.ThumbprintOf(dir.cert))
		Expect(err).NotTo(HaveOccurred())
		Expect(sel.Leaf.Equal(dir.cert)).To(BeTrue())
		Expect(sel.Cert.Certificate).To(Equal([][]byte{dir.cert.Raw, inter.cert.Raw}))
		Expect(sel.Root.Equal(root.cert)).To(BeTrue())
		Expect(sel.Cert.PrivateKey).To(Equal(dir.key))
		Expect(sel.Cert.SupportedSignatureAlgorithms).To(BeNil(), "a CNG key signs PSS: crypto/tls chooses")
		Expect(sel.Notes).To(BeEmpty())
	})

	It("serves a chain the system could not complete as it is, without a root", func() {
		store.idents = []winstore.Identity{identity(dir.key, dir.cert, inter.cert)}
		sel, err := winstore.Select(store, winstore.ThumbprintOf(dir.cert))
		Expect(err).NotTo(HaveOccurred())
		Expect(sel.Cert.Certificate).To(Equal([][]byte{dir.cert.Raw, inter.cert.Raw}))
		Expect(sel.Root).To(BeNil())
	})

	It("keeps a key that cannot sign RSA-PSS (CryptoAPI) to the PKCS#1 v1.5 schemes, and says TLS 1.3 is out", func() {
		store.idents = []winstore.Identity{identity(capiKey{dir.key}, dir.cert, inter.cert, root.cert)}
		sel, err := winstore.Select(store, winstore.ThumbprintOf(dir.cert))
		Expect(err).NotTo(HaveOccurred())
		Expect(sel.Cert.SupportedSignatureAlgorithms).To(Equal([]tls.SignatureScheme{tls.PKCS1WithSHA256, tls.PKCS1WithSHA384, tls.PKCS1WithSHA512}))
		Expect(sel.Notes).To(ConsistOf(ContainSubstring("no TLS 1.3")))
	})

	It("takes an ECDSA key", func() {
		ec := newLeaf("dir02.contoso.local", inter, ecKey())
		store.idents = append(store.idents, identity(ec.key, ec.cert, inter.cert, root.cert))
		sel, err := winstore.Select(store, winstore.ThumbprintOf(ec.cert))
		Expect(err).NotTo(HaveOccurred())
		Expect(sel.Leaf.Equal(ec.cert)).To(BeTrue())
	})

	It("names what the store holds when no certificate has the thumbprint", func() {
		var t winstore.Thumbprint
		t[0] = 0xAB
		_, err := winstore.Select(store, t)
		Expect(err).To(MatchError(winstore.ErrNotFound))
		Expect(err.Error()).To(ContainSubstring(`LocalMachine\My: no certificate with that thumbprint AB00`))
		Expect(err.Error()).To(ContainSubstring(winstore.ThumbprintOf(dir.cert).String() + "  dir01.contoso.local  expires "))
		Expect(err.Error()).To(ContainSubstring(winstore.ThumbprintOf(other.cert).String() + "  fe01.contoso.local"))
		Expect(err.Error()).NotTo(ContainSubstring("Contoso Issuing"), "CA certificates are not what a person means")
	})

	It("says so when the store holds no server certificate at all", func() {
		store.idents = nil
		_, err := winstore.Select(store, winstore.ThumbprintOf(dir.cert))
		Expect(err).To(MatchError(ContainSubstring("the store holds no server certificate: import the PFX first")))
	})

	It("refuses the thumbprint of the CA that issued a certificate, and gives the server certificate's", func() {
		_, err := winstore.Select(store, winstore.ThumbprintOf(inter.cert))
		Expect(err).To(MatchError(winstore.ErrCACertificate))
		Expect(err.Error()).To(ContainSubstring(`is "Contoso Issuing", the CA that issued "fe01.contoso.local"`))
		Expect(err.Error()).To(ContainSubstring(winstore.ThumbprintOf(other.cert).String()))
	})

	It("refuses a certificate Windows holds no private key for, with how to import it with one", func() {
		bare := newLeaf("edge01-int.contoso.local", inter, rsaKey())
		store.bare = []*x509.Certificate{bare.cert}
		_, err := winstore.Select(store, winstore.ThumbprintOf(bare.cert))
		Expect(err).To(MatchError(winstore.ErrNoPrivateKey))
		Expect(err.Error()).To(ContainSubstring("Import-PfxCertificate -CertStoreLocation Cert:\\LocalMachine\\My"))
	})

	It("says the identities could not be read, not that the key is missing, when the enumeration failed", func() {
		store.identsErr = errors.New("failed to iterate certs in store: invalid argument")
		store.bare = []*x509.Certificate{dir.cert}
		idents := store.idents
		store.idents = nil
		defer func() { store.idents = idents }()
		_, err := winstore.Select(store, winstore.ThumbprintOf(dir.cert))
		Expect(err).To(MatchError(ContainSubstring("is there, but the certificates with a private key could not be read: failed to iterate")))
		Expect(errors.Is(err, winstore.ErrNoPrivateKey)).To(BeFalse())
	})

	It("lists the store's certificates without claiming they lack a key when the enumeration failed", func() {
		store.identsErr = errors.New("failed to iterate certs in store: invalid argument")
		store.bare = []*x509.Certificate{dir.cert}
		store.idents = nil
		var t winstore.Thumbprint
		_, err := winstore.Select(store, t)
		Expect(err).To(MatchError(winstore.ErrNotFound))
		Expect(err.Error()).To(ContainSubstring(winstore.ThumbprintOf(dir.cert).String() + "  dir01.contoso.local  expires "))
		Expect(err.Error()).NotTo(ContainSubstring("no private key"))
		Expect(err.Error()).To(ContainSubstring("(and the certificates with a private key could not be read: failed to iterate"))
	})

	It("marks the certificates without a private key when it knows", func() {
		store.bare = []*x509.Certificate{newLeaf("edge01-int.contoso.local", inter, rsaKey()).cert}
		var t winstore.Thumbprint
		_, err := winstore.Select(store, t)
		Expect(err.Error()).To(MatchRegexp(`edge01-int\.contoso\.local  expires \S+ \(no private key\)`))
		Expect(err.Error()).To(MatchRegexp(`dir01\.contoso\.local  expires \S+\n`))
	})

	It("refuses a key Windows will not open, with the fix", func() {
		store.idents = []winstore.Identity{{Chain: []*x509.Certificate{dir.cert, inter.cert, root.cert},
			Signer: func() (crypto.Signer, error) {
				return nil, fmt.Errorf("failed to get private key for certificate: Access is denied.")
			}}}
		_, err := winstore.Select(store, winstore.ThumbprintOf(dir.cert))
		Expect(err).To(MatchError(winstore.ErrKey))
		Expect(err.Error()).To(ContainSubstring("Access is denied"))
		Expect(err.Error()).To(ContainSubstring("Manage Private Keys"))
	})

	It("refuses a key that is not the certificate's", func() {
		store.idents = []winstore.Identity{identity(other.key, dir.cert, inter.cert, root.cert)}
		_, err := winstore.Select(store, winstore.ThumbprintOf(dir.cert))
		Expect(err).To(MatchError(winstore.ErrKey))
		Expect(err.Error()).To(ContainSubstring("not the certificate's"))
	})

	It("refuses a key whose signatures do not verify", func() {
		store.idents = []winstore.Identity{identity(badSigner{dir.key}, dir.cert, inter.cert, root.cert)}
		_, err := winstore.Select(store, winstore.ThumbprintOf(dir.cert))
		Expect(err).To(MatchError(winstore.ErrKey))
		Expect(err.Error()).To(ContainSubstring("does not verify"))
	})
})

// badSigner returns a signature that is not one.
type badSigner struct{ crypto.Signer }

func (b badSigner) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	sig, err := b.Signer.Sign(r, d, o)
	if err == nil {
		sig[len(sig)-1] ^= 1
	}
	return sig, err
}
