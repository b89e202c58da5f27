// Package testdir gives Ginkgo specs a temporary directory removed when the spec ends, like
// GinkgoT().TempDir(), that also cleans up under Wine.
//
// Under Wine 8 os.RemoveAll fails with "Invalid function" (ERROR_INVALID_FUNCTION): Go >= 1.24
// deletes through NtSetInformationFile(FileDispositionInformationEx), which Wine does not
// implement, while os.Remove of each entry works. Only there, and only for that error, the
// directory is removed entry by entry instead; any other failure fails the spec as before.
package testdir

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/onsi/ginkgo/v2"
)

// New makes a temporary directory and removes it, with everything in it, when the spec (or the
// suite node that made it) ends.
func New() string {
	dir, err := os.MkdirTemp("", "md-test-")
	if err != nil {
		ginkgo.Fail("temporary directory: " + err.Error())
	}
	ginkgo.DeferCleanup(RemoveAll, dir)
	return dir
}

// RemoveAll is os.RemoveAll, with the entry-by-entry fallback under Wine described above.
func RemoveAll(dir string) error {
	err := os.RemoveAll(dir)
	if err == nil || !UnderWine() || !errors.Is(err, errInvalidFunction) {
		return err
	}
	var paths []string
	if werr := filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		paths = append(paths, p)
		return nil
	}); werr != nil {
		return errors.Join(err, werr)
	}
	// Deepest first: files and then the directories that held them.
	slices.Reverse(paths)
	for _, p := range paths {
		if rerr := os.Remove(p); rerr != nil {
			return errors.Join(err, rerr)
		}
	}
	return nil
}
