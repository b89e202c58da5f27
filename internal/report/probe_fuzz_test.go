package report_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mockdirector/mockdirector/internal/report"
)

// FuzzLoadProbe feeds report --probe arbitrary files: each ends in results or an error naming
// the file, never a panic, and loaded results attach to a matrix without panicking.
func FuzzLoadProbe(f *testing.F) {
	f.Add([]byte(`{"scenario":"s","results":[{"id":"any->director tcp/443 https","from":"any","to":"director","port":443,"protocol":"https","verdict":"pass","duration_ms":3}]}`))
	f.Add([]byte(`{"results":[{"id":""}]}`))
	f.Add([]byte(`{"results":null}`))
	f.Add([]byte(`[]`))
	p := filepath.Join(f.TempDir(), "probe.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		pf, err := report.LoadProbe(p)
		if err != nil {
			return
		}
		for _, r := range pf.Results {
			if r.ID == "" {
				t.Fatal("a result without an id loaded")
			}
		}
		res := &report.Result{Rows: []report.Row{{ID: "any->director tcp/443 https"}}}
		res.AttachProbe(pf.Results)
	})
}
