// Package server turns a role's profile into running listeners: it resolves the certificates
// (generated or the site's own), plans the listeners from the port table and the topology, binds
// them all or none, and journals what they see. cmd/mockdirector serve and lab both use it.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/listeners"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

// Options is everything serve needs to stand in for one member of one role.
type Options struct {
	Scenario *scenarios.Scenario
	Topology *topology.Topology
	listeners.PlanOptions

	// CertDir holds generated certificates; missing ones are generated on start.
	CertDir string
	// KeyType for generated certificates.
	KeyType certs.KeyType
	// CertFile, KeyFile and CAFile name the site's own PEM files instead of CertDir.
	CertFile, KeyFile, CAFile string
	// CertPassword opens a CertFile ending .pfx or .p12 (its key is inside: KeyFile may be empty;
	// CAFile empty takes the roots in the PFX).
	CertPassword string

	// Journal receives events; when nil, JournalPath is opened (and closed by Close).
	Journal     journal.Recorder
	JournalPath string
	// JournalOptions open JournalPath: rotation, keep. Background journal failures go to Log.
	JournalOptions journal.Options
	// Observers also see every event, after the journal has it (metrics, the live page).
	Observers []journal.Recorder

	Log *slog.Logger
	// Out receives what a person should read on start (generated files, listeners).
	Out io.Writer
}

// Instance is a running member: its listeners and journal.
type Instance struct {
	Options
	Specs  []listeners.Spec
	Group  *listeners.Group
	writer *journal.Writer
}

// Start resolves certificates, binds every listener and opens the journal. Nothing is left
// bound or open when it fails.
func Start(o Options) (*Instance, error) {
	if o.Scenario == nil {
		o.Scenario = scenarios.Default()
	}
	if o.Topology == nil {
		o.Topology = topology.Default()
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	specs, err := listeners.Plan(o.Scenario, o.Topology, o.PlanOptions)
	if err != nil {
		return nil, err
	}
	id, err := Identity(o)
	if err != nil {
		return nil, err
	}
	inst := &Instance{Options: o, Specs: specs}
	rec := o.Journal
	if rec == nil {
		if o.JournalPath == "" {
			return nil, errors.New("no journal: pass --journal FILE")
		}
		jo := o.JournalOptions
		if jo.OnError == nil && o.Log != nil {
			jo.OnError = func(err error) {
				if errors.Is(err, journal.ErrPruned) {
					o.Log.Warn("journal", "notice", err)
					return
				}
				o.Log.Error("journal", "err", err)
			}
		}
		w, err := journal.OpenWith(o.JournalPath, jo)
		if err != nil {
			return nil, err
		}
		inst.writer, rec = w, w
	}
	if len(o.Observers) > 0 {
		rec = observed{journal: rec, observers: o.Observers}
	}
	g, err := listeners.Bind(specs, listeners.Env{TLS: id, Journal: rec, Log: o.Log})
	if err != nil {
		inst.closeJournal()
		return nil, err
	}
	inst.Group = g
	return inst, nil
}

// Identity loads the site's own certificate, or the member's generated one (generating what is
// missing and saying where).
func Identity(o Options) (*certs.Identity, error) {
	if certs.IsPFX(o.CertFile) {
		return certs.LoadIdentityPassword(o.CertFile, o.KeyFile, o.CAFile, o.CertPassword)
	}
	if o.CertFile != "" || o.KeyFile != "" || o.CAFile != "" {
		if o.CertFile == "" || o.KeyFile == "" || o.CAFile == "" {
			return nil, errors.New("--cert, --key-file and --ca go together: the PEM certificate chain, its private key, and the CA bundle that client certificates must chain to (a .pfx --cert needs only --cert-password)")
		}
		return certs.LoadIdentity(o.CertFile, o.KeyFile, o.CAFile)
	}
	_, m, err := o.Topology.Member(o.Role, o.Member)
	if err != nil {
		return nil, err
	}
	written, err := certs.Ensure(o.Topology, certs.Options{Dir: o.CertDir, Key: o.KeyType})
	if err != nil {
		return nil, err
	}
	if len(written) > 0 {
		fmt.Fprintf(o.Out, "generated %d certificate files in %s (CA: %s; peers must trust it)\n", len(written), o.CertDir, certs.CACertFile)
	}
	return certs.LoadFromDir(o.CertDir, m.Name)
}

// Serve runs the listeners until ctx is done, then drains, syncs the journal and returns.
func (inst *Instance) Serve(ctx context.Context) error {
	err := inst.Group.Serve(ctx)
	if cerr := inst.closeJournal(); err == nil {
		err = cerr
	}
	return err
}

// Close stops the listeners and closes the journal (for callers that never called Serve).
func (inst *Instance) Close() error {
	err := inst.Group.Close()
	if cerr := inst.closeJournal(); err == nil {
		err = cerr
	}
	return err
}

func (inst *Instance) closeJournal() error {
	if inst.writer == nil {
		return nil
	}
	w := inst.writer
	inst.writer = nil
	return w.Close()
}

// Addrs maps each listener name to the address it is bound to.
func (inst *Instance) Addrs() map[string]net.Addr {
	out := map[string]net.Addr{}
	for _, l := range inst.Group.Listeners {
		out[l.Spec().Name] = l.Addr()
	}
	return out
}
