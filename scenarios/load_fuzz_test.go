package scenarios_test

import (
	"os"
	"strings"
	"testing"

	"github.com/mockdirector/mockdirector/internal/yamlsafe/yamlsafetest"
	"github.com/mockdirector/mockdirector/scenarios"
)

// FuzzParse feeds the scenario loader arbitrary text: it must end in a scenario or an error,
// never a panic, and an error lists at most yamlsafe.MaxProblems problems plus a count.
// A scenario that loads must answer every question serve, probe and report ask of it.
func FuzzParse(f *testing.F) {
	for _, name := range scenarios.Builtin() {
		data, err := scenarios.Source(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	if data, err := os.ReadFile("../lab/hold.yaml"); err == nil {
		f.Add(data)
	}
	f.Add([]byte("name: x\ndescription: " + yamlsafetest.Laughs() + "\nrows: []\n"))
	f.Add([]byte("name: x\nrows:\n  - {from: any, to: director, port: 1, protocol: tcp, lint: [A], hold: 1s, check: hold}\n"))
	f.Add([]byte("rows:\n  - &r {from: any, to: director, port: 1, protocol: tcp}\n  - *r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := scenarios.Parse("fuzz.yaml", data)
		if err != nil {
			if n := strings.Count(err.Error(), "\n"); n > 20 {
				t.Fatalf("error has %d lines, more than the cap", n+1)
			}
			return
		}
		if len(s.Rows) == 0 {
			t.Fatal("a scenario without rows loaded")
		}
		for _, r := range s.Rows {
			_, _, _, _, _ = r.ID(), r.CheckKind(), r.HoldFor(), r.Denied(), r.Allowed()
			if r.Lint != nil {
				_ = r.Lint.String()
			}
		}
		for _, role := range scenarios.ServerRoles {
			_ = s.ServedBy(role)
		}
		for _, role := range scenarios.SourceRoles {
			_ = s.From(role)
		}
	})
}
