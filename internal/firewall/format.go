package firewall

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Format writes a rule set in one firewall's language.
type Format interface {
	// Describe says in one line what the output is and how it is loaded.
	Describe() string
	// Binary reports whether the output is a binary file (not for a terminal).
	Binary() bool
	// Write writes the whole rule set, default deny included.
	Write(w io.Writer, rs *RuleSet) error
}

// formats maps a --format name to its implementation; each lives in its own file.
var formats = map[string]Format{
	"nftables":  nftables{},
	"iptables":  iptables{},
	"windows":   windows{},
	"csv":       csvSheet{},
	"xlsx":      xlsxSheet{},
	"cisco-asa": ciscoASA{},
	"paloalto":  paloAlto{},
}

// Formats returns the format names, sorted.
func Formats() []string {
	var names []string
	for n := range formats {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Lookup returns the format of a name, or an error listing the formats.
func Lookup(name string) (Format, error) {
	f, ok := formats[name]
	if !ok {
		return nil, fmt.Errorf("unknown firewall format %q (formats: %s)", name, strings.Join(Formats(), ", "))
	}
	return f, nil
}

// header returns the lines every text output starts with, each prefixed by a comment marker:
// where the rules come from, that everything else is denied, and the warnings.
func header(rs *RuleSet, marker, format string) string {
	var b strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&b, "%s %s\n", marker, fmt.Sprintf(format, a...)) }
	line("mockdirector firewall export --format %s", format)
	line("table: %s; topology: %s; %d rules, one per allow row of the table.", rs.Scenario, rs.Topology, len(rs.Rules))
	line("Everything else is denied. Each rule carries its row ID, the name the row has in")
	line("mockdirector probe and report, so a failing row points at its rule.")
	for _, w := range rs.Warnings {
		line("WARNING: %s", w)
	}
	return b.String()
}
