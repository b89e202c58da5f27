package scenarios

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/mockdirector/mockdirector/internal/wire"
)

// LintPass is the lint expectation "no error findings".
const LintPass = string(wire.VerdictPass)

// LintExpect is a row's lint expectation. In YAML it is either the word pass:
//
//	lint: pass
//
// or the finding codes (certs.Code*) that must all be present:
//
//	lint: [SAN_MISSING, KEY_RSA_BELOW_2048]
type LintExpect struct {
	// Pass demands no error-severity findings.
	Pass bool
	// Codes must all be among the findings (any severity).
	Codes []string

	// word is a scalar other than pass, kept for validate to report with the row's line.
	word string
}

var lintCode = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

// UnmarshalYAML reads "pass" or a list of codes.
func (l *LintExpect) UnmarshalYAML(unmarshal func(any) error) error {
	var word string
	if err := unmarshal(&word); err == nil {
		*l = LintExpect{Pass: word == LintPass}
		if !l.Pass {
			l.word = word
		}
		return nil
	}
	var codes []string
	if err := unmarshal(&codes); err != nil {
		return errors.New("lint: write lint: pass, or a list of finding codes like lint: [SAN_MISSING]")
	}
	*l = LintExpect{Codes: codes}
	return nil
}

// MarshalYAML writes the form UnmarshalYAML reads.
func (l LintExpect) MarshalYAML() (any, error) {
	if l.Pass {
		return LintPass, nil
	}
	return l.Codes, nil
}

// String is "pass" or "CODE, CODE".
func (l LintExpect) String() string {
	if l.Pass {
		return LintPass
	}
	return strings.Join(l.Codes, ", ")
}

func (l LintExpect) validate() []string {
	if l.word != "" && !l.Pass {
		return []string{fmt.Sprintf("lint %q: write lint: pass, or a list of finding codes like lint: [SAN_MISSING]", l.word)}
	}
	if !l.Pass && len(l.Codes) == 0 {
		return []string{"lint: an empty list demands nothing; write lint: pass, or name finding codes"}
	}
	var errs []string
	for _, c := range l.Codes {
		if !lintCode.MatchString(c) {
			errs = append(errs, fmt.Sprintf("lint code %q is not a finding code (upper case, like SAN_MISSING or KEY_TOO_SMALL)", c))
		}
	}
	return errs
}
