package firewall_test

import (
	"flag"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// update rewrites the expected outputs under testdata: go test ./firewall -update, then review the
// diff before committing it.
var update = flag.Bool("update", false, "rewrite the expected outputs under testdata/")

func TestFirewall(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "firewall")
}
