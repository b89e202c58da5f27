package gcfloor_test

import (
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/bytedance/gopkg/util/gctuner"

	"github.com/mockdirector/mockdirector/internal/gcfloor"
)

// The tuner is process-wide: the GOGC case runs first and leaves it untouched.
func TestGOGCInTheEnvironmentWins(t *testing.T) {
	t.Setenv("GOGC", "150")
	msg := gcfloor.Set(gcfloor.Suggested)
	if !strings.Contains(msg, "GOGC=150") {
		t.Fatalf("Set with GOGC=150 said %q, want it to name GOGC=150", msg)
	}
	if got := gctuner.GetGCPercent(); got != 100 && got != 150 {
		t.Fatalf("GC percent %d after a refused Set: the tuner ran", got)
	}
	if msg := gcfloor.Set(0); msg != "" {
		t.Fatalf("Set(0) said %q: it does nothing and says nothing", msg)
	}
}

// A test binary's live heap is a few MiB: with a 64 MiB floor the tuner raises the GC percent
// well above Go's 100 after a collection.
func TestFloorRaisesTheGCPercentOfASmallHeap(t *testing.T) {
	t.Setenv("GOGC", "")
	os.Unsetenv("GOGC")
	if msg := gcfloor.Set(gcfloor.Suggested); msg != "" {
		t.Fatalf("Set said %q", msg)
	}
	deadline := time.Now().Add(5 * time.Second)
	for gctuner.GetGCPercent() <= 100 {
		if time.Now().After(deadline) {
			t.Fatalf("GC percent still %d 5 s after Set(64 MiB) with a small heap", gctuner.GetGCPercent())
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("GC percent %d", gctuner.GetGCPercent())
}
