package main

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/topology"
)

func init() {
	var dir, config, role, member, cn, key, validity string
	var sans, ips []string
	var force, clientOnly bool
	cmd := &cobra.Command{
		Use:   "issue [NAME] --dir DIR (--role ROLE [--member M] | --cn NAME [--san N]...)",
		Short: "Issue one more certificate from the directory's CA: another member, role or name",
		Long: `issue signs a certificate with the CA of DIR (its intermediate, when certs init made one) and
writes DIR/NAME.crt (with the intermediate) and DIR/NAME.key (0600).

With --role, the certificate is what that role's member needs (subject = pool FQDN, SANs = pool,
member, simple URLs); NAME defaults to the member FQDN. With --cn, it carries --cn and --san
names (NAME defaults to the CN). --client-only makes a clientAuth-only certificate.

Examples:
  mockdirector certs issue --dir ./c --role frontend --member fe02 --config site.yaml
  mockdirector certs issue --dir ./c --cn rp.contoso.com --san rp.contoso.com --san 192.0.2.10
  mockdirector certs issue edge-probe --dir ./c --cn edge-probe.contoso.local --client-only`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			kt, err := certs.ParseKeyType(key)
			if err != nil {
				return usageErr(fmt.Errorf("--key-type: %w", err))
			}
			v, err := parseValidity(validity)
			if err != nil {
				return usageErr(fmt.Errorf("--validity: %w", err))
			}
			var req certs.Request
			name := ""
			switch {
			case role != "" && cn != "":
				return usageErr(errors.New("--role and --cn do not go together: --role takes the names from the topology"))
			case role != "":
				topo, err := topology.Load(config)
				if err != nil {
					return usageErr(err)
				}
				_, m, err := topo.Member(role, member)
				if err != nil {
					return usageErr(err)
				}
				req, name = certs.Plan(topo)[m.Name], m.Name
			case cn != "":
				req, name = certs.Request{CommonName: cn}, cn
				if len(sans) == 0 {
					sans = []string{cn}
				}
			default:
				return usageErr(errors.New("say what to issue: --role ROLE [--member M], or --cn NAME [--san N]"))
			}
			for _, s := range sans {
				if ip := net.ParseIP(s); ip != nil {
					req.IPs = append(req.IPs, ip)
				} else {
					req.DNSNames = append(req.DNSNames, s)
				}
			}
			for _, s := range ips {
				ip := net.ParseIP(s)
				if ip == nil {
					return usageErr(fmt.Errorf("--ip %q is not an IP address", s))
				}
				req.IPs = append(req.IPs, ip)
			}
			if len(args) == 1 {
				name = args[0]
			}
			if strings.ContainsAny(name, `/\`) || name == "" || name == "ca" || name == "intermediate" {
				return usageErr(fmt.Errorf("NAME %q cannot be a file name in %s (no slashes, not ca or intermediate)", name, dir))
			}
			req.Key, req.Validity = kt, v
			if clientOnly {
				req.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
			}
			_, written, err := certs.IssueInto(dir, name, req, force)
			if err != nil {
				return err
			}
			for _, w := range written {
				fmt.Fprintln(cmd.OutOrStdout(), "wrote", w)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "dir", "mockdirector-certs", "certificate directory made by certs init (its CA signs)")
	f.StringVar(&config, "config", "", "topology YAML for --role (default: built-in contoso)")
	f.StringVar(&role, "role", "", "issue for a member of this role's pool: director, frontend, edge-internal")
	f.StringVar(&member, "member", "", "member of the pool (name or short name; default the first)")
	f.StringVar(&cn, "cn", "", "subject CN for a certificate not taken from the topology")
	f.StringSliceVar(&sans, "san", nil, "extra subject alternative name (DNS name or IP); repeatable")
	f.StringSliceVar(&ips, "ip", nil, "extra IP SAN; repeatable")
	keyTypeFlag(f, &key)
	f.StringVar(&validity, "validity", "825d", "validity: days (90d) or a Go duration (2160h)")
	f.BoolVar(&clientOnly, "client-only", false, "EKU clientAuth only (a prober identity, not a server)")
	f.BoolVar(&force, "force", false, "replace NAME.crt/NAME.key if they exist")
	certsCmd.AddCommand(cmd)
}

// parseValidity reads "825d" (days) or a Go duration.
func parseValidity(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("%q is not a number of days such as 825d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("%q is neither days (825d) nor a positive duration (2160h)", s)
	}
	return v, nil
}
