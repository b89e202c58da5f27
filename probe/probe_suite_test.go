package probe_test

import (
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/scenarios"
)

// scenarioRows are the rows the suite turns into specs. They are loaded in TestProbe, before
// RunSpecs, because Ginkgo builds its tree there: data loaded in BeforeSuite would come too late.
// MOCKDIRECTOR_SCENARIO names another scenario (built-in name or file) to run instead.
var (
	scenarioRows []scenarios.Row
	scenarioName string
)

func TestProbe(t *testing.T) {
	name := os.Getenv("MOCKDIRECTOR_SCENARIO")
	if name == "" {
		name = scenarios.BuiltinName
	}
	scn, err := scenarios.Load(name)
	if err != nil {
		t.Fatalf("scenario: %v", err)
	}
	scenarioRows, scenarioName = scn.Rows, scn.Name
	RegisterFailHandler(Fail)
	RunSpecs(t, "probe")
}
