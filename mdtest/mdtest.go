// Package mdtest starts mockdirector's server roles in this process, for integration tests:
// a Director, a Front End and an Edge internal interface on loopback, every listener on an
// ephemeral port (so test runs never collide), with certificates from a private CA generated
// for the run. It hands back the real addresses as a probe.AddressBook, the trust and client
// identities as probe options, and every event the mocks journaled, and it closes them all.
//
// It is mockdirector's Go API for teams that drive the port table from their own tests:
//
//	site, err := mdtest.Start(mdtest.Options{})
//	defer site.Close()
//	rep := site.Probe(ctx, "edge-internal") // every row from the Edge internal interface
//
// The table's deny rows need a firewall between source and destination, which loopback has
// not: Probe reports them as skipped (mockdirector lab, as root, proves them in namespaces).
package mdtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/roleprofile"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/probe"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/server"
	"github.com/mockdirector/mockdirector/topology"
)

// Options choose what to start.
type Options struct {
	// Scenario is the port table; nil means the built-in one (scenarios.Default).
	Scenario *scenarios.Scenario
	// Topology is the site; nil means the built-in loopback lab (topology.Lab: members on
	// 127.0.0.2-4, source roles on their own 127.0.x.10 addresses).
	Topology *topology.Topology
	// Roles are the server roles to start; nil means every one the topology has a pool for
	// and the scenario serves.
	Roles []string
	// Member is the member of each role to start, by name or short name ("dir02"); empty
	// means the first of its pool. With Member, set Roles to the member's role; start a Site
	// per member for two members of one pool (for example behind a load balancer).
	Member string
	// Bind is the address every listener binds instead of the member's own.
	Bind string
	// Guards also binds serve's guard listeners on the ports the table denies.
	Guards bool
	// TablePorts binds every listener at its table port plus PortOffset, as serve does, instead
	// of a port the kernel picks: for a person who points other tools at the site. Tests leave
	// it off, so that runs on one host never collide.
	TablePorts bool
	PortOffset int
	// CertDir holds the generated certificates; empty means a temporary directory that Close
	// removes.
	CertDir string
	// JournalPath also writes every event to this journal file (JSON Lines, as serve does; one
	// file for every role), before the event is answered; Close syncs and closes it.
	JournalPath string
	// Observers also see every event, after the journal has it.
	Observers []journal.Recorder
	// Log receives the listeners' operational messages; nil discards them.
	Log *slog.Logger
}

// Site is the running mocks.
type Site struct {
	Scenario *scenarios.Scenario
	Topology *topology.Topology
	// CertDir holds the CA (certs.CACertFile) and every member's and the prober's identity.
	CertDir string
	// Addresses maps every bound table port of every role to its real address.
	Addresses probe.AddressBook
	// Members are the running instances, one per role.
	Members []*server.Instance

	journal  *journal.Memory
	file     *journal.Writer
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	mu       sync.Mutex
	serveErr []error
	tempDir  string
	closed   bool
}

