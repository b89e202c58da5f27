// Package winstore serves a certificate from the Windows machine certificate store
// (LocalMachine\My) by thumbprint: it parses the thumbprint as a person copies it, selects the
// certificate with its private key and the chain Windows builds for it, and names what is wrong
// (not there, no private key, a CA certificate, a key that does not sign) with the fix.
//
// The selection works on a small Store interface over the operating system's store, so its
// decisions are tested on every platform; Open (Windows only) is the real store:
// github.com/tailscale/certstore enumerates the certificates that have a private key, with the
// chain the system builds, and gives a crypto.Signer over CNG or CryptoAPI keys alike;
// crypt32 (golang.org/x/sys/windows) lists the rest for the error messages.
package winstore

import (
	"crypto/sha1" //nolint:gosec // the thumbprint Windows shows is SHA-1; it identifies, it does not secure
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"
)

// Thumbprint is the SHA-1 digest of a certificate's DER encoding: what certlm.msc, the
// certificate's Details tab and Get-ChildItem Cert:\LocalMachine\My call its thumbprint.
type Thumbprint [sha1.Size]byte

// ThumbprintOf is the thumbprint of c.
func ThumbprintOf(c *x509.Certificate) Thumbprint {
	return sha1.Sum(c.Raw) //nolint:gosec // see the import
}

// String is the thumbprint as PowerShell shows it: 40 upper-case hex digits.
func (t Thumbprint) String() string { return strings.ToUpper(hex.EncodeToString(t[:])) }

// ParseThumbprint reads a thumbprint as a person pastes it: hex digits in either case,
// separated or not by spaces or colons (certlm.msc shows "a9 09 50 2d ...", openssl
// "A9:09:50:2D:..."). Format characters are dropped first: the certificate dialog of
// certlm.msc puts an invisible U+200E LEFT-TO-RIGHT MARK before the first digit, which a copy
// takes along and which would otherwise make a correct thumbprint fail to match.
func ParseThumbprint(s string) (Thumbprint, error) {
	var t Thumbprint
	var digits strings.Builder
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Cf, r), r == ':', r == '-', unicode.IsSpace(r):
			// U+200E, U+200F, U+FEFF and the other format marks; separators.
		case r < unicode.MaxASCII && strings.ContainsRune("0123456789abcdefABCDEF", r):
			digits.WriteRune(r)
		default:
			return t, fmt.Errorf("thumbprint %q: %q is not a hex digit (copy the Thumbprint field of the certificate's Details tab, or Get-ChildItem Cert:\\LocalMachine\\My)", s, r)
		}
	}
	if digits.Len() != 2*sha1.Size {
		return t, fmt.Errorf("thumbprint %q: %d hex digits, a thumbprint (SHA-1) has %d", s, digits.Len(), 2*sha1.Size)
	}
	if _, err := hex.Decode(t[:], []byte(digits.String())); err != nil {
		return t, fmt.Errorf("thumbprint %q: %w", s, err)
	}
	return t, nil
}
