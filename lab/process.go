package lab

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is a long-running peer started inside a namespace in its own process group.
type proc struct {
	Name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startIn runs name args... inside ns (ip netns exec), output captured, killed with its process
// group by Stop. There is deliberately no Pdeathsig: it fires when the OS thread that forked the
// child ends, which in Go is not the process ending. Should the test binary die, the next run's
// removeLeftovers kills whatever still runs in an mdlab-* namespace.
func startIn(label, ns, name string, args ...string) (*proc, error) {
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns, name}, args...)...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("lab: start %s: %w", label, err)
	}
	p := &proc{Name: label, cmd: cmd, out: out, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Output is what the process wrote so far.
func (p *proc) Output() string { return p.out.String() }

// Exited reports whether the process has ended.
func (p *proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// WaitOutput waits until the output contains s, the process exits or d passes.
func (p *proc) WaitOutput(s string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if strings.Contains(p.Output(), s) {
			return nil
		}
		if p.Exited() {
			return fmt.Errorf("lab: %s exited (%v) before saying %q:\n%s", p.Name, p.err, s, tail(p.Output()))
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("lab: %s did not say %q within %s:\n%s", p.Name, s, d, tail(p.Output()))
}

// Stop sends SIGTERM to the process group, then SIGKILL after a grace period.
func (p *proc) Stop() {
	if p == nil || p.Exited() {
		return
	}
	pgid := p.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(3 * time.Second):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
}

func tail(s string) string {
	if len(s) > 3000 {
		return "..." + s[len(s)-3000:]
	}
	return s
}

// writeFile writes a file, creating its directory.
func writeFile(path, content string) error {
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	return nil
}
