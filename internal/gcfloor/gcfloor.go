// Package gcfloor keeps the Go collector from running on a small heap far more often than it
// needs to. With Go's default (GOGC=100) the heap may only double between collections, and a
// mock under load whose live heap is a few MiB collects dozens of times a second: each cycle's
// fixed cost (stacks of every connection's goroutine, the write barrier) is paid per request.
// Set lets the heap grow toward a floor before the collector runs; once the heap is past the
// floor (10,000 open connections) Go's own pacing (GOGC=100) applies, so the floor costs at
// most about its size in memory.
//
// The tuning is bytedance/gopkg's gctuner: after every collection it sets the GC percent from
// the heap in use so the next one comes near the floor (the heap in use still counts unswept
// garbage, so the goal falls short of it: 19 MB with 3 MB live and a 64 MiB floor).
//
// It is off by default. Measured on 2 shared cores (wrk -c64 keep-alive on 443): a 64 MiB floor
// took the collections from 64 to 17 in 5 s and the GC's CPU share from 4% to 0%, about 3% of
// the CPU per request (bare/mock CPU 0.70 -> 0.73); but 10,000 idle MTLS connections on 5061
// then held about 1.5 KiB more each (34-35 against 31-33 KiB), against the 30 KiB the mock
// aims for. A load test turns it on; a long-running prover leaves it off.
package gcfloor

import (
	"fmt"
	"os"

	"github.com/bytedance/gopkg/util/gctuner"
)

// Suggested is the floor a load test would use (serve --gc-heap-floor 64MiB).
const Suggested = 64 << 20

// maxPercent bounds the GC percent the floor may set: a live heap of 2 MiB reaches a 64 MiB
// floor at about 3,100; beyond that the floor is too far above the live heap to matter.
const maxPercent = 5000

// Set starts the tuning toward floor bytes (0: none) and says what it did, for serve's log. A
// GOGC in the environment is the user's own choice and wins: Set then leaves the collector alone.
func Set(floor uint64) string {
	if floor == 0 {
		return ""
	}
	if v, ok := os.LookupEnv("GOGC"); ok {
		return fmt.Sprintf("GOGC=%s is set: the heap floor is not applied", v)
	}
	gctuner.SetMinGCPercent(100) // above the floor: Go's default pacing, never a tighter one
	gctuner.SetMaxGCPercent(maxPercent)
	gctuner.Tuning(floor)
	return ""
}