// Start starts the roles and returns once every listener is bound. On error nothing is left
// running.
func Start(o Options) (*Site, error) {
	s := &Site{Scenario: o.Scenario, Topology: o.Topology, CertDir: o.CertDir, Addresses: probe.AddressBook{}, journal: &journal.Memory{}}
	if s.Scenario == nil {
		s.Scenario = scenarios.Default()
	}
	if s.Topology == nil {
		s.Topology = topology.Lab()
	}
	if s.CertDir == "" {
		dir, err := os.MkdirTemp("", "mdtest-certs-")
		if err != nil {
			return nil, fmt.Errorf("mdtest: %w", err)
		}
		s.CertDir, s.tempDir = dir, dir
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	roles := o.Roles
	if roles == nil {
		for _, r := range scenarios.ServerRoles {
			if _, ok := s.Topology.Pools[r]; ok && len(s.Scenario.ServedBy(r)) > 0 {
				roles = append(roles, r)
			}
		}
	}
	if len(roles) == 0 {
		s.Close()
		return nil, errors.New("mdtest: no role to start: the topology has no pool the scenario serves")
	}
	var rec journal.Recorder = s.journal
	observers := slices.Clone(o.Observers)
	if o.JournalPath != "" {
		w, err := journal.Open(o.JournalPath)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("mdtest: %w", err)
		}
		s.file, rec = w, w
		observers = append([]journal.Recorder{s.journal}, observers...)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	for _, role := range roles {
		inst, err := server.Start(server.Options{
			Scenario: s.Scenario, Topology: s.Topology,
			PlanOptions: roleprofile.PlanOptions{Role: role, Member: o.Member, Bind: o.Bind,
				Ephemeral: !o.TablePorts, PortOffset: o.PortOffset, Guards: o.Guards},
			CertDir: s.CertDir, Journal: rec, Observers: observers, Log: log, Out: io.Discard,
		})
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("mdtest: starting %s: %w", role, err)
		}
		s.Members = append(s.Members, inst)
		s.book(role, inst)
		s.wg.Go(func() {
			if err := inst.Serve(ctx); err != nil && !errors.Is(err, net.ErrClosed) {
				s.mu.Lock()
				s.serveErr = append(s.serveErr, fmt.Errorf("mdtest: %s: %w", role, err))
				s.mu.Unlock()
			}
		})
	}
	return s, nil
}

// book records the real address of every listener of a member under its table port.
func (s *Site) book(role string, inst *server.Instance) {
	for _, l := range inst.Group.Listeners {
		spec := l.Spec()
		if spec.Protocol == wire.ProtoUDPQUIC {
			s.Addresses.Add(role, string(wire.TransportUDP), spec.Port, l.Addr().String())
			continue
		}
		s.Addresses.Add(role, string(wire.TransportTCP), spec.Port, l.Addr().String())
		if u, ok := l.(interface{ UDPAddr() net.Addr }); ok { // HTTP/3 beside HTTPS
			s.Addresses.Add(role, string(wire.TransportUDP), spec.Port, u.UDPAddr().String())
		}
	}
}

// Addr is the address the role's TCP table port is bound to, "" when the site does not serve it.
func (s *Site) Addr(role string, port int) string {
	return s.Addresses[probe.Dest{Role: role, Transport: string(wire.TransportTCP), Port: port}]
}

// Events returns every event the mocks journaled so far.
func (s *Site) Events() []journal.Event { return s.journal.Events() }

// CAFile is the CA certificate peers must trust.
func (s *Site) CAFile() string { return s.CertDir + string(os.PathSeparator) + certs.CACertFile }

// ProbeOptions are probe options against the site: its scenario and topology, its addresses,
// its trust and client identities, the source address each role sends from, which the mocks
// must report seeing. Deny rows are skipped (loopback has no firewall).
func (s *Site) ProbeOptions() probe.Options {
	return probe.Options{
		Scenario: s.Scenario, Topology: s.Topology, Addresses: s.Addresses, Timeout: probe.DefaultTimeout,
		Credentials: probe.Credentials{Dir: s.CertDir}, ExpectSourceSeen: true, SkipDenyReason: probe.FirewallSkipReason,
	}
}

// Probe runs the site's rows as the given source roles (none: every row as its own source)
// and returns the report.
func (s *Site) Probe(ctx context.Context, as ...string) (*probe.Report, error) {
	o := s.ProbeOptions()
	o.As = slices.Clone(as)
	jobs, err := probe.Plan(o)
	if err != nil {
		return nil, err
	}
	return probe.Collect(s.Scenario.Name, time.Now(), probe.Run(ctx, jobs, probe.DefaultConcurrency), nil), nil
}

// Close stops every mock, waits for them, syncs and closes the journal file and removes a
// temporary certificate directory. The error holds what any listener or the journal failed with.
func (s *Site) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
	errs := s.serveErr
	for _, m := range s.Members {
		if err := m.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	if s.file != nil {
		errs = append(errs, s.file.Close())
	}
	if s.tempDir != "" {
		errs = append(errs, os.RemoveAll(s.tempDir))
	}
	return errors.Join(errs...)
}
