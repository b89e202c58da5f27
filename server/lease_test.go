package server_test

import (
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// Most specs bind port 0 (roleprofile.PlanOptions.Ephemeral), so runs on one host never
// collide. The two whose point is a port number (two members on the same ports, a busy guard
// port) bind table port + leasedOffset on an address of this suite's block they lease first.

// leasedOffset keeps every director port (80 .. 50003) outside the kernel's ephemeral range
// (32768-60999), so no client socket on the host can hold one; the lease keeps a second run
// of this suite off the address meanwhile.
const leasedOffset = 13000

// leaseAddr holds an exclusive lock on the loopback address until the spec ends, waiting (up
// to 2 minutes) while another run of the suite holds it. The lock file is the one every suite
// of the module leases an address with (cmd/mockdirector's leaseAddr), so two suites that
// share an address wait for each other too.
func leaseAddr(addr string) {
	lock := flock.New(filepath.Join(os.TempDir(), "mockdirector-test-addr-"+addr+".lock"))
	Eventually(lock.TryLock, 2*time.Minute, 100*time.Millisecond).Should(BeTrue(), "another run of the suite holds %s", addr)
	DeferCleanup(lock.Unlock)
}
