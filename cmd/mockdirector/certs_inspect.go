package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/topology"
)

func init() {
	var role, member, config, caFile, interFile, password, sni, clientCert, clientKey string
	var asJSON bool
	var warnDays int
	cmd := &cobra.Command{
		Use:   "inspect FILE|HOST:PORT",
		Short: "Show a certificate chain and lint it against the Lync 2013 / Skype for Business requirements",
		Long: `inspect reads a certificate (PEM, DER, or .pfx/.p12 with --cert-password) or connects to
HOST:PORT and takes the chain the server sends, prints subject, SANs, issuer chain, validity, key,
EKU and signature algorithm of each certificate, then lints the leaf for --role:

  subject CN = the pool FQDN; SANs cover the pool FQDN, the member (server) FQDN and, for a
  Director or Front End, the simple URLs of the topology (meet, dialin, lyncdiscoverinternal,
  lyncdiscover); EKU serverAuth and clientAuth (every role serves MTLS on 5061); RSA keys of
  2048 bits (1024 is the documented minimum: a warning; ECDSA a warning for the Lync roles); a
  CRL Distribution Point (an error for the Lync roles); no RSASSA-PSS or SHA-1 signature; not
  expired, not expiring within --expiry-warning days, valid at most 825 days; chain complete to a
  root of --ca.

Each finding has a code, a severity, a fix and, where Microsoft's "Certificate infrastructure
requirements for Lync Server 2013" states it, the requirement it breaks (ref). Exit 0: no error findings; 1: some; 2: bad input.

Examples:
  mockdirector certs inspect site.pem --role director --config site.yaml --ca site-ca.pem
  mockdirector certs inspect edge.pfx --cert-password P --role edge-internal
  mockdirector certs inspect 127.0.0.2:5061 --role director --ca ./c/ca.crt --client-cert ./c/probe.crt --client-key ./c/probe.key`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			target := args[0]
			out := cmd.OutOrStdout()
			var chain []*x509.Certificate
			var state *tls.ConnectionState
			if _, err := os.Stat(target); err == nil {
				if chain, err = certs.ReadChain(target, password); err != nil {
					return err
				}
			} else if !strings.Contains(target, ":") {
				return usageErr(fmt.Errorf("%s: no such file (and not HOST:PORT)", target))
			} else {
				var client *certs.Identity
				if clientCert != "" {
					ca := caFile
					if ca == "" {
						ca = clientCert
					}
					if client, err = certs.LoadIdentityPassword(clientCert, clientKey, ca, password); err != nil {
						return usageErr(fmt.Errorf("--client-cert: %w", err))
					}
				}
				ctx, cancel := context.WithTimeout(cmd.Context(), 15*time.Second)
				defer cancel()
				if chain, state, err = certs.FetchChain(ctx, target, sni, client); err != nil {
					return err
				}
				if len(chain) == 0 {
					return fmt.Errorf("inspect %s: the server presented no certificate", target)
				}
			}
			p := certs.LintProfile{}
			if role != "" {
				topo, err := topology.Load(config)
				if err != nil {
					return usageErr(err)
				}
				if p, err = certs.ProfileFor(topo, role, member); err != nil {
					return usageErr(err)
				}
			}
			p.ExpiryWarning = time.Duration(warnDays) * 24 * time.Hour
			if caFile != "" {
				pool, err := certs.LoadPool(caFile)
				if err != nil {
					return usageErr(fmt.Errorf("--ca: %w", err))
				}
				p.Roots = pool
			}
			if interFile != "" {
				inter, err := certs.ReadCerts(interFile)
				if err != nil {
					return usageErr(fmt.Errorf("--intermediates: %w", err))
				}
				p.ExtraIntermediates = inter
			}
			findings := certs.Lint(chain, p)
			if asJSON {
				type certJSON struct {
					Subject, Issuer, NotBefore, NotAfter, Signature string
					DNSNames                                        []string
				}
				var cj []certJSON
				for _, c := range chain {
					cj = append(cj, certJSON{c.Subject.String(), c.Issuer.String(), c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339), c.SignatureAlgorithm.String(), c.DNSNames})
				}
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(map[string]any{"target": target, "role": role, "chain": cj, "findings": findings}); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(out, "%s: %d certificate(s)", target, len(chain))
				if state != nil {
					fmt.Fprintf(out, ", %s %s", tls.VersionName(state.Version), tls.CipherSuiteName(state.CipherSuite))
				}
				fmt.Fprintln(out)
				certs.Describe(out, chain, time.Now())
				if role != "" {
					fmt.Fprintf(out, "profile: %s, subject %s, SANs %v, MTLS %v\n", role, p.PoolFQDN, p.Names, p.MTLS)
				}
				certs.PrintFindings(out, findings)
			}
			if certs.HasErrors(findings) {
				return errFailed
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&role, "role", "", "lint for this role: director, frontend, edge-internal (default: generic checks only)")
	f.StringVar(&member, "member", "", "the member the certificate is for (default: any member of the pool)")
	f.StringVar(&config, "config", "", "topology YAML: pool FQDNs, members, simple URLs (default: built-in contoso)")
	f.StringVar(&caFile, "ca", "", "PEM bundle of the roots peers trust: checks the chain is complete and trusted")
	f.StringVar(&interFile, "intermediates", "", "PEM intermediates the peers may know: tells a missing intermediate from an untrusted CA")
	f.StringVar(&password, "cert-password", "", "password of a .pfx/.p12 (FILE or --client-cert)")
	f.StringVar(&sni, "sni", "", "server name to send for HOST:PORT (default the host)")
	f.StringVar(&clientCert, "client-cert", "", "certificate to present on an MTLS port (PEM chain or PFX)")
	f.StringVar(&clientKey, "client-key", "", "key of --client-cert (PEM)")
	f.IntVar(&warnDays, "expiry-warning", 30, "warn when the certificate expires within this many days")
	f.BoolVar(&asJSON, "json", false, "print the chain and findings as JSON")
	certsCmd.AddCommand(cmd)
}
