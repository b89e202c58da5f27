package main

import (
	"bytes"
	"crypto/x509"
	"strings"
	"testing"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/winstore"
	"github.com/mockdirector/mockdirector/topology"
)

func TestPSQuote(t *testing.T) {
	for in, want := range map[string]string{
		`C:\certs\ca.crt`:             `'C:\certs\ca.crt'`,
		`C:\Users\O'Brien\ca.crt`:     `'C:\Users\O''Brien\ca.crt'`,
		"C:\\Users\\O\u2019Brien\\x":  "'C:\\Users\\O\u2019\u2019Brien\\x'", // PowerShell ends a '...' string at ’ too
		"\u2018\u201a\u201b":          "'\u2018\u2018\u201a\u201a\u201b\u201b'",
		`C:\a $b` + "`c" + ` (x86)\d`: `'C:\a $b` + "`c" + ` (x86)\d'`, // verbatim: no expansion inside '...'
		``:                            `''`,
	} {
		if got := psQuote(in); got != want {
			t.Errorf("psQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

func exportLeaf(t *testing.T) *x509.Certificate {
	t.Helper()
	p, err := certs.Issue(certs.Plan(topology.Default())["dir01.contoso.local"], nil)
	if err != nil {
		t.Fatal(err)
	}
	return p.Cert
}

// The lines `certs export` prints for a Windows host, exactly: where export runs on Linux they
// name the files in the folder they are copied to; on Windows, where the files are.
func TestWindowsImportLines(t *testing.T) {
	leaf := exportLeaf(t)
	tp := winstore.ThumbprintOf(leaf).String()
	for _, c := range []struct {
		name string
		wi   windowsImport
		want string
	}{
		{name: "linux, intermediate, PFX", wi: windowsImport{goos: "linux", caFile: "c/ca.crt", interFile: "c/intermediate.crt", pfxFile: "out/it's.pfx", leaf: leaf, role: "director", member: "dir01.contoso.local"},
			want: `
Windows: copy c/ca.crt, c/intermediate.crt, out/it's.pfx into one folder of the Windows host; there, in PowerShell run as Administrator:
  Import-Certificate -FilePath '.\ca.crt' -CertStoreLocation Cert:\LocalMachine\Root
  Import-Certificate -FilePath '.\intermediate.crt' -CertStoreLocation Cert:\LocalMachine\CA
  Import-PfxCertificate -FilePath '.\it''s.pfx' -CertStoreLocation Cert:\LocalMachine\My -Password (Read-Host -AsSecureString -Prompt 'PFX password')
  # its thumbprint in LocalMachine\My (SHA-1 of the DER, as certlm.msc and Get-ChildItem Cert:\LocalMachine\My show it): ` + tp + `
  mockdirector serve --role director --member dir01.contoso.local --cert-store My --thumbprint ` + tp + `
`},
		{name: "windows, no intermediate", wi: windowsImport{goos: "windows", caFile: `C:\Users\O'Brien\c\ca.crt`, pfxFile: `C:\Users\O'Brien\c\dir01.contoso.local.pfx`, leaf: leaf, role: "director", member: "dir01.contoso.local"},
			want: `
Windows: trust the CA and import the certificate, in PowerShell run as Administrator:
  Import-Certificate -FilePath 'C:\Users\O''Brien\c\ca.crt' -CertStoreLocation Cert:\LocalMachine\Root
  Import-PfxCertificate -FilePath 'C:\Users\O''Brien\c\dir01.contoso.local.pfx' -CertStoreLocation Cert:\LocalMachine\My -Password (Read-Host -AsSecureString -Prompt 'PFX password')
  # its thumbprint in LocalMachine\My (SHA-1 of the DER, as certlm.msc and Get-ChildItem Cert:\LocalMachine\My show it): ` + tp + `
  mockdirector serve --role director --member dir01.contoso.local --cert-store My --thumbprint ` + tp + `
`},
		{name: "no PFX: trust only", wi: windowsImport{goos: "linux", caFile: "c/ca.crt", leaf: leaf},
			want: `
Windows: copy c/ca.crt into one folder of the Windows host; there, in PowerShell run as Administrator:
  Import-Certificate -FilePath '.\ca.crt' -CertStoreLocation Cert:\LocalMachine\Root
`},
		{name: "no member of the topology (the probe): no serve line", wi: windowsImport{goos: "linux", caFile: "c/ca.crt", pfxFile: "c/probe.pfx", leaf: leaf},
			want: `
Windows: copy c/ca.crt, c/probe.pfx into one folder of the Windows host; there, in PowerShell run as Administrator:
  Import-Certificate -FilePath '.\ca.crt' -CertStoreLocation Cert:\LocalMachine\Root
  Import-PfxCertificate -FilePath '.\probe.pfx' -CertStoreLocation Cert:\LocalMachine\My -Password (Read-Host -AsSecureString -Prompt 'PFX password')
  # its thumbprint in LocalMachine\My (SHA-1 of the DER, as certlm.msc and Get-ChildItem Cert:\LocalMachine\My show it): ` + tp + `
`},
	} {
		var b bytes.Buffer
		c.wi.print(&b)
		if b.String() != c.want {
			t.Errorf("%s:\n got:\n%s\nwant:\n%s", c.name, b.String(), c.want)
		}
		if strings.Contains(b.String(), "-Password '") || strings.Contains(b.String(), "ConvertTo-SecureString") {
			t.Errorf("%s: a password on the command line", c.name)
		}
	}
}

func TestMemberRole(t *testing.T) {
	topo := topology.Default()
	for name, want := range map[string]string{"dir01.contoso.local": "director", "DIR01.contoso.local": "director", "edge01-int.contoso.local": "edge-internal", "probe": ""} {
		if got := memberRole(topo, name); got != want {
			t.Errorf("memberRole(%q) = %q, want %q", name, got, want)
		}
	}
}
