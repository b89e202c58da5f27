package lab

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestLab(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Log("netns lab skipped: not root (sudo make e2e runs it)")
	}
	RegisterFailHandler(Fail)
	RunSpecs(t, "netns firewall lab (e2e)")
}

// requireLab skips when the lab cannot run here: not root, or a tool missing.
func requireLab() {
	if os.Geteuid() != 0 {
		Skip("the netns lab needs root (network namespaces, veth, nftables): run `sudo make e2e`")
	}
	for _, tool := range []string{"ip", "nft", "haproxy", "nginx", "kamailio", "ss"} {
		if _, err := exec.LookPath(tool); err != nil {
			Skip("the netns lab needs " + tool + " (apt-get install haproxy nginx kamailio kamailio-tls-modules nftables iproute2)")
		}
	}
}

func buildBinary(dir string) string {
	bin := filepath.Join(dir, "mockdirector")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/mockdirector/mockdirector/cmd/mockdirector")
	cmd.Stdout, cmd.Stderr = GinkgoWriter, GinkgoWriter
	Expect(cmd.Run()).To(Succeed(), "go build ./cmd/mockdirector")
	return bin
}
