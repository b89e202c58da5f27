package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/mockdirector/mockdirector/internal/admin"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/server"
	"github.com/mockdirector/mockdirector/topology"
)

// adminFlags are serve's admin listener flags.
type adminFlags struct {
	adminAddr      string
	adminRemote    bool
	adminToken     string
	adminTokenFile string
	adminTLS       bool
}

// adminTokenEnv lets the token stay out of the process list.
const adminTokenEnv = "MOCKDIRECTOR_ADMIN_TOKEN"

// adminTokenFileName is the token serve makes for a loopback admin given none, next to the
// journal (0600), reused on the next start.
const adminTokenFileName = "mockdirector-admin.token"

func addAdminFlags(fl *pflag.FlagSet, f *adminFlags) {
	fl.StringVar(&f.adminAddr, "admin", "", "serve the live matrix page, /api/matrix, /api/events, /metrics and /healthz on ADDR (for example "+admin.DefaultAddr+"; default off)")
	fl.BoolVar(&f.adminRemote, "admin-allow-remote", false, "allow --admin on a non-loopback address (needs a token: --admin-token-file, $"+adminTokenEnv+" or --admin-token)")
	fl.StringVar(&f.adminToken, "admin-token", "", "bearer token every admin request must carry (visible in ps: prefer --admin-token-file or $"+adminTokenEnv+")")
	fl.StringVar(&f.adminTokenFile, "admin-token-file", "", "read the admin token from FILE (default: $"+adminTokenEnv+"; on loopback without either, serve makes one, 0600, next to the journal)")
	fl.BoolVar(&f.adminTLS, "admin-tls", false, "serve the admin over HTTPS with the member's certificate (always on a non-loopback --admin: the token crosses the network)")
}

// adminToken is the token the flags, the file or the environment give, and where it came from
// ("" when none did).
func (f adminFlags) token() (token, from string, err error) {
	if f.adminToken != "" && f.adminTokenFile != "" {
		return "", "", errors.New("--admin-token and --admin-token-file: give one")
	}
	switch {
	case f.adminToken != "":
		return f.adminToken, "--admin-token", nil
	case f.adminTokenFile != "":
		t, err := readTokenFile(f.adminTokenFile)
		return t, f.adminTokenFile, err
	case os.Getenv(adminTokenEnv) != "":
		return os.Getenv(adminTokenEnv), "$" + adminTokenEnv, nil
	}
	return "", "", nil
}

// readTokenFile reads a token file: its first line, which must not be empty.
func readTokenFile(path string) (string, error) {
	return readSecretFile("--admin-token-file", path, true, "the file is empty (put the token on its first line)")
}

// defaultAdminToken is the token of a loopback admin given none: read from the token file next
// to the journal, or made and written there (0600) on the first start. made says it is new.
func defaultAdminToken(journalPath string) (token, path string, made bool, err error) {
	path = filepath.Join(filepath.Dir(journalPath), adminTokenFileName)
	if st, err := os.Stat(path); err == nil {
		if st.Mode().Perm()&0o077 != 0 {
			return "", path, false, fmt.Errorf("admin token file %s can be read by other users (mode %04o): chmod 600 %s, or delete it for a new one", path, st.Mode().Perm(), path)
		}
		t, err := readTokenFile(path)
		return t, path, false, err
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", path, false, fmt.Errorf("admin token: %w", err)
	}
	token = hex.EncodeToString(b)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", path, false, fmt.Errorf("admin token file: %w", err)
	}
	_, err = f.WriteString(token + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", path, false, fmt.Errorf("admin token file: %w", err)
	}
	return token, path, true, nil
}

// serveAdmin is the optional admin listener of serve; a nil *serveAdmin does nothing.
type serveAdmin struct {
	srv  *admin.Server
	done chan struct{}
	// token came from tokenFrom; showToken: serve made it, and announce prints it (once).
	token, tokenFrom string
	showToken        bool
	// tls: the admin is served over HTTPS with the member's certificate (useTLS).
	tls bool
}

// startAdmin binds the admin listener before any table port, so a busy admin port stops serve
// with a message instead of leaving it running without the page that was asked for.
func startAdmin(f adminFlags, role, member, journalPath string, scn *scenarios.Scenario, topo *topology.Topology, log *slog.Logger) (*serveAdmin, error) {
	if f.adminAddr == "" {
		if f.adminRemote || f.adminToken != "" || f.adminTokenFile != "" || f.adminTLS {
			return nil, usageErr(errors.New("--admin-allow-remote, --admin-token, --admin-token-file and --admin-tls need --admin ADDR"))
		}
		return nil, nil
	}
	token, from, err := f.token()
	show := false // the token is printed once: when serve made it
	if err != nil {
		return nil, usageErr(err)
	}
	if token == "" && admin.CheckAddr(f.adminAddr, false, "") == nil {
		// A loopback admin is still open to every local user: it gets a token of its own.
		t, path, made, err := defaultAdminToken(journalPath)
		if err != nil {
			return nil, usageErr(fmt.Errorf("--admin: %w", err))
		}
		token, from, show = t, path, made
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
	// matrix starts from them, loaded in the background (a streaming fold, bounded memory)
	// while the admin and the table's ports already answer.
	if journalPath != "" {
		srv.LoadHistory([]string{journalPath})
	}
	return &serveAdmin{srv: srv, token: token, tokenFrom: from, showToken: show,
		tls: f.adminTLS || admin.CheckAddr(f.adminAddr, false, "") != nil}, nil
}

// useTLS gives an HTTPS admin the member's certificate, once serve has it (after the table's
// listeners bound: the admin's own port was bound first, before any of them).
func (a *serveAdmin) useTLS(inst *server.Instance) error {
	if a == nil || !a.tls {
		return nil
	}
	id, err := server.Identity(inst.Options)
	if err != nil {
		return fmt.Errorf("--admin: the member's certificate for HTTPS: %w", err)
	}
	a.srv.UseTLS(&tls.Config{Certificates: []tls.Certificate{id.Cert}, MinVersion: tls.VersionTLS12})
	return nil
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
	if h := a.srv.History(); h.Loading {
		fmt.Fprintf(out, "admin: %s from the journal in the background; the page says when it is done\n", h.Text())
	}
	switch {
	case a.token == "":
		fmt.Fprintf(out, "live matrix %s (API: /api/matrix /api/events /metrics /healthz)\n", a.srv.URL())
	case a.showToken:
		// Printed this once: the page's address carries it in the fragment, which browsers
		// never send; the API wants it as Authorization: Bearer.
		fmt.Fprintf(out, "live matrix %s#token=%s (API: /api/matrix /api/events /metrics /healthz with Authorization: Bearer TOKEN)\n", a.srv.URL(), a.token)
		fmt.Fprintf(out, "admin token written to %s (0600); the next start reuses it\n", a.tokenFrom)
	default:
		fmt.Fprintf(out, "live matrix %s#token=TOKEN (API: /api/matrix /api/events /metrics /healthz with Authorization: Bearer TOKEN; the token is in %s)\n", a.srv.URL(), a.tokenFrom)
	}
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
