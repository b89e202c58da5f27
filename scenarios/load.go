package scenarios

import (
	"embed"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

//go:embed *.yaml
var builtin embed.FS

// BuiltinName is the scenario used when none is named: the seed table.
const BuiltinName = "lync2013-single-director"

// Builtin returns the names of the embedded scenarios.
func Builtin() []string {
	entries, _ := builtin.ReadDir(".")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// Default returns the built-in seed scenario. It cannot fail at run time: the tests load it.
func Default() *Scenario {
	s, err := Load(BuiltinName)
	if err != nil {
		panic(err)
	}
	return s
}

// Load reads a scenario by built-in name or file path.
func Load(nameOrPath string) (*Scenario, error) {
	if data, err := builtin.ReadFile(nameOrPath + ".yaml"); err == nil {
		return Parse("builtin:"+nameOrPath, data)
	}
	data, err := os.ReadFile(nameOrPath)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w (built-in scenarios: %s)", nameOrPath, err, strings.Join(Builtin(), ", "))
	}
	return Parse(nameOrPath, data)
}

// Parse decodes a scenario strictly (unknown fields and wrong types are errors that name
// file:line) and validates every row.
func Parse(file string, data []byte) (*Scenario, error) {
	var s Scenario
	if err := yaml.UnmarshalWithOptions(data, &s, yaml.Strict()); err != nil {
		return nil, YAMLError(file, err)
	}
	s.File = file
	lines := rowLines(data)
	var problems []string
	if len(s.Rows) == 0 {
		problems = append(problems, fmt.Sprintf("%s: no rows", file))
	}
	seen := map[string]int{}
	for i := range s.Rows {
		r := &s.Rows[i]
		if i < len(lines) {
			r.Line = lines[i]
		}
		r.normalize()
		for _, p := range r.validate() {
			problems = append(problems, fmt.Sprintf("%s:%d: row %d: %s", file, r.Line, i+1, p))
		}
		if prev, dup := seen[r.ID()]; dup {
			problems = append(problems, fmt.Sprintf("%s:%d: row %d repeats %q from line %d", file, r.Line, i+1, r.ID(), prev))
		}
		seen[r.ID()] = r.Line
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "\n"))
	}
	for i, c := range s.Complement {
		for _, p := range c.validate() {
			problems = append(problems, fmt.Sprintf("%s: complement %d: %s", file, i+1, p))
		}
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "\n"))
	}
	s.Rows = append(s.Rows, s.Complemented()...)
	return &s, nil
}

// YAMLError turns a go-yaml error into "file:line:col: message", the form editors jump to.
func YAMLError(file string, err error) error {
	var ye yaml.Error
	if errors.As(err, &ye) {
		if tok := ye.GetToken(); tok != nil && tok.Position != nil {
			return fmt.Errorf("%s:%d:%d: %s", file, tok.Position.Line, tok.Position.Column, ye.GetMessage())
		}
	}
	return fmt.Errorf("%s: %w", file, err)
}

// rowLines returns the line of each element of the top-level "rows" sequence.
func rowLines(data []byte) []int {
	f, err := parser.ParseBytes(data, 0)
	if err != nil || len(f.Docs) == 0 {
		return nil
	}
	m, ok := f.Docs[0].Body.(*ast.MappingNode)
	if !ok {
		return nil
	}
	for _, kv := range m.Values {
		if kv.Key.String() != "rows" {
			continue
		}
		seq, ok := kv.Value.(*ast.SequenceNode)
		if !ok {
			return nil
		}
		var lines []int
		for _, v := range seq.Values {
			lines = append(lines, v.GetToken().Position.Line)
		}
		return lines
	}
	return nil
}

// Source returns the YAML text of a scenario by built-in name or file path.
func Source(nameOrPath string) ([]byte, error) {
	if data, err := builtin.ReadFile(nameOrPath + ".yaml"); err == nil {
		return data, nil
	}
	data, err := os.ReadFile(nameOrPath)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w (built-in scenarios: %s)", nameOrPath, err, strings.Join(Builtin(), ", "))
	}
	return data, nil
}
