// Package testbin gives the specs that run the mockdirector binary one to run.
package testbin

import (
	"fmt"
	"os"

	"github.com/onsi/gomega/gexec"
)

// EnvBin names a mockdirector binary built beforehand. `make windows` sets it: its Windows
// test binaries run under Wine, where no Go toolchain can build one.
const EnvBin = "MOCKDIRECTOR_BIN"

// Build returns $MOCKDIRECTOR_BIN when it is set (it must exist), else builds cmd/mockdirector
// with gexec.Build (removed by gexec.CleanupBuildArtifacts).
func Build() (string, error) {
	if bin := os.Getenv(EnvBin); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvBin, bin, err)
		}
		return bin, nil
	}
	return gexec.Build("github.com/mockdirector/mockdirector/cmd/mockdirector")
}
