//go:build windows

package winstore

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"github.com/tailscale/certstore"
	"golang.org/x/sys/windows"
)

// ErrNotWindows is never returned on Windows; it is declared so callers compile everywhere.
var ErrNotWindows = errors.New("the Windows certificate store exists only on Windows")

// StoreMy is the machine's Personal store, where a server's certificates and their keys are
// imported (certlm.msc: Personal; PowerShell: Cert:\LocalMachine\My), the only one
// github.com/tailscale/certstore opens.
const StoreMy = "My"

// machineStore is the machine's store StoreMy: identities from github.com/tailscale/certstore,
// every certificate (for the messages) from crypt32.
type machineStore struct {
	idents []certstore.Identity // kept open: the selected one's key serves for the process' life
}

// Open opens the machine store name (only StoreMy, in any case) read-only.
func Open(name string) (Store, error) {
	if !strings.EqualFold(name, StoreMy) {
		return nil, fmt.Errorf("--cert-store %q: serve reads LocalMachine\\My (certlm.msc: Personal), where the server certificate and its key are imported; pass --cert-store My", name)
	}
	return &machineStore{}, nil
}

func (m *machineStore) Name() string { return `LocalMachine\My` }

// Identities enumerates, with CertFindChainInStore, the certificates of LocalMachine\My that
// have a private key, each with the chain the system's chain engine builds (from the
// certificate stores only: no network fetch of an AIA).
func (m *machineStore) Identities() ([]Identity, error) {
	st, err := certstore.Open(certstore.System, certstore.ReadOnly)
	if err != nil {
		return nil, fmt.Errorf("open LocalMachine\\My: %w", err)
	}
	defer st.Close()
	idents, err := st.Identities()
	if err != nil {
		return nil, fmt.Errorf("LocalMachine\\My: %w", err)
	}
	m.idents = append(m.idents, idents...)
	var out []Identity
	for _, id := range idents {
		chain, err := id.CertificateChain()
		if err != nil || len(chain) == 0 {
			continue // a certificate Go cannot parse is not one serve could serve
		}
		out = append(out, Identity{Chain: chain, Signer: func() (crypto.Signer, error) { return id.Signer() }})
	}
	return out, nil
}

// Certificates lists every certificate of LocalMachine\My with crypt32, keys or not.
func (m *machineStore) Certificates() ([]*x509.Certificate, error) {
	h, err := openSystemStore(StoreMy)
	if err != nil {
		return nil, err
	}
	defer windows.CertCloseStore(h, 0)
	var out []*x509.Certificate
	var ctx *windows.CertContext
	for {
		ctx, err = windows.CertEnumCertificatesInStore(h, ctx)
		if err != nil {
			if errors.Is(err, windows.Errno(windows.CRYPT_E_NOT_FOUND)) {
				return out, nil
			}
			return out, fmt.Errorf("LocalMachine\\My: %w", err)
		}
		if c, err := x509.ParseCertificate(der(ctx)); err == nil {
			out = append(out, c)
		}
	}
}

// openSystemStore opens LocalMachine\name read-only, failing when it does not exist.
func openSystemStore(name string) (windows.Handle, error) {
	n, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return 0, err
	}
	h, err := windows.CertOpenStore(windows.CERT_STORE_PROV_SYSTEM_W, 0, 0,
		windows.CERT_SYSTEM_STORE_LOCAL_MACHINE|windows.CERT_STORE_READONLY_FLAG|windows.CERT_STORE_OPEN_EXISTING_FLAG,
		uintptr(unsafe.Pointer(n)))
	if err != nil {
		return 0, fmt.Errorf("open LocalMachine\\%s: %w", name, err)
	}
	return h, nil
}

// der copies the DER encoding out of a certificate context.
func der(ctx *windows.CertContext) []byte {
	return append([]byte(nil), unsafe.Slice(ctx.EncodedCert, ctx.Length)...)
}
