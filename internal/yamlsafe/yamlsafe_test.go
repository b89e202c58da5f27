package yamlsafe_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mockdirector/mockdirector/internal/yamlsafe"
)

func TestReadFileStopsAtTheLimit(t *testing.T) {
	// /dev/zero never ends: the limit must stop the read, not memory.
	_, err := yamlsafe.ReadFile("/dev/zero", yamlsafe.Limits{MaxBytes: 1 << 10})
	if !errors.Is(err, yamlsafe.ErrTooLarge) || !strings.Contains(err.Error(), "/dev/zero: file too large: more than 1 KiB") {
		t.Fatalf("got %v", err)
	}
	p := filepath.Join(t.TempDir(), "ok.yaml")
	if err := os.WriteFile(p, []byte("a: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if data, err := yamlsafe.ReadFile(p, yamlsafe.Limits{}); err != nil || string(data) != "a: 1\n" {
		t.Fatalf("got %q, %v", data, err)
	}
}

func TestLimits(t *testing.T) {
	for _, c := range []struct {
		name string
		data string
		lim  yamlsafe.Limits
		want error
		at   string
	}{
		{"flow depth", "a: [[[[1]]]]\n", yamlsafe.Limits{MaxDepth: 3}, yamlsafe.ErrTooDeep, "d.yaml:1:"},
		{"block depth", "a:\n  b:\n    c:\n      d: 1\n", yamlsafe.Limits{MaxDepth: 3}, yamlsafe.ErrTooDeep, "d.yaml:4:"},
		{"sequences on one line", "- - - - x\n", yamlsafe.Limits{MaxDepth: 3}, yamlsafe.ErrTooDeep, "d.yaml:1:"},
		{"tokens", "[1, 2, 3, 4, 5]\n", yamlsafe.Limits{MaxTokens: 5}, yamlsafe.ErrTooManyTok, "d.yaml:1:"},
		{"aliases", "a: &a [1, 2, 3]\nb: [*a, *a, *a]\n", yamlsafe.Limits{MaxValues: 15}, yamlsafe.ErrTooManyValue, "d.yaml:"},
		{"tag", "a: !x\n", yamlsafe.Limits{}, yamlsafe.ErrTag, "d.yaml:1:4: YAML tags are not supported: !x"},
		{"size", "a: 1\n", yamlsafe.Limits{MaxBytes: 4}, yamlsafe.ErrTooLarge, "d.yaml: file too large: more than 4 bytes"},
	} {
		_, err := yamlsafe.Parse("d.yaml", []byte(c.data), c.lim)
		if !errors.Is(err, c.want) || !strings.HasPrefix(err.Error(), c.at) {
			t.Errorf("%s: got %v, want %v at %s", c.name, err, c.want, c.at)
		}
		if _, err := yamlsafe.Parse("d.yaml", []byte(c.data), yamlsafe.Limits{}); err != nil && c.want != yamlsafe.ErrTag {
			t.Errorf("%s: the defaults refuse a small file: %v", c.name, err)
		}
	}
}

func TestDecodeIsStrictAndLocatesValues(t *testing.T) {
	var v struct {
		Pools map[string]struct {
			Members []struct {
				Name string `yaml:"name"`
			} `yaml:"members"`
		} `yaml:"pools"`
	}
	doc, err := yamlsafe.Decode("t.yaml", []byte("pools:\n  director:\n    members:\n      - name: a\n      - &m {name: b}\n"), &v, yamlsafe.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got := doc.Line("pools", "director", "members", 1, "name"); got != 5 {
		t.Errorf("line of members[1].name: %d, want 5", got)
	}
	if got := doc.Line("pools", "director", "nothing"); got != 2 {
		t.Errorf("line of a missing key falls back to its parent's: %d, want 2", got)
	}
	if got := doc.Line("nothing"); got != 0 {
		t.Errorf("line of nothing: %d", got)
	}
	_, err = yamlsafe.Decode("t.yaml", []byte("pools:\n  director:\n    colour: red\n"), &v, yamlsafe.Limits{})
	if err == nil || !strings.HasPrefix(err.Error(), "t.yaml:3:") || !strings.Contains(err.Error(), `unknown field "colour"`) {
		t.Errorf("unknown field: %v", err)
	}
	if _, err := yamlsafe.Decode("empty.yaml", nil, &v, yamlsafe.Limits{}); err != nil {
		t.Errorf("empty input: %v", err)
	}
}

func TestProblemsAreCapped(t *testing.T) {
	var p yamlsafe.Problems
	if p.Err() != nil {
		t.Fatal("no problems, an error")
	}
	for i := range 12_365 {
		p.Add("problem %d", i)
	}
	lines := strings.Split(p.Err().Error(), "\n")
	if len(lines) != yamlsafe.MaxProblems+1 || lines[0] != "problem 0" || lines[len(lines)-1] != "... and 12,345 more" || p.Len() != 12_365 {
		t.Fatalf("%d lines, last %q, len %d", len(lines), lines[len(lines)-1], p.Len())
	}
}
