package firewall_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/firewall"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

// site is a topology the exports are tested for, with the directory of its expected outputs.
type site struct {
	name string // testdata/<name>
	path string // the topology file
}

// sites are the two topologies that address every role: the loopback lab's and the netns lab's.
var sites = []site{
	{"topology-lab", "../../topology/lab.yaml"},
	{"netns-lab", "../../lab/topology.yaml"},
}

// textFormats are the formats with expected text under testdata (xlsx is read back instead).
var textFormats = map[string]string{
	"nftables": "nft", "iptables": "rules", "windows": "ps1", "csv": "csv", "cisco-asa": "asa", "paloalto": "pan",
}

func build(path string) *firewall.RuleSet {
	t, err := topology.Load(path)
	Expect(err).NotTo(HaveOccurred())
	rs, err := firewall.Build(scenarios.Default(), t)
	Expect(err).NotTo(HaveOccurred())
	return rs
}

func export(format string, rs *firewall.RuleSet) string {
	f, err := firewall.Lookup(format)
	Expect(err).NotTo(HaveOccurred())
	var b bytes.Buffer
	Expect(f.Write(&b, rs)).To(Succeed())
	return b.String()
}

// allowIDs are the row IDs of the built-in table's allow rows, in table order.
func allowIDs() []string {
	var ids []string
	for _, r := range scenarios.Default().Rows {
		if r.Allowed() {
			ids = append(ids, r.ID())
		}
	}
	return ids
}

// golden compares got with testdata/<dir>/<file>, or rewrites it under -update.
func golden(dir, file, got string) {
	p := filepath.Join("testdata", dir, file)
	if *update {
		Expect(os.MkdirAll(filepath.Dir(p), 0o755)).To(Succeed())
		Expect(os.WriteFile(p, []byte(got), 0o644)).To(Succeed())
		return
	}
	want, err := os.ReadFile(p)
	Expect(err).NotTo(HaveOccurred(), "no expected output %s: run go test ./firewall -update and review it", p)
	Expect(got).To(Equal(string(want)), "output differs from %s (go test ./firewall -update rewrites it; review the diff)", p)
}

// needRoot skips a spec that needs CAP_NET_ADMIN (nft -c and network namespaces); CI runs as root.
func needRoot(tool string) {
	if os.Geteuid() != 0 {
		Skip("needs root: " + tool + " checks rule sets against the kernel (CI runs as root; sudo go test ./firewall)")
	}
	if _, err := exec.LookPath(tool); err != nil {
		Skip(tool + " is not installed (.ci/run installs it)")
	}
}

// netns creates a network namespace mdfw-test-XXXX for the spec and removes it afterwards.
func netns() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := "mdfw-test-" + hex.EncodeToString(b)
	out, err := exec.Command("ip", "netns", "add", name).CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "ip netns add %s: %s", name, out)
	DeferCleanup(func() {
		out, err := exec.Command("ip", "netns", "del", name).CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "ip netns del %s: %s", name, out)
	})
	return name
}

// writeTemp writes text into a file of the spec's temporary directory.
func writeTemp(name, text string) string {
	p := filepath.Join(GinkgoT().TempDir(), name)
	Expect(os.WriteFile(p, []byte(text), 0o644)).To(Succeed())
	return p
}

// run runs a command and returns its combined output and error.
func run(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}
