package certs

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"
)

// ReadChain reads the certificates of a file in any form a site hands over: PEM (one or more
// blocks), DER (.cer/.der), or PFX/PKCS#12 (with password). Errors name the file.
func ReadChain(file, password string) ([]*x509.Certificate, error) {
	if IsPFX(file) {
		_, chain, err := ReadPFX(file, password)
		return chain, err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fileErr(file, err)
	}
	if strings.Contains(string(data), "-----BEGIN") {
		return ReadCerts(file)
	}
	certs, err := x509.ParseCertificates(data)
	if err != nil || len(certs) == 0 {
		return nil, fmt.Errorf("%s: neither PEM nor DER certificates (a PFX needs a .pfx or .p12 name): %v", file, err)
	}
	return certs, nil
}

// FetchChain connects to addr (host:port), completes as much of a TLS handshake as it takes to
// see the server's chain, and returns the chain as served. serverName is the SNI (empty: the
// host). client, when set, is presented if the server asks (MTLS ports refuse a client without
// one, but the chain is captured before that).
func FetchChain(ctx context.Context, addr, serverName string, client *Identity) ([]*x509.Certificate, *tls.ConnectionState, error) {
	if serverName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, nil, fmt.Errorf("inspect %s: want HOST:PORT: %w", addr, err)
		}
		serverName = host
	}
	var chain []*x509.Certificate
	conf := &tls.Config{
		ServerName:         serverName,
		InsecureSkipVerify: true, // the lint judges the chain; we only fetch it here
		MinVersion:         tls.VersionTLS10,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			for _, r := range raw {
				c, err := x509.ParseCertificate(r)
				if err != nil {
					return fmt.Errorf("server certificate does not parse: %w", err)
				}
				chain = append(chain, c)
			}
			return nil
		},
	}
	if client != nil {
		cert := client.Cert
		conf.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
	}
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 10 * time.Second}, Config: conf}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		if len(chain) > 0 {
			return chain, nil, nil
		}
		return nil, nil, fmt.Errorf("inspect %s: %w", addr, err)
	}
	defer c.Close()
	st := c.(*tls.Conn).ConnectionState()
	return chain, &st, nil
}

// Describe prints what inspect shows of a chain: for each certificate subject, SANs, issuer,
// validity, key, EKU, signature algorithm and SHA-256 fingerprint.
func Describe(w io.Writer, chain []*x509.Certificate, now time.Time) {
	for i, c := range chain {
		label := "leaf"
		if i > 0 {
			label = fmt.Sprintf("chain[%d]", i)
			if isSelfSigned(c) {
				label += " (root)"
			} else if c.IsCA {
				label += " (intermediate)"
			}
		}
		fmt.Fprintf(w, "%s\n", label)
		fmt.Fprintf(w, "  subject:    %s\n", c.Subject)
		if len(c.DNSNames)+len(c.IPAddresses) > 0 {
			var sans []string
			for _, n := range c.DNSNames {
				sans = append(sans, "DNS:"+n)
			}
			for _, ip := range c.IPAddresses {
				sans = append(sans, "IP:"+ip.String())
			}
			fmt.Fprintf(w, "  SANs:       %s\n", strings.Join(sans, ", "))
		} else if !c.IsCA {
			fmt.Fprintf(w, "  SANs:       (none)\n")
		}
		fmt.Fprintf(w, "  issuer:     %s\n", c.Issuer)
		state := "valid"
		switch {
		case now.After(c.NotAfter):
			state = "EXPIRED"
		case now.Before(c.NotBefore):
			state = "NOT YET VALID"
		default:
			state = fmt.Sprintf("valid, %d days left", int(c.NotAfter.Sub(now).Hours()/24))
		}
		fmt.Fprintf(w, "  validity:   %s .. %s (%s)\n", c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339), state)
		fmt.Fprintf(w, "  key:        %s\n", keyDesc(c))
		if c.IsCA {
			fmt.Fprintf(w, "  CA:         yes\n")
		} else {
			fmt.Fprintf(w, "  EKU:        %s\n", ekuList(c))
		}
		fmt.Fprintf(w, "  signature:  %s\n", c.SignatureAlgorithm)
		if len(c.CRLDistributionPoints) > 0 {
			fmt.Fprintf(w, "  CDP:        %s\n", strings.Join(c.CRLDistributionPoints, ", "))
		}
		if len(c.IssuingCertificateURL) > 0 {
			fmt.Fprintf(w, "  AIA:        %s\n", strings.Join(c.IssuingCertificateURL, ", "))
		}
		sum := sha256.Sum256(c.Raw)
		fmt.Fprintf(w, "  sha256:     %s\n", hex.EncodeToString(sum[:]))
	}
}

// PrintFindings prints findings one per line with their fixes, or "lint: no findings".
func PrintFindings(w io.Writer, fs []Finding) {
	if len(fs) == 0 {
		fmt.Fprintln(w, "lint: no findings")
		return
	}
	fmt.Fprintf(w, "lint: %d finding(s)\n", len(fs))
	for _, f := range fs {
		fmt.Fprintf(w, "  %-7s %-20s %s\n          fix: %s\n", strings.ToUpper(string(f.Severity)), f.Code, f.Message, f.Fix)
		if f.Ref != "" {
			fmt.Fprintf(w, "          ref: %s\n", f.Ref)
		}
	}
}

func keyDesc(c *x509.Certificate) string {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d bits", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return c.PublicKeyAlgorithm.String()
}

// EncodePEM returns certificates as PEM.
func EncodePEM(chain []*x509.Certificate) []byte {
	var out []byte
	for _, c := range chain {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}
