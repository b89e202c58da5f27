package netns

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func kill(pid int) { _ = syscall.Kill(pid, syscall.SIGKILL) }

// Do runs fn on an OS thread switched into namespace ns. A socket keeps the namespace it was
// created in for life, so what fn opens can then be used from any goroutine. The thread is
// switched back before it is unlocked; if that fails it stays locked and the runtime ends it
// with the goroutine. The error is the switch's; fn reports its own through its closure or
// its return.
func Do(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		home, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			errc <- fmt.Errorf("netns: %w", err)
			return
		}
		defer home.Close()
		f, err := os.Open("/run/netns/" + ns)
		if err != nil {
			errc <- fmt.Errorf("netns: %w", err)
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("netns: setns %s: %w", ns, err)
			return
		}
		err = fn()
		if unix.Setns(int(home.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	return <-errc
}

// Lease is the host-wide lock of one namespace prefix (a file lock, released by the kernel when
// its process dies), for suites whose namespace names are the same on every run.
type Lease struct {
	f *os.File
}

// Lock takes the lease of prefix, waiting up to wait while another process holds it; the error
// names that process.
func Lock(prefix string, wait time.Duration) (*Lease, error) {
	path := filepath.Join(os.TempDir(), "mockdirector-netns-"+strings.TrimSuffix(prefix, "-")+".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("netns: lease of %s*: %w", prefix, err)
	}
	deadline := time.Now().Add(wait)
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EWOULDBLOCK) || time.Now().After(deadline) {
			holder, _ := os.ReadFile(path)
			f.Close()
			return nil, fmt.Errorf("netns: the namespaces %s* are another run's (pid %s, lock %s), still after %s: %w",
				prefix, strings.TrimSpace(string(holder)), path, wait, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lease{f: f}, nil
}

// Unlock releases the lease; a second call does nothing.
func (l *Lease) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	f := l.f
	l.f = nil
	f.Truncate(0)
	err := unix.Flock(int(f.Fd()), unix.LOCK_UN)
	return errors.Join(err, f.Close())
}
