package topology_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/yamlsafe"
	"github.com/mockdirector/mockdirector/internal/yamlsafe/yamlsafetest"
	"github.com/mockdirector/mockdirector/topology"
)

// memoryBound is what loading any one bad input may allocate in total (an upper bound of its
// peak heap): 256 MiB, as for scenario files; the worst case allocates about half.
const memoryBound = 256 << 20

func parseBounded(name, data string) error {
	result, _, violation := yamlsafetest.Within(memoryBound, 60*time.Second, func() error {
		t, err := topology.Parse(name, []byte(data))
		if err == nil {
			// A topology that loads must answer its lookups without panicking.
			for role := range t.Pools {
				if p, err := t.Pool(role); err == nil {
					_, _ = p.Member("")
					_ = p.Target()
				}
			}
		}
		return err
	})
	Expect(violation).NotTo(HaveOccurred(), name)
	return result
}

var _ = Describe("a topology file that attacks the loader", Serial, func() {
	It("refuses a billion laughs aliased into domain", func() {
		Expect(parseBounded("laughs.yaml", "domain: "+yamlsafetest.Laughs()+"\n")).To(MatchError(yamlsafe.ErrTooManyValue))
	})

	It("refuses a billion laughs aliased into sources", func() {
		Expect(parseBounded("laughs.yaml", "sources:\n  any: "+yamlsafetest.Laughs()+"\n")).To(MatchError(yamlsafe.ErrTooManyValue))
	})

	It("refuses the two-line topology with a named error (it used to panic in validate)", func() {
		Expect(parseBounded("two.yaml", "pools:\n  director:\n")).To(MatchError("two.yaml:2: pools.director: the pool is empty; it needs fqdn and at least one member"))
	})

	for _, c := range append(yamlsafetest.Nesting(), yamlsafetest.Dense()...) {
		It("ends "+c.Name+" with a named error", func() {
			Expect(parseBounded(c.Name, string(c.Data))).To(SatisfyAny(
				MatchError(yamlsafe.ErrTooDeep), MatchError(yamlsafe.ErrTooManyTok), MatchError(yamlsafe.ErrTooManyValue)))
		})
	}
})
