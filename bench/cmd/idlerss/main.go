// Command idlerss measures what an idle SIP/MTLS connection costs the mock: it starts
// `mockdirector serve --role edge-internal` (5061 only) as a child process on loopback, opens N
// mutual-TLS connections to it that each send one OPTIONS and then stay idle, and prints the
// serve process's RSS before, with the N connections open, and after they closed (at once, and
// after a wait), with the cost per connection:
//
//	go build -o /tmp/md ./cmd/mockdirector
//	go run ./bench/cmd/idlerss -mockdirector /tmp/md -n 10000
//
// Everything runs on 127.0.0.0/8; the client and the mock are separate processes, as a user's
// load is. The file descriptor limit must allow N on both sides (ulimit -n).
package main

import (
	"bufio"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mockdirector/mockdirector/certs"
)

func main() {
	bin := flag.String("mockdirector", "", "the mockdirector binary (go build -o /tmp/md ./cmd/mockdirector)")
	n := flag.Int("n", 10000, "idle connections to open")
	bind := flag.String("bind", "127.0.30.1", "loopback address the mock binds")
	src := flag.String("src", "127.0.30.2", "loopback address the connections come from")
	offset := flag.Int("port-offset", 16000, "serve --port-offset (5061 becomes 5061+offset)")
	key := flag.String("key", "ecdsa-p256", "key type of the generated certificates (rsa2048 for the default's handshake cost)")
	settle := flag.Duration("settle", 3*time.Second, "wait before each RSS reading")
	after := flag.Duration("after", 10*time.Second, "wait after closing before the last RSS reading")
	extra := flag.String("serve-args", "", "more serve flags, space-separated")
	env := flag.String("serve-env", "", "environment for serve only, space-separated (GODEBUG=gctrace=1 GOMEMLIMIT=256MiB)")
	flag.Parse()
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "idleconns: -mockdirector BINARY is required")
		os.Exit(2)
	}
	if err := run(*bin, *n, *bind, *src, *offset, *key, *settle, *after, strings.Fields(*extra), strings.Fields(*env)); err != nil {
		fmt.Fprintln(os.Stderr, "idleconns:", err)
		os.Exit(1)
	}
}

func run(bin string, n int, bind, src string, offset int, key string, settle, after time.Duration, extra, env []string) error {
	dir, err := os.MkdirTemp("", "idleconns")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	args := append([]string{"serve", "--role", "edge-internal", "--bind", bind, "--port-offset", strconv.Itoa(offset),
		"--certs", filepath.Join(dir, "certs"), "--key", key, "--journal", filepath.Join(dir, "j.jsonl"), "--no-guards",
		"--max-conns", "-1", "--max-conns-per-source", "-1"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	br := bufio.NewReader(out)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return fmt.Errorf("serve ended before it was ready: %w", err)
		}
		if strings.HasPrefix(line, "ready") {
			break
		}
	}
	go io.Copy(io.Discard, br)
	id, err := certs.LoadFromDir(filepath.Join(dir, "certs"), certs.ProbeName)
	if err != nil {
		return err
	}
	addr := net.JoinHostPort(bind, strconv.Itoa(5061+offset))
	conf := id.ClientConfig("edge-int.contoso.local")
	conf.InsecureSkipVerify = true // the connection's cost is measured, not the name

	time.Sleep(settle)
	base := rss(cmd.Process.Pid)
	fmt.Printf("serve RSS at start: %s\n", kib(base))

	start := time.Now()
	conns := make([]net.Conn, n)
	var failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				c, err := dialOptions(addr, src, conf, i)
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				conns[i] = c
			}
		}()
	}
	wg.Wait()
	open := n - int(failed.Load())
	fmt.Printf("opened %d MTLS connections (one OPTIONS each, then idle) in %s; %d failed\n", open, time.Since(start).Round(time.Millisecond), failed.Load())
	if e := firstErr.Load(); e != nil {
		fmt.Printf("first failure: %v\n", e)
	}
	time.Sleep(settle)
	peak := rss(cmd.Process.Pid)
	per := float64(peak-base) / float64(max(open, 1))
	fmt.Printf("serve RSS with %d idle connections: %s (%+.1f KiB per connection)\n", open, kib(peak), per/1024)
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
	time.Sleep(settle)
	closed := rss(cmd.Process.Pid)
	fmt.Printf("serve RSS %s after they closed: %s\n", settle, kib(closed))
	time.Sleep(after)
	later := rss(cmd.Process.Pid)
	fmt.Printf("serve RSS %s after they closed: %s (%.0f%% of the connections' memory returned)\n", settle+after, kib(later),
		100*float64(peak-later)/float64(max(peak-base, 1)))
	fmt.Printf("RESULT n=%d per_conn_kib=%.1f peak_kib=%d base_kib=%d closed_kib=%d later_kib=%d\n", open, per/1024, peak/1024, base/1024, closed/1024, later/1024)
	return nil
}

// dialOptions opens one MTLS connection from src, sends an OPTIONS and reads its answer.
func dialOptions(addr, src string, conf *tls.Config, i int) (net.Conn, error) {
	d := &net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	c, err := tls.DialWithDialer(d, "tcp", addr, conf)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(c, "OPTIONS sip:edge-int.contoso.local SIP/2.0\r\nVia: SIP/2.0/TLS %s;branch=z9hG4bKidle%d\r\n"+
		"From: <sip:idle@contoso.com>;tag=%d\r\nTo: <sip:edge-int.contoso.local>\r\nCall-ID: idle-%d\r\nCSeq: 1 OPTIONS\r\n"+
		"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n", c.LocalAddr(), i, i, i)
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil {
		c.Close()
		return nil, err
	}
	if !strings.HasPrefix(line, "SIP/2.0 200") {
		c.Close()
		return nil, errors.New("answer: " + strings.TrimSpace(line))
	}
	for { // the rest of the headers
		l, err := r.ReadString('\n')
		if err != nil {
			c.Close()
			return nil, err
		}
		if l == "\r\n" {
			break
		}
	}
	c.SetDeadline(time.Time{})
	return c, nil
}

// rss is a process's resident set size in bytes (/proc/PID/status VmRSS).
func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			k, _ := strconv.ParseInt(f[1], 10, 64)
			return k * 1024
		}
	}
	return 0
}

func kib(b int64) string { return fmt.Sprintf("%d KiB", b/1024) }
