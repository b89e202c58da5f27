package testdir_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/mockdirector/mockdirector/internal/testdir"
)

// make windows sets MOCKDIRECTOR_EXPECT_WINE=1: there the fallback must be the one that ran.
func TestUnderWineWhenExpected(t *testing.T) {
	if os.Getenv("MOCKDIRECTOR_EXPECT_WINE") == "1" && !testdir.UnderWine() {
		t.Fatal("MOCKDIRECTOR_EXPECT_WINE=1 but Wine's ntdll was not found")
	}
	t.Logf("under Wine: %v", testdir.UnderWine())
}

func TestRemoveAllRemovesATree(t *testing.T) {
	dir, err := os.MkdirTemp("", "md-testdir-")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"a", "s/b", "s/t/c"} {
		p = filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := testdir.RemoveAll(dir); err != nil {
		t.Fatalf("RemoveAll: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s is still there: %v", dir, err)
	}
}
