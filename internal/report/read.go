package report

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/mockdirector/mockdirector/journal"
)

// ErrNotJournal is the error of a file that is not a journal (a YAML file, a probe result).
var ErrNotJournal = errors.New("not a journal")

// ReadJournals streams the journals of the members of a pool (each with its rotated files) to
// add in time order, with memory independent of their size (journal.Scan), and describes each
// file as an Input for the manifest (SHA-256, bytes, unreadable lines as file:line). A file
// whose first line is not a journal event is an error naming the file and the line
// (ErrNotJournal); an unreadable line after a good one is counted and named, not fatal; an
// unterminated last line is an event still being written and is skipped.
func ReadJournals(add func(journal.Event), paths ...string) ([]Input, error) {
	per := map[string]int{}
	st, err := journal.Scan(paths, func(e journal.Event) error {
		add(e)
		return nil
	})
	if err != nil {
		var nj *journal.NotJournalError
		if errors.As(err, &nj) {
			return nil, fmt.Errorf("journal %s:%d: %w: %q is not a journal event (pass the file serve --journal wrote)", nj.File, nj.Line, ErrNotJournal, nj.Prefix)
		}
		return nil, fmt.Errorf("journal: %w", err)
	}
	var inputs []Input
	for _, f := range st.Files {
		in, err := HashFile("journal", f)
		if err != nil {
			return nil, err
		}
		per[f] = len(inputs)
		inputs = append(inputs, in)
	}
	for _, bl := range st.Bad {
		if i, ok := per[bl.File]; ok {
			inputs[i].BadLines = append(inputs[i].BadLines, bl.File+":"+strconv.Itoa(bl.Line))
		}
	}
	if more := st.BadCount - len(st.Bad); more > 0 && len(inputs) > 0 {
		inputs[len(inputs)-1].BadLines = append(inputs[len(inputs)-1].BadLines, fmt.Sprintf("... and %d more", more))
	}
	if len(inputs) > 0 {
		inputs[0].Events = st.Events // journal.Scan merges the files: the count is for them all
	}
	return inputs, nil
}

// HashFile describes a file the report read but does not parse itself (scenario, topology,
// probe results) for the manifest.
func HashFile(kind, path string) (Input, error) {
	in := Input{Kind: kind, Path: path}
	f, err := os.Open(path)
	if err != nil {
		return in, fmt.Errorf("%s: %w", kind, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return in, fmt.Errorf("%s %s: %w", kind, path, err)
	}
	in.Bytes, in.SHA256 = n, hex.EncodeToString(h.Sum(nil))
	return in, nil
}

// AddInputs records files the report read (the manifest) and counts their unreadable lines.
func (res *Result) AddInputs(ins ...Input) {
	res.Inputs = append(res.Inputs, ins...)
	for _, in := range ins {
		res.Summary.BadLines += len(in.BadLines)
	}
}
