//go:build !windows

package journal

import "os"

// openAppend opens (or creates, 0600) the journal for appending.
func openAppend(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
}

// openRead opens a journal file for reading.
func openRead(path string) (*os.File, error) { return os.Open(path) }

// syncDir makes a rename in dir durable (the rotated file's new name, the new live file).
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
