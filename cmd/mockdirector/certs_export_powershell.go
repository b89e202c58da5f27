package main

import (
	"crypto/x509"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/winstore"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

// windowsImport is what `certs export` tells a Windows host to import: the files it wrote or
// reads, and the leaf, whose thumbprint the store will show.
type windowsImport struct {
	// goos is where export runs: on windows the lines name the files where they are; elsewhere
	// they name them in the folder of the Windows host they are copied to.
	goos string
	// caFile is the root CA certificate; interFile the intermediate CA's ("" for none);
	// pfxFile the identity's PFX ("" when none was written).
	caFile, interFile, pfxFile string
	leaf                       *x509.Certificate
	// role and member are the serve flags of the identity; role "" when the topology has no
	// member of that name (the probe's identity): then no serve line.
	role, member string
}

// psQuote quotes s for PowerShell: a single-quoted (verbatim) string, so $, ` and spaces in a
// path mean nothing. PowerShell ends a single-quoted string at any of the four single quotation
// marks (' and the typographic U+2018, U+2019, U+201A, U+201B, which a path copied from a
// document may hold) and takes each doubled as itself.
func psQuote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		b.WriteRune(r)
		switch r {
		case '\'', '\u2018', '\u2019', '\u201a', '\u201b':
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// path is file as the PowerShell lines name it: where it is on Windows (printWindowsImport
// made it absolute), else its name in the Windows host's current folder.
func (wi windowsImport) path(file string) string {
	if wi.goos == "windows" {
		return file
	}
	return `.\` + filepath.Base(file)
}

// print writes the PowerShell lines that trust the CA on a Windows host and import the
// identity into the computer's Personal store (LocalMachine\My, where a server certificate and
// its key live: certlm.msc), with the thumbprint the imported certificate will have and the
// serve line that serves it from there. The PFX password is asked for by Read-Host
// -AsSecureString, never written on a command line (where history and process listings keep it).
func (wi windowsImport) print(w io.Writer) {
	files := []string{wi.caFile}
	if wi.interFile != "" {
		files = append(files, wi.interFile)
	}
	if wi.pfxFile != "" {
		files = append(files, wi.pfxFile)
	}
	fmt.Fprintln(w)
	if wi.goos == "windows" {
		fmt.Fprintln(w, "Windows: trust the CA and import the certificate, in PowerShell run as Administrator:")
	} else {
		fmt.Fprintf(w, "Windows: copy %s into one folder of the Windows host; there, in PowerShell run as Administrator:\n", strings.Join(files, ", "))
	}
	fmt.Fprintf(w, "  Import-Certificate -FilePath %s -CertStoreLocation Cert:\\LocalMachine\\Root\n", psQuote(wi.path(wi.caFile)))
	if wi.interFile != "" {
		fmt.Fprintf(w, "  Import-Certificate -FilePath %s -CertStoreLocation Cert:\\LocalMachine\\CA\n", psQuote(wi.path(wi.interFile)))
	}
	if wi.pfxFile == "" {
		return
	}
	fmt.Fprintf(w, "  Import-PfxCertificate -FilePath %s -CertStoreLocation Cert:\\LocalMachine\\My -Password (Read-Host -AsSecureString -Prompt 'PFX password')\n",
		psQuote(wi.path(wi.pfxFile)))
	tp := winstore.ThumbprintOf(wi.leaf)
	fmt.Fprintf(w, "  # its thumbprint in LocalMachine\\My (SHA-1 of the DER, as certlm.msc and Get-ChildItem Cert:\\LocalMachine\\My show it): %s\n", tp)
	if wi.role != "" {
		fmt.Fprintf(w, "  mockdirector serve --role %s --member %s --cert-store My --thumbprint %s\n", wi.role, wi.member, tp)
	}
}

// memberRole is the role of the pool whose member is named name, "" when none is.
func memberRole(t *topology.Topology, name string) string {
	for role, p := range t.Pools {
		for _, m := range p.Members {
			if strings.EqualFold(m.Name, name) {
				return role
			}
		}
	}
	return ""
}

// printWindowsImport prints the Windows lines of an export that wrote written.
func printWindowsImport(w io.Writer, o certs.ExportOptions, written []string, topo *topology.Topology) error {
	chain, err := certs.ReadCerts(certs.CertPath(o.Dir, o.Name))
	if err != nil {
		return err
	}
	wi := windowsImport{goos: runtime.GOOS, caFile: filepath.Join(o.Dir, certs.CACertFile), leaf: chain[0], member: o.Name}
	if inter := filepath.Join(o.Dir, certs.IntermediateCertFile); len(chain) > 1 {
		if _, err := os.Stat(inter); err == nil {
			wi.interFile = inter
		}
	}
	for _, f := range written {
		if strings.HasSuffix(f, ".pfx") {
			wi.pfxFile = f
		}
	}
	if role := memberRole(topo, o.Name); role != scenarios.RolePKI {
		wi.role = role // the PKI web server serves plain HTTP: no certificate to serve
	}
	if wi.goos == "windows" {
		for _, p := range []*string{&wi.caFile, &wi.interFile, &wi.pfxFile} {
			if abs, err := filepath.Abs(*p); err == nil && *p != "" {
				*p = abs
			}
		}
	}
	wi.print(w)
	return nil
}
