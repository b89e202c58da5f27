// Package scantest runs the scanners that judge a wire profile from outside (nmap's
// ssl-enum-ciphers, testssl.sh) against any address and reads their output the same way
// wireprofile's own tests store it (wireprofile/testdata), so a test of a real listener can
// compare with the stored expectation of its profile. It is for tests only.
package scantest

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/mockdirector/mockdirector/internal/wireprofile"
)

// Run runs a tool with a deadline and returns its combined output.
func Run(timeout time.Duration, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if ctx.Err() != nil {
		return string(out), fmt.Errorf("%s %s: timed out after %s", name, strings.Join(args, " "), timeout)
	}
	return string(out), err
}

// Nmap runs nmap's ssl-enum-ciphers script against host:port and returns its output without
// the "|" frame and indentation, one item a line.
func Nmap(addr string) ([]string, error) {
	host, port := addr[:strings.LastIndex(addr, ":")], addr[strings.LastIndex(addr, ":")+1:]
	out, err := Run(2*time.Minute, "nmap", "-Pn", "-n", "-sT", "--script", "ssl-enum-ciphers", "-p", port, host)
	if err != nil {
		return nil, fmt.Errorf("nmap against %s: %w\n%s", addr, err, out)
	}
	var lines []string
	in := false
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "ssl-enum-ciphers:") {
			in = true
			continue
		}
		if !in {
			continue
		}
		if !strings.HasPrefix(l, "|") {
			break
		}
		lines = append(lines, strings.TrimSpace(strings.TrimLeft(l, "|_")))
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("nmap against %s: no ssl-enum-ciphers output\n%s", addr, out)
	}
	return lines, nil
}

var nmapVersionLine = regexp.MustCompile(`^TLSv[\d.]+:$`)

// NmapSections reads the suite names per version ("TLSv1.2") from Nmap's lines.
func NmapSections(lines []string) map[string][]string {
	sections := map[string][]string{}
	version, inCiphers := "", false
	for _, l := range lines {
		switch {
		case nmapVersionLine.MatchString(l):
			version, inCiphers = strings.TrimSuffix(l, ":"), false
			sections[version] = []string{}
		case l == "ciphers:":
			inCiphers = true
		case strings.HasSuffix(l, ":"):
			inCiphers = false
		case inCiphers && strings.HasPrefix(l, "TLS_"):
			sections[version] = append(sections[version], strings.Fields(l)[0])
		}
	}
	return sections
}

// NmapVersion is the version as nmap names its sections ("TLSv1.0", not "TLSv1").
func NmapVersion(v uint16) string {
	if v == tls.VersionTLS10 {
		return "TLSv1.0"
	}
	return wireprofile.VersionName(v)
}

// RSASuites is the profile's order at version v for an RSA certificate, as a scanner must see it.
func RSASuites(p wireprofile.Profile, v uint16) []string {
	var out []string
	for _, s := range p.SuitesFor(v) {
		if strings.HasPrefix(s.Name, "TLS_ECDHE_RSA_") || strings.HasPrefix(s.Name, "TLS_RSA_") {
			out = append(out, s.Name)
		}
	}
	return out
}

// PortableNmap is Nmap's lines as stored: for a profile without its own order (modern: Go's,
// which depends on the CPU's AES support) each version's suites sorted.
func PortableNmap(p wireprofile.Profile, lines []string) []string {
	if len(p.Suites) > 0 {
		return lines
	}
	out := slices.Clone(lines)
	start := -1
	for i := 0; i <= len(out); i++ {
		isSuite := i < len(out) && strings.HasPrefix(out[i], "TLS_")
		switch {
		case isSuite && start < 0:
			start = i
		case !isSuite && start >= 0:
			slices.Sort(out[start:i])
			start = -1
		}
	}
	return out
}

// Testssl runs testssl.sh with the flags that list protocols (-p) and the server's cipher order
// per protocol (-P) and returns the findings that say so, one "id: finding" a line.
func Testssl(addr string) ([]string, error) {
	dir, err := os.MkdirTemp("", "scantest-testssl-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	jsonFile := filepath.Join(dir, "out.json")
	out, err := Run(4*time.Minute, "testssl", "--quiet", "--color", "0", "--warnings", "batch",
		"--mapping", "iana", "--connect-timeout", "5", "-p", "-P", "--jsonfile", jsonFile, addr)
	if err != nil {
		return nil, fmt.Errorf("testssl.sh against %s: %w\n%s", addr, err, out)
	}
	raw, err := os.ReadFile(jsonFile)
	if err != nil {
		return nil, fmt.Errorf("testssl.sh against %s wrote no JSON: %w\n%s", addr, err, out)
	}
	var findings []struct{ ID, Finding string }
	if err := json.Unmarshal(raw, &findings); err != nil {
		return nil, fmt.Errorf("testssl.sh JSON %s: %w", jsonFile, err)
	}
	keep := regexp.MustCompile(`^(SSLv\d|TLS1(_\d)?|NPN|ALPN.*|cipher_order|cipherorder_.*|protocol_negotiated|cipher_negotiated)$`)
	var lines []string
	for _, f := range findings {
		if keep.MatchString(f.ID) {
			lines = append(lines, f.ID+": "+strings.Join(strings.Fields(f.Finding), " "))
		}
	}
	return lines, nil
}

// Stored reads a stored expectation of wireprofile's tests (testdata/KIND/PROFILE.txt), found
// from this source file, as lines.
func Stored(kind, profile string) ([]string, error) {
	_, here, _, ok := runtime.Caller(0)
	if !ok {
		return nil, fmt.Errorf("scantest: cannot locate wireprofile/testdata")
	}
	path := filepath.Join(filepath.Dir(here), "..", "testdata", kind, profile+".txt")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("scantest: stored %s output of %s: %w", kind, profile, err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n"), nil
}
