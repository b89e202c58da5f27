package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"

	"github.com/spf13/pflag"

	"github.com/mockdirector/mockdirector/admin"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

// adminFlags are serve's admin listener flags.
type adminFlags struct {
	adminAddr   string
	adminRemote bool
	adminToken  string
}

// adminTokenEnv lets the token stay out of the process list.
const adminTokenEnv = "MOCKDIRECTOR_ADMIN_TOKEN"

func addAdminFlags(fl *pflag.FlagSet, f *adminFlags) {
	fl.StringVar(&f.adminAddr, "admin", "", "serve the live matrix page, /api/matrix, /api/events, /metrics and /healthz on ADDR (for example "+admin.DefaultAddr+"; default off)")
	fl.BoolVar(&f.adminRemote, "admin-allow-remote", false, "allow --admin on a non-loopback address (needs --admin-token too)")
	fl.StringVar(&f.adminToken, "admin-token", "", "bearer token every admin request must carry (default $"+adminTokenEnv+")")
}

// serveAdmin is the optional admin listener of serve; a nil *serveAdmin does nothing.
type serveAdmin struct {
	srv  *admin.Server
	done chan struct{}
}

// startAdmin binds the admin listener before any table port, so a busy admin port stops serve
// with a message instead of leaving it running without the page that was asked for.
func startAdmin(f adminFlags, role, member, journalPath string, scn *scenarios.Scenario, topo *topology.Topology, log *slog.Logger) (*serveAdmin, error) {
	if f.adminAddr == "" {
		if f.adminRemote || f.adminToken != "" {
			return nil, usageErr(errors.New("--admin-allow-remote and --admin-token need --admin ADDR"))
		}
		return nil, nil
	}
	token := f.adminToken
	if token == "" {
		token = os.Getenv(adminTokenEnv)
	}
	title := role
	if member != "" {
		title += " " + member
	}
	srv, err := admin.Listen(admin.Options{Addr: f.adminAddr, AllowRemote: f.adminRemote, Token: token,
		Scenario: scn, Topology: topo, Roles: []string{role}, Member: member, Title: title, Log: log})
	if err != nil {
		return nil, usageErr(fmt.Errorf("--admin: %w", err))
	}
	// The journal serve appends to already holds earlier runs (and its rotated files): the
	// matrix starts from them, streamed event by event so memory does not grow with the journal.
	if journalPath != "" {
		st, err := journal.Scan([]string{journalPath}, func(e journal.Event) error {
			srv.Seed([]journal.Event{e})
			return nil
		})
		if st.BadCount > 0 {
			log.Warn("admin: corrupt journal lines skipped", "count", st.BadCount, "first", st.Bad[0].String())
		}
		switch {
		case err == nil:
		case !errors.Is(err, fs.ErrNotExist):
			log.Warn("admin: earlier journal not read; the matrix starts empty", "journal", journalPath, "err", err)
		}
	}
	return &serveAdmin{srv: srv}, nil
}

func (a *serveAdmin) observers() []journal.Recorder {
	if a == nil {
		return nil
	}
	return []journal.Recorder{a.srv}
}

func (a *serveAdmin) announce(out io.Writer) {
	if a == nil {
		return
	}
	fmt.Fprintf(out, "live matrix %s (API: /api/matrix /api/events /metrics /healthz)\n", a.srv.URL())
}

// serve runs the admin listener until ctx is done; wait waits for it.
func (a *serveAdmin) serve(ctx context.Context, log *slog.Logger) {
	if a == nil {
		return
	}
	a.done = make(chan struct{})
	go func() {
		defer close(a.done)
		if err := a.srv.Serve(ctx); err != nil {
			log.Error("admin listener stopped; serve goes on without it", "err", err)
		}
	}()
}

func (a *serveAdmin) close() {
	if a == nil {
		return
	}
	a.srv.Close()
	if a.done != nil {
		<-a.done
	}
}
