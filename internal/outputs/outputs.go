// Package outputs is the one shape of a --format registry: names mapped to renderers of one
// value (probe's report, report's result), so every command lists, picks and refuses formats
// the same way.
package outputs

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Output renders a finished value in one format.
type Output[T any] interface {
	Write(w io.Writer, v *T) error
}

// Func is an Output that needs no options.
type Func[T any] func(w io.Writer, v *T) error

// Write calls f.
func (f Func[T]) Write(w io.Writer, v *T) error { return f(w, v) }

// Registry maps a format name to its output; each lives in its own file of its package.
type Registry[T any] map[string]Output[T]

// Names lists the formats, sorted.
func (r Registry[T]) Names() []string {
	names := make([]string, 0, len(r))
	for n := range r {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Get returns the named output, or an error that lists the formats there are.
func (r Registry[T]) Get(name string) (Output[T], error) {
	if o, ok := r[name]; ok {
		return o, nil
	}
	return nil, fmt.Errorf("format %q is not one of %s", name, strings.Join(r.Names(), ", "))
}

// Write renders v in the named format.
func (r Registry[T]) Write(w io.Writer, name string, v *T) error {
	o, err := r.Get(name)
	if err != nil {
		return err
	}
	return o.Write(w, v)
}
