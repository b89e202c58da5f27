package listeners_test

import (
	"bufio"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/mdtest"
	"github.com/mockdirector/mockdirector/probe"
)

// FuzzCLSSession sends arbitrary bytes to a real Director's CLS listener over mutual TLS, after
// its banner. Whatever arrives, the mock answers each line with PONG, BYE or ERR, ends the session
// when the client ends it (no hang), journals what it answered, and keeps serving the next client.
func FuzzCLSSession(f *testing.F) {
	site, err := mdtest.Start(mdtest.Options{Roles: []string{"director"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { site.Close() })
	o := site.ProbeOptions()
	jobs, err := probe.Plan(o)
	if err != nil {
		f.Fatal(err)
	}
	var job *probe.Job
	for i := range jobs {
		if jobs[i].Check == wire.CheckCLS && jobs[i].Identity != nil && jobs[i].SkipReason == "" {
			job = &jobs[i]
			break
		}
	}
	if job == nil {
		f.Fatal("the site plans no CLS row with a client identity")
	}
	conf := &tls.Config{Certificates: []tls.Certificate{job.Identity.Cert}, RootCAs: job.Roots, ServerName: job.ServerName}

	f.Add([]byte("PING 1\r\nQUIT\r\n"))
	f.Add([]byte("ping\nPING  \r\n\r\nHELO x\r\n"))
	f.Add([]byte(strings.Repeat("A", 5000) + "\r\n"))
	f.Add([]byte("PING \x00\xff\xfe\r\nQUIT extra"))
	f.Fuzz(func(t *testing.T, in []byte) {
		d := &net.Dialer{Timeout: 5 * time.Second}
		c, err := tls.DialWithDialer(d, "tcp", job.Target, conf)
		if err != nil {
			t.Fatalf("the CLS listener stopped taking clients: %v", err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(15 * time.Second))
		r := bufio.NewReader(c)
		banner, err := r.ReadString('\n')
		if _, ok := wire.ParseCLSBanner(strings.TrimSpace(banner)); err != nil || !ok {
			t.Fatalf("no banner: %q, %v", banner, err)
		}
		before := answered(site)
		replies := 0
		go func() {
			c.Write(in)
			c.CloseWrite() // close_notify: the mock sees the end of the client's lines
		}()
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				if ne, ok := err.(net.Error); ok && ne.Timeout() {
					t.Fatalf("the session hangs after the client ended it (input %q)", in)
				}
				if got := answered(site) - before; got < replies {
					t.Fatalf("%d answers, but only %d journaled (input %q)", replies, got, in)
				}
				return
			}
			replies++
			w, _, _ := strings.Cut(strings.TrimSpace(line), " ")
			if w != wire.CLSPong && w != wire.CLSBye && w != wire.CLSErr {
				t.Fatalf("answer %q is not PONG, BYE or ERR (input %q)", line, in)
			}
		}
	})
}

// answered counts the CLS lines the site journaled with the reply it gave.
func answered(site *mdtest.Site) int {
	n := 0
	for _, e := range site.Events() {
		if e.Kind == journal.KindCLS && e.CLS != nil && e.CLS.Reply != "" {
			n++
		}
	}
	return n
}
