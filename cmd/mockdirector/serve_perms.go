package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// journalMode is the mode of the journal: it holds source addresses, certificate subjects, SIP
// From and X-Forwarded-For, which are for the person running the mock only.
const journalMode = 0o600

// ensureJournalMode creates the journal 0600 before the journal writer appends to it, and
// takes group and other permissions off an existing one (saying so on out).
func ensureJournalMode(path string, out io.Writer) error {
	if path == "" {
		return nil
	}
	st, err := os.Stat(path)
	if os.IsNotExist(err) {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, journalMode)
		if err != nil {
			return fmt.Errorf("journal %s: %w", path, err)
		}
		return f.Close()
	}
	if err != nil {
		return fmt.Errorf("journal %s: %w", path, err)
	}
	if st.Mode().IsRegular() && st.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(path, journalMode); err != nil {
			return fmt.Errorf("journal %s is readable by other users (mode %04o) and cannot be made 0600: %w", path, st.Mode().Perm(), err)
		}
		fmt.Fprintf(out, "journal %s was readable by other users (mode %04o): now 0600\n", path, st.Mode().Perm())
	}
	return nil
}

// checkJournalDir refuses a --journal whose directory does not exist (or is not a directory),
// before the admin token or anything else is written next to it: a mistyped path is not made,
// and the message says what to do instead of an open error from deep in the journal.
func checkJournalDir(path string) error {
	if path == "" {
		return nil
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case os.IsNotExist(err):
		return usageErr(fmt.Errorf("--journal %s: the directory %s does not exist: create it (mkdir %s) or give a journal file in an existing directory", path, dir, dir))
	case err != nil:
		return fmt.Errorf("--journal %s: %w", path, err)
	case !st.IsDir():
		return usageErr(fmt.Errorf("--journal %s: %s is a file, not a directory: give a journal file in a directory", path, dir))
	}
	return nil
}
