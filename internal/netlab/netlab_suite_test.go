package netlab_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestNetlab(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "netlab")
}

// bin is the mockdirector binary the lab runs in its namespaces, built once for the suite.
var bin string

var _ = SynchronizedBeforeSuite(func() []byte {
	if os.Geteuid() != 0 {
		return nil
	}
	dir, err := os.MkdirTemp("", "mdnl-test-bin-")
	Expect(err).NotTo(HaveOccurred())
	b := filepath.Join(dir, "mockdirector")
	out, err := exec.Command("go", "build", "-o", b, "github.com/mockdirector/mockdirector/cmd/mockdirector").CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), string(out))
	return []byte(b)
}, func(b []byte) { bin = string(b) })

var _ = SynchronizedAfterSuite(func() {}, func() {
	if bin != "" {
		os.RemoveAll(filepath.Dir(bin))
	}
})

// requireRoot skips where namespaces cannot be made, and fails in CI, which runs as root.
func requireRoot() {
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") != "" {
		Fail("CI must run the namespace lab as root")
	}
	Skip("the namespace lab needs root (network namespaces, nftables): run the suite with sudo")
}
