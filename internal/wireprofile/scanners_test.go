package wireprofile_test

import (
	"crypto/tls"
	"fmt"
	"github.com/mockdirector/mockdirector/internal/wireprofile/scantest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/wireprofile"
)

// updateEnv, set to 1, rewrites the stored scanner outputs under testdata/ from this run.
const updateEnv = "WIREPROFILE_UPDATE"

// testssl.sh and nmap ssl-enum-ciphers against each profile's server: both must list exactly
// the profile's versions and suites in its order. Two proofs each: the normalised output equals
// the stored one (testdata/), and the suite order read from it equals the profile's own list, so
// a stored file regenerated from a broken server still fails.
var _ = Describe("testssl.sh", Label("peers", "scanners"), Ordered, func() {
	profiles := wireprofile.Names()

	// testssl.sh takes ~40 s per server; the four runs go side by side, each bounded.
	var testssl map[string][]string
	BeforeAll(func() {
		needTool("testssl")
		testssl = map[string][]string{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		errs := make([]error, len(profiles))
		for i, name := range profiles {
			s, err := startExampleServer(wireprofile.MustGet(name))
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(s.Close)
			wg.Add(1)
			go func() {
				defer wg.Done()
				lines, err := scantest.Testssl(s.Addr)
				mu.Lock()
				defer mu.Unlock()
				testssl[name], errs[i] = lines, err
			}()
		}
		wg.Wait()
		for i, err := range errs {
			Expect(err).NotTo(HaveOccurred(), profiles[i])
		}
	})

	for _, name := range profiles {
		It("testssl.sh lists the versions and suites of "+name+" in its order", func() {
			got := testssl[name]
			p := wireprofile.MustGet(name)
			compareStored(filepath.Join("testdata", "testssl", name+".txt"), portableTestssl(p, got))
			for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11, tls.VersionTLS12, tls.VersionTLS13} {
				key := map[uint16]string{tls.VersionTLS10: "TLS1", tls.VersionTLS11: "TLS1_1", tls.VersionTLS12: "TLS1_2", tls.VersionTLS13: "TLS1_3"}[v]
				offered := v >= p.MinVersion && v <= p.MaxVersion
				Expect(got).To(ContainElement(MatchRegexp("^%s: %s", key, map[bool]string{true: "offered", false: "not offered"}[offered])), key)
			}
			if len(p.Suites) == 0 {
				// modern: Go's order, held by the stored file only; TLS 1.3 lets the client pick.
				Expect(got).To(ContainElement(HavePrefix("cipher_order: server")))
				return
			}
			Expect(got).To(ContainElement("cipher_order: server"))
			for _, v := range p.Versions() {
				Expect(got).To(ContainElement(fmt.Sprintf("cipherorder_%s: %s", strings.ReplaceAll(wireprofile.VersionName(v), ".", "_"),
					strings.Join(scantest.RSASuites(p, v), " "))), wireprofile.VersionName(v))
			}
		})
	}

})

var _ = Describe("nmap", Label("peers", "scanners"), func() {
	for _, name := range wireprofile.Names() {
		It("nmap ssl-enum-ciphers lists the versions and suites of "+name+" in its order", func() {
			needTool("nmap")
			s, err := startExampleServer(wireprofile.MustGet(name))
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(s.Close)
			got, err := scantest.Nmap(s.Addr)
			Expect(err).NotTo(HaveOccurred())
			p := wireprofile.MustGet(name)
			compareStored(filepath.Join("testdata", "nmap", name+".txt"), scantest.PortableNmap(p, got))
			sections := scantest.NmapSections(got)
			want := map[string][]string{}
			for _, v := range p.Versions() {
				want[scantest.NmapVersion(v)] = nil
				if len(p.Suites) > 0 {
					want[scantest.NmapVersion(v)] = scantest.RSASuites(p, v)
				}
			}
			Expect(sections).To(HaveLen(len(want)), "versions nmap found: %v", sections)
			for v, suites := range want {
				Expect(sections).To(HaveKey(v))
				if suites != nil {
					Expect(sections[v]).To(Equal(suites), v)
				}
			}
			Expect(got).To(ContainElement("cipher preference: server"))
		})
	}
})

// Go's own order (the modern profile) puts AES-GCM or ChaCha20 first depending on the CPU's AES
// support, so for a profile without its own order the stored files hold each version's suites
// sorted, and not the negotiated suite: the set is the claim there, not the order.

func portableTestssl(p wireprofile.Profile, lines []string) []string {
	if len(p.Suites) > 0 {
		return lines
	}
	var out []string
	for _, l := range lines {
		id, finding, _ := strings.Cut(l, ": ")
		switch {
		case id == "cipher_negotiated":
			continue
		case strings.HasPrefix(id, "cipherorder_"):
			f := strings.Fields(finding)
			slices.Sort(f)
			l = id + ": " + strings.Join(f, " ")
		}
		out = append(out, l)
	}
	return out
}

// compareStored compares got with the stored file, or rewrites the file when WIREPROFILE_UPDATE=1
// (never in CI, where a rewrite would turn any answer green).
func compareStored(path string, got []string) {
	text := strings.Join(got, "\n") + "\n"
	if os.Getenv(updateEnv) == "1" {
		Expect(os.Getenv("CI")).NotTo(Equal("true"), updateEnv+"=1 in CI")
		Expect(os.MkdirAll(filepath.Dir(path), 0o755)).To(Succeed())
		Expect(os.WriteFile(path, []byte(text), 0o644)).To(Succeed())
		AddReportEntry("rewrote " + path)
		return
	}
	want, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred(), "stored output missing: run with %s=1 to write it, then review the diff", updateEnv)
	Expect(text).To(Equal(string(want)), "%s differs from this run (rerun with %s=1 only if the change is intended)", path, updateEnv)
}
