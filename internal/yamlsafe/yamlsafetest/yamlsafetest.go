// Package yamlsafetest holds the bad-input corpus of the YAML loaders (bombs, deep nesting,
// oversized files) and a guard that runs a loader on one of them within a memory bound and a
// time bound, for the tests of every package that reads YAML.
package yamlsafetest

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"time"
)

// Case is one bad input: a name for the test and the bytes.
type Case struct {
	Name string
	Data []byte
}

// Laughs is a "billion laughs": nine levels of nine aliases, 9^9 (387 million) "lol" values
// once expanded, in a few hundred bytes. It is a flow sequence, so it can stand as the value
// of any field (a string field, a list of strings) of a file that is otherwise valid.
func Laughs() string {
	var b strings.Builder
	b.WriteString(`[&a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]`)
	for c := 'b'; c <= 'i'; c++ {
		fmt.Fprintf(&b, ", &%c [", c)
		for i := range 9 {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "*%c", c-1)
		}
		b.WriteString("]")
	}
	b.WriteString(", *i]")
	return b.String()
}

// Nesting returns the inputs that nest without end: 400 KB of "[", 50,000 nested "{a: ",
// 100,000 block sequences on one line ("- - - ..."), and 1,000 block mappings indented one
// column further each.
func Nesting() []Case {
	var blockMap strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&blockMap, "%sk:\n", strings.Repeat(" ", i))
	}
	return []Case{
		{"400 KB of [", []byte(strings.Repeat("[", 400_000))},
		{"50k nested {a:", []byte(strings.Repeat("{a: ", 50_000))},
		{"100k block sequences on one line", []byte(strings.Repeat("- ", 100_000) + "x\n")},
		{"1000 indented mappings", []byte(blockMap.String())},
	}
}

// Dense returns inputs just under the default size limit that are as expensive per byte as
// YAML gets: one flow sequence of 250,000 one-letter values, and 130,000 lines of "- a".
func Dense() []Case {
	return []Case{
		{"250k values in one flow sequence", []byte("name: [" + strings.Repeat("a,", 250_000) + "a]\n")},
		{"130k block entries", []byte("name:\n" + strings.Repeat("- a\n", 130_000))},
	}
}

// Within runs f and returns its result and how many bytes it allocated; violation is non-nil
// when f runs past timeout (a hang) or allocates more than bound bytes in total. Total
// allocation is an upper bound of the peak heap, counted exactly by the runtime, so the bound
// holds without sampling. The runtime's soft memory limit is set to bound meanwhile, so the
// garbage collector works to keep the heap below it. f must not start goroutines that outlive
// it, and nothing else may allocate much meanwhile (tests that use Within do not run in parallel).
func Within(bound uint64, timeout time.Duration, f func() error) (result error, allocated uint64, violation error) {
	old := debug.SetMemoryLimit(int64(bound))
	defer debug.SetMemoryLimit(old)
	runtime.GC()
	before := allocs()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case result = <-done:
	case <-time.After(timeout):
		return nil, allocs() - before, fmt.Errorf("still running after %s: the loader hangs", timeout)
	}
	allocated = allocs() - before
	if allocated > bound {
		violation = fmt.Errorf("allocated %d MiB, more than the bound of %d MiB", allocated>>20, bound>>20)
	}
	return result, allocated, violation
}

func allocs() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
