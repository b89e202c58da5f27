package scenarios

import (
	"embed"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/mockdirector/mockdirector/internal/yamlsafe"
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

// Load reads a scenario by built-in name or file path. A file is read within
// yamlsafe's default limits (size, depth, alias expansion): see Parse.
func Load(nameOrPath string) (*Scenario, error) {
	data, file, err := read(nameOrPath)
	if err != nil {
		return nil, err
	}
	return Parse(file, data)
}

// read returns a scenario's text and the name messages give it ("builtin:NAME" or the path).
func read(nameOrPath string) (data []byte, file string, err error) {
	if data, err := builtin.ReadFile(nameOrPath + ".yaml"); err == nil {
		return data, "builtin:" + nameOrPath, nil
	}
	data, err = yamlsafe.ReadFile(nameOrPath, yamlsafe.Limits{})
	if errors.Is(err, yamlsafe.ErrTooLarge) {
		return nil, "", fmt.Errorf("scenario %w", err)
	}
	if err != nil {
		return nil, "", fmt.Errorf("scenario %s: %w (built-in scenarios: %s)", nameOrPath, err, strings.Join(Builtin(), ", "))
	}
	return data, nameOrPath, nil
}

// Parse decodes a scenario strictly (unknown fields and wrong types are errors that name
// file:line) and validates every row. The text is bounded before it is decoded (yamlsafe's
// default size, token, depth and alias-expansion limits), and at most yamlsafe.MaxProblems
// problems are listed, then "... and N more".
func Parse(file string, data []byte) (*Scenario, error) {
	var s Scenario
	doc, err := yamlsafe.Decode(file, data, &s, yamlsafe.Limits{})
	if err != nil {
		return nil, err
	}
	s.File = file
	var problems yamlsafe.Problems
	if len(s.Rows) == 0 {
		problems.Add("%s: no rows", file)
	}
	seen := map[string]int{}
	for i := range s.Rows {
		r := &s.Rows[i]
		r.Line = doc.Line("rows", i)
		r.normalize()
		for _, p := range r.validate() {
			problems.Add("%s:%d: row %d: %s", file, r.Line, i+1, p)
		}
		if prev, dup := seen[r.ID()]; dup {
			problems.Add("%s:%d: row %d repeats %q from line %d", file, r.Line, i+1, r.ID(), prev)
		}
		seen[r.ID()] = r.Line
	}
	for i, c := range s.Complement {
		for _, p := range c.validate() {
			problems.Add("%s:%d: complement %d: %s", file, doc.Line("complement", i), i+1, p)
		}
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	s.Rows = append(s.Rows, s.Complemented()...)
	return &s, nil
}

// YAMLError turns a go-yaml error into "file:line:col: message", the form editors jump to.
func YAMLError(file string, err error) error {
	return yamlsafe.Error(file, err)
}

// Source returns the YAML text of a scenario by built-in name or file path (a file within
// yamlsafe's default size limit).
func Source(nameOrPath string) ([]byte, error) {
	data, _, err := read(nameOrPath)
	return data, err
}
