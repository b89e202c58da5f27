package scenarios_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/yamlsafe"
	"github.com/mockdirector/mockdirector/internal/yamlsafe/yamlsafetest"
	"github.com/mockdirector/mockdirector/scenarios"

	"github.com/mockdirector/mockdirector/internal/testdir"
)

// memoryBound is what loading any one bad input may allocate in total (an upper bound of its
// peak heap): 256 MiB. The worst case, a file of dense values just under the 512 KiB size limit,
// allocates about half of it in goccy's lexer and parser before it is refused.
const memoryBound = 256 << 20

// hangBound is far beyond what any case takes (well under a second each): passing it means
// the loader hangs, not that it is slow.
const hangBound = 60 * time.Second

// parseBounded parses data as a scenario under the memory and hang bounds and returns its error.
func parseBounded(name string, data []byte) error {
	result, allocated, violation := yamlsafetest.Within(memoryBound, hangBound, func() error {
		_, err := scenarios.Parse(name, data)
		return err
	})
	Expect(violation).NotTo(HaveOccurred(), name)
	AddReportEntry(name, fmt.Sprintf("%d bytes in, %d MiB allocated", len(data), allocated>>20))
	return result
}

var _ = Describe("a scenario file that attacks the loader", Serial, func() {
	It("refuses a billion laughs aliased into a string field", func() {
		err := parseBounded("laughs.yaml", []byte("name: x\ndescription: "+yamlsafetest.Laughs()+"\nrows: []\n"))
		Expect(err).To(MatchError(yamlsafe.ErrTooManyValue))
		Expect(err).To(MatchError(HavePrefix("laughs.yaml:2:")))
	})

	It("refuses a billion laughs aliased into the rows", func() {
		err := parseBounded("laughs.yaml", []byte("name: x\nrows: "+yamlsafetest.Laughs()+"\n"))
		Expect(err).To(MatchError(yamlsafe.ErrTooManyValue))
	})

	It("accepts an anchor used a few times (aliases are not banned, only their expansion is bounded)", func() {
		s, err := scenarios.Parse("anchors.yaml", []byte("name: x\nrows:\n  - {from: any, to: director, port: 1, protocol: tcp, note: &n shared words}\n  - {from: any, to: director, port: 2, protocol: tcp, note: *n}\n"))
		Expect(err).NotTo(HaveOccurred())
		Expect(s.Rows).To(HaveLen(2))
		Expect(s.Rows[1].Line).To(Equal(4))
		Expect(s.Rows[1].Note).To(Equal("shared words"))
	})

	for _, c := range yamlsafetest.Nesting() {
		It("refuses "+c.Name+" as nesting too deep", func() {
			Expect(parseBounded(c.Name, c.Data)).To(MatchError(yamlsafe.ErrTooDeep))
		})
	}

	for _, c := range yamlsafetest.Dense() {
		It("ends "+c.Name+" with a named error", func() {
			Expect(parseBounded(c.Name, c.Data)).To(SatisfyAny(
				MatchError(yamlsafe.ErrTooManyTok), MatchError(yamlsafe.ErrTooManyValue)))
		})
	}

	It("refuses a 10 MB file of duplicate rows by its size, without reading it whole", func() {
		row := "  - {from: any, to: director, port: 443, protocol: https}\n"
		data := "name: dup\nrows:\n" + strings.Repeat(row, 10<<20/len(row))
		p := filepath.Join(testdir.New(), "dup.yaml")
		Expect(os.WriteFile(p, []byte(data), 0o644)).To(Succeed())
		result, _, violation := yamlsafetest.Within(memoryBound, hangBound, func() error {
			_, err := scenarios.Load(p)
			return err
		})
		Expect(violation).NotTo(HaveOccurred())
		Expect(result).To(MatchError(yamlsafe.ErrTooLarge))
		Expect(result).To(MatchError(ContainSubstring(p + ": file too large: more than 512 KiB")))
		Expect(parseBounded("dup.yaml", []byte(data))).To(MatchError(yamlsafe.ErrTooLarge))
	})

	It("lists 20 of the problems of a file of duplicate rows under the limit, then counts the rest", func() {
		row := "  - {from: any, to: director, port: 443, protocol: https}\n"
		n := 400 << 10 / len(row)
		err := parseBounded("dup.yaml", []byte("name: dup\nrows:\n"+strings.Repeat(row, n)))
		Expect(err).To(HaveOccurred())
		lines := strings.Split(err.Error(), "\n")
		Expect(lines).To(HaveLen(21))
		Expect(lines[0]).To(Equal(`dup.yaml:4: row 2 repeats "any->director tcp/443 https" from line 3`))
		Expect(lines[20]).To(Equal(fmt.Sprintf("... and %s more", commas(n-1-20))))
	})
})

func commas(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
