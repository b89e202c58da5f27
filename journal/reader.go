package journal

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
)

// ReadFile reads every whole event of a journal. A line cut short by a crash (the writer ends it
// on its next start) or still being written is skipped, not an error.
func ReadFile(path string) ([]Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	defer f.Close()
	evs, _, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	return evs, nil
}

// Read decodes JSON Lines events from r and counts the lines it skipped as cut or unreadable.
func Read(r io.Reader) (out []Event, skipped int, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		b, rerr := br.ReadBytes('\n')
		if len(b) > 0 && b[len(b)-1] == '\n' && len(b) > 1 {
			var e Event
			if json.Unmarshal(b, &e) == nil {
				out = append(out, e)
			} else {
				skipped++
			}
		}
		if rerr == io.EOF {
			return out, skipped, nil // an unterminated tail is an event still being written
		}
		if rerr != nil {
			return out, skipped, rerr
		}
	}
}

// Merge reads several journals (the members of one pool) into one time-ordered list.
func Merge(paths ...string) ([]Event, error) {
	var all []Event
	for _, p := range paths {
		evs, err := ReadFile(p)
		if err != nil {
			return nil, err
		}
		all = append(all, evs...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Time.Before(all[j].Time) })
	return all, nil
}
