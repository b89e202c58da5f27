package report

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"

	"github.com/mockdirector/mockdirector/journal"
)

// ErrNotJournal is the error of a file that is not a journal (a YAML file, a probe result).
var ErrNotJournal = errors.New("not a journal")

// ReadJournals reads the journals of the members of a pool into one time-ordered list, and
// describes each file as an Input (SHA-256, events, unreadable lines as file:line). A file whose
// first line is not a journal event is an error naming the file and the line (ErrNotJournal);
// an unreadable line after a good one is counted and named, not fatal; an unterminated last
// line is an event still being written and is skipped.
//
// It is report's own loop until the journal reader gives line numbers; it keeps to
// journal.Event so it can move onto that reader.
func ReadJournals(paths ...string) ([]journal.Event, []Input, error) {
	var all []journal.Event
	var inputs []Input
	for _, p := range paths {
		evs, in, err := readJournal(p)
		if err != nil {
			return nil, nil, err
		}
		all = append(all, evs...)
		inputs = append(inputs, in)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Time.Before(all[j].Time) })
	return all, inputs, nil
}

func readJournal(path string) ([]journal.Event, Input, error) {
	in := Input{Kind: "journal", Path: path}
	f, err := os.Open(path)
	if err != nil {
		return nil, in, fmt.Errorf("journal: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	br := bufio.NewReaderSize(io.TeeReader(f, h), 64<<10)
	var out []journal.Event
	good := false
	for n := 1; ; n++ {
		b, rerr := br.ReadBytes('\n')
		in.Bytes += int64(len(b))
		if rerr == nil && len(bytes.TrimSpace(b)) > 0 {
			e, ok := decodeEvent(b)
			switch {
			case ok:
				good = true
				out = append(out, e)
			case !good:
				return nil, in, fmt.Errorf("journal %s:%d: %w: %q is not a journal event (pass the file serve --journal wrote)", path, n, ErrNotJournal, clip(b))
			default:
				in.BadLines = append(in.BadLines, path+":"+strconv.Itoa(n))
			}
		}
		if rerr == io.EOF {
			if t := bytes.TrimSpace(b); !good && len(t) > 0 && t[0] != '{' {
				return nil, in, fmt.Errorf("journal %s:%d: %w: %q is not a journal event (pass the file serve --journal wrote)", path, n, ErrNotJournal, clip(b))
			}
			break // an unterminated tail is an event still being written
		}
		if rerr != nil {
			return nil, in, fmt.Errorf("journal %s: %w", path, rerr)
		}
	}
	in.Events = len(out)
	in.SHA256 = hex.EncodeToString(h.Sum(nil))
	return out, in, nil
}

// decodeEvent reads one line as an event: a JSON object with at least a time, a kind and a role.
func decodeEvent(b []byte) (journal.Event, bool) {
	var e journal.Event
	if json.Unmarshal(b, &e) != nil || e.Time.IsZero() || e.Kind == "" || e.Role == "" {
		return journal.Event{}, false
	}
	return e, true
}

func clip(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) > 60 {
		return string(b[:60]) + "..."
	}
	return string(b)
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
