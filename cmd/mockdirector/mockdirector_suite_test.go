package main_test

import (
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
)

func TestMockdirector(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "cmd/mockdirector")
}

// binPath is the mockdirector binary the specs run, built once for the suite (with the race
// detector when MOCKDIRECTOR_TEST_RACE=1: a race in a child then fails its exit-code checks).
var binPath string

var _ = BeforeSuite(func() {
	var args []string
	if os.Getenv("MOCKDIRECTOR_TEST_RACE") == "1" {
		args = append(args, "-race")
	}
	var err error
	binPath, err = gexec.Build("github.com/mockdirector/mockdirector/cmd/mockdirector", args...)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(gexec.CleanupBuildArtifacts)
})
