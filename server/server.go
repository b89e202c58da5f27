// Package server turns a role's profile into running listeners: it resolves the certificates
// (generated or the site's own), takes the member's listeners from its role profile, binds the
// served ones all or none and the guards one by one (a guard port something else holds is
// reported and skipped), and journals what they see. cmd/mockdirector serve and lab both use it.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/listeners"
	"github.com/mockdirector/mockdirector/internal/roleprofile"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

// Options is everything serve needs to stand in for one member of one role.
type Options struct {
	// Scenario and Topology are required: the caller chooses the defaults
	// (scenarios.Default(), topology.Default()), never this package.
	Scenario *scenarios.Scenario
	Topology *topology.Topology
	roleprofile.PlanOptions
	// Profile, when set, is the member's profile already computed from Scenario, Topology and
	// PlanOptions (serve computes it first to name the member on the admin page).
	Profile *roleprofile.Profile

	// WireProfile is the wire profile of every listener without a `profile:` override
	// (wireprofile.Names; "" is wireprofile.Default, Lync Server 2013 on Windows Server 2012 R2).
	WireProfile string

	// CertDir holds generated certificates; missing ones are generated on start.
	CertDir string
	// KeyType for generated certificates.
	KeyType certs.KeyType
	// CertFile, KeyFile and CAFile name the site's own PEM files instead of CertDir.
	CertFile, KeyFile, CAFile string
	// CertPassword opens a CertFile ending .pfx or .p12 (its key is inside: KeyFile may be empty;
	// CAFile empty takes the roots in the PFX).
	CertPassword string
	// Identity, when set, is served as it is instead of loading one (serve --cert-store: the
	// Windows machine store's certificate, whose key stays in the store).
	Identity *certs.Identity

	// Journal receives events; when nil, JournalPath is opened (and closed by Close).
	Journal     journal.Recorder
	JournalPath string
	// JournalOptions open JournalPath: rotation, keep. Background journal failures go to Log.
	JournalOptions journal.Options
	// Observers also see every event, after the journal has it (metrics, the live page).
	Observers []journal.Recorder

	// Limits cap the connections of all listeners (in total and per source) and set the SIP
	// timeouts; zero fields take the listeners' defaults.
	Limits listeners.Limits

	Log *slog.Logger
	// Out receives what a person should read on start (generated files, listeners).
	Out io.Writer
}

// Instance is a running member: its listeners and journal.
type Instance struct {
	Options
	Profile *roleprofile.Profile
	// Specs are the listeners bound: the served ones, then the guards that could bind.
	Specs []listeners.Spec
	Group *listeners.Group
	// Unguarded are the denied ports without a guard, and why (out of range with the port
	// offset, held by something else on the host, privileged).
	Unguarded []roleprofile.Unguarded
	writer    *journal.Writer
}

// Start resolves certificates, binds every listener and opens the journal. Nothing is left
// bound or open when it fails.
func Start(o Options) (*Instance, error) {
	if o.Scenario == nil {
		return nil, fmt.Errorf("server: %w", roleprofile.ErrNoScenario)
	}
	if o.Topology == nil {
		return nil, fmt.Errorf("server: %w", roleprofile.ErrNoTopology)
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	prof := o.Profile
	if prof == nil {
		var err error
		if prof, err = roleprofile.New(o.Scenario, o.Topology, o.PlanOptions); err != nil {
			return nil, err
		}
	}
	served, guards, err := wireSpecs(o, prof)
	if err != nil {
		return nil, err
	}
	id, err := Identity(o)
	if err != nil {
		return nil, err
	}
	inst := &Instance{Options: o, Profile: prof, Specs: slices.Clone(served), Unguarded: slices.Clone(prof.Unguarded)}
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
				if errors.Is(err, journal.ErrCut) {
					o.Log.Error("journal", "err", err, "fix", "restart serve; rotate a mapped journal with --journal-max-size, not by truncating it")
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
	env := listeners.Env{TLS: id, Journal: rec, Log: o.Log, Conns: listeners.NewConnLimiter(o.Limits)}
	g, err := listeners.Bind(served, env)
	if err != nil {
		inst.closeJournal()
		return nil, err
	}
	// The guards come after the served listeners (a moved listen_port wins over a guard) and
	// each on its own: a guard that cannot bind is reported, not fatal.
	for _, gs := range guards {
		l, err := listeners.New(gs, env)
		if err != nil {
			inst.Unguarded = append(inst.Unguarded, roleprofile.Unguarded{
				Port: roleprofile.Port{Transport: gs.Transport(), Port: gs.Port, Protocol: gs.Protocol}, Addr: gs.Addr, Reason: err.Error()})
			continue
		}
		g.Listeners = append(g.Listeners, l)
		inst.Specs = append(inst.Specs, gs)
	}
	inst.Group = g
	return inst, nil
}

// Identity loads the site's own certificate, or the member's generated one (generating what is
// missing and saying where).
func Identity(o Options) (*certs.Identity, error) {
	if o.Identity != nil {
		return o.Identity, nil
	}
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
	if o.Role == scenarios.RolePKI {
		return pkiIdentity(o.CertDir)
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

// pkiIdentity is what the PKI web server needs: the published files of the certificate
// directory (the CA certificates and CRLs the CDP and AIA URLs name). It serves plain HTTP, so
// it needs no certificate of its own, and it must not hold the CA's private key: copy ca.crt
// and ca.crl (and intermediate.* with --intermediate) to the PKI host, nothing else.
func pkiIdentity(dir string) (*certs.Identity, error) {
	ca := filepath.Join(dir, certs.CACertFile)
	if _, err := os.Stat(ca); err != nil {
		return nil, fmt.Errorf("--role pki publishes the CA's certificate and CRL from --certs %s, but %s is missing: run mockdirector certs init (where the CA is kept) and copy %s and its .crl here", dir, ca, certs.CACertFile)
	}
	return &certs.Identity{PKI: certs.OpenPKI(dir), Source: dir}, nil
}
