// Command mockprof runs the mock as serve does (server.Start: the director role, generated
// certificates, a journal file) and writes a CPU and heap profile of it, so bench/profile.sh can
// say where the time goes under the bench scripts' loads. serve itself has no profiling flag.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"

	"github.com/mockdirector/mockdirector/internal/gcfloor"
	"github.com/mockdirector/mockdirector/internal/roleprofile"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/server"
	"github.com/mockdirector/mockdirector/topology"
)

func main() {
	bind := flag.String("bind", "127.0.31.1", "address every listener binds")
	offset := flag.Int("port-offset", 14000, "added to every port")
	certDir := flag.String("certs", "", "certificate directory (generated when missing)")
	jpath := flag.String("journal", "", "journal file")
	cpu := flag.String("cpuprofile", "", "CPU profile written from ready until SIGTERM")
	mem := flag.String("memprofile", "", "heap profile written on SIGTERM")
	pprofAddr := flag.String("pprof", "", "serve net/http/pprof on this loopback address (heap, goroutine, mutex and block profiles of the live mock)")
	discard := flag.Bool("no-journal", false, "journal nothing (shows what the journal costs; serve cannot do this)")
	mapped := flag.Bool("journal-mapped", false, "the mapped journal writer, as serve --journal-mapped")
	floor := flag.Uint64("gc-heap-floor", 0, "heap floor in bytes, as serve --gc-heap-floor (0: Go's own pacing, serve's default)")
	flag.Parse()
	if msg := gcfloor.Set(*floor); msg != "" {
		fmt.Fprintln(os.Stderr, "mockprof:", msg)
	}
	if *pprofAddr != "" {
		if err := servePprof(*pprofAddr); err != nil {
			fmt.Fprintln(os.Stderr, "mockprof:", err)
			os.Exit(1)
		}
	}
	if *discard {
		*jpath = ""
	}
	if err := run(*bind, *offset, *certDir, *jpath, *cpu, *mem, *mapped); err != nil {
		fmt.Fprintln(os.Stderr, "mockprof:", err)
		os.Exit(1)
	}
}

// servePprof serves net/http/pprof on addr (loopback only), with mutex and block profiling on.
func servePprof(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-pprof %s: a loopback address only", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	runtime.SetMutexProfileFraction(5)
	runtime.SetBlockProfileRate(10000) // a sample per 10 µs blocked
	go http.Serve(ln, nil)             // the default mux, which net/http/pprof registers on
	return nil
}

func run(bind string, offset int, certDir, jpath, cpu, mem string, mapped bool) error {
	rec := journal.Discard
	if jpath != "" {
		jw, err := journal.OpenWith(jpath, journal.Options{MaxSize: 256 << 20, Keep: 8, Mapped: mapped})
		if err != nil {
			return err
		}
		defer func() {
			fmt.Printf("journal: %d lines in %d write(2)s (%.2f lines a write)\n", jw.Lines(), jw.Writes(), float64(jw.Lines())/float64(max(jw.Writes(), 1)))
			jw.Close()
		}()
		rec = jw
	}
	inst, err := server.Start(server.Options{
		Scenario: scenarios.Default(), Topology: topology.Default(),
		PlanOptions: roleprofile.PlanOptions{Role: "director", Bind: bind, PortOffset: offset},
		CertDir:     certDir, Journal: rec,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return err
	}
	f, err := os.Create(cpu)
	if err != nil {
		inst.Close()
		return err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		inst.Close()
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Println("ready")
	err = inst.Serve(ctx)
	pprof.StopCPUProfile()
	f.Close()
	if mem != "" {
		runtime.GC()
		if hf, herr := os.Create(mem); herr == nil {
			pprof.WriteHeapProfile(hf)
			hf.Close()
		}
	}
	return err
}
