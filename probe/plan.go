package probe

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/internal/wireprofile"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

// Defaults of a run.
const (
	DefaultTimeout     = 3 * time.Second
	DefaultConcurrency = 32
)

// FirewallSkipReason is why deny rows are skipped where no firewall stands between the prober
// and the destination (the loopback lab).
const FirewallSkipReason = "needs a firewall between source and destination (run the netns lab: make e2e)"

// Options shape a run: which rows, as whom, against which addresses, with which credentials.
type Options struct {
	Scenario *scenarios.Scenario
	Topology *topology.Topology
	// As selects the source roles to act as; rows from "any" run for every one. Empty runs
	// each row once, as its own source role.
	As []string
	// Targets overrides the address of a destination role (role -> host).
	Targets map[string]string
	// Addresses gives exact addresses for single ports of a destination role (an in-process
	// server on port 0, a port forward); they win over Targets, PortOffset and the topology.
	Addresses AddressBook
	// Source is the local address to send from; invalid means the topology's address of the
	// role (Topology.SourceAddr), else the kernel's choice.
	Source netip.Addr
	// PortOffset is added to every table port (for a serve started with --port-offset).
	PortOffset int
	Timeout    time.Duration
	Retries    int
	// Only keeps rows whose ID contains this substring.
	Only string
	// Credentials say where client certificates and the trust come from.
	Credentials Credentials
	// ExpectSourceSeen makes every check that learns the source the destination saw demand the
	// address the prober sent from (the lab sets it: nothing NATs on loopback).
	ExpectSourceSeen bool
	// SkipDenyReason, when set, reports deny rows as skipped with this reason instead of running them.
	SkipDenyReason string
	// Hold, when positive, replaces every hold row's hold (probe --hold: labs shorten the
	// HLB's 1800 s).
	Hold time.Duration
	// Strict makes unproven deny rows fail (probe --strict).
	Strict bool
	// Guards asserts that the destinations run mockdirector serve with its default guard
	// listeners, so a refused or filtered deny row is the path's doing (probe --guards).
	Guards bool
	// HoldBisect, when above 1, makes every hold row open that many connections with proofs
	// staggered over the hold and report the idle cut-off (probe --hold-bisect).
	HoldBisect int
	// ClientProfile, when set, makes every TLS check present itself as that wire profile's
	// client (versions, suites, curves: probe --client-profile); nil is Go's client, TLS 1.2+.
	ClientProfile *wireprofile.Profile
	// HLB replaces the rows by the hardware load balancer checks of every allowed row whose
	// destination pool has a VIP (probe --hlb; see HLBRows).
	HLB bool
}

// Credentials is --certs DIR or --cert/--key-file/--ca.
type Credentials struct {
	Dir                       string
	CertFile, KeyFile, CAFile string
}

// Job is one row resolved into what to dial, from where, with what.
type Job struct {
	Row scenarios.Row
	// From is the role the prober acts as (the row's, or the --as role for rows from any).
	From  string
	Check wire.Check
	// Target is host:port; Host is the host part, ServerName the name to verify and send as SNI.
	Target, Host, ServerName string
	Source                   netip.Addr
	Timeout                  time.Duration
	Retries                  int
	// Identity is the client certificate to present (nil: none); Roots the trust for the server.
	Identity *certs.Identity
	Roots    *x509.CertPool
	// SeenAs is the source address the destination must report (empty: not checked).
	SeenAs string
	// SeenAsAuto marks SeenAs as filled by Options.ExpectSourceSeen: checked only where the
	// destination reports a source at all (HTTP, SIP; not the CLS banner).
	SeenAsAuto bool
	// SkipReason, when set, skips the job.
	SkipReason string
	// CredentialErr explains why no client identity could be loaded for a check that needs one.
	CredentialErr error
	// Hold is how long a hold check keeps its connection idle (zero for other checks); Bisect,
	// above 1, is how many staggered connections a hold check opens to find the idle cut-off.
	Hold   time.Duration
	Bisect int
	// Lint is the certificate profile a tls or mtls check lints the server's chain against
	// (certs.ProfileFor the destination role and the row's member, with the job's trust).
	Lint  *certs.LintProfile
	Index int
	// Strict makes a deny row that nothing proves (unproven) fail; Guards is the user's word
	// that the destination runs mockdirector serve with its guard listeners (probe --guards).
	Strict, Guards bool
	// CDP is what a cdp check fetches (check_cdp.go); nil for other checks.
	CDP *CDPPlan
	// ClientProfile is Options.ClientProfile.
	ClientProfile *wireprofile.Profile
	// VIP is the destination pool's VIP in the topology (empty: none), so a source seen as the
	// VIP is named as an HLB in SNAT mode and a member reached at the VIP as DSR; Pool is the
	// destination pool an HLB check (check_hlb.go) holds the answers against.
	VIP  string
	Pool *topology.Pool
}

// Budget is how long the engine lets one attempt of the job run: the timeout, and for a hold
// check the hold plus a second timeout for the exchange that proves the connection afterwards
// (the timeout bounds connecting and handshaking, never the hold).
func (j *Job) Budget() time.Duration {
	if j.Hold > 0 {
		return 2*j.Timeout + j.Hold
	}
	if j.Check.HLB() {
		return hlbBudget(j)
	}
	return j.Timeout
}

// Plan resolves the scenario's rows into jobs. Its errors are bad input (exit 2).
func Plan(o Options) ([]Job, error) {
	if o.Scenario == nil {
		o.Scenario = scenarios.Default()
	}
	if o.Topology == nil {
		o.Topology = topology.Default()
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	for _, r := range o.As {
		if !slices.Contains(scenarios.SourceRoles, r) {
			return nil, fmt.Errorf("--as %q is not a source role (one of %s)", r, strings.Join(scenarios.SourceRoles, ", "))
		}
	}
	for r, addr := range o.Targets {
		if !slices.Contains(scenarios.ServerRoles, r) {
			return nil, fmt.Errorf("--target %s=...: %q is not a destination role (one of %s)", r, r, strings.Join(scenarios.ServerRoles, ", "))
		}
		if _, _, err := net.SplitHostPort(addr); err == nil {
			return nil, fmt.Errorf("--target %s=%s: give a host or address without a port (ports come from the table; use --port-offset, or a row's target: for one row)", r, addr)
		}
	}
	if err := o.Addresses.validate(); err != nil {
		return nil, err
	}
	type pick struct {
		row  scenarios.Row
		from string
	}
	var picks []pick
	rowsOf := func(rs []scenarios.Row) []scenarios.Row {
		if o.HLB {
			return HLBRows(rs, o.Topology)
		}
		return rs
	}
	if len(o.As) == 0 {
		for _, r := range rowsOf(o.Scenario.Rows) {
			picks = append(picks, pick{r, r.From})
		}
	} else {
		for _, role := range o.As {
			for _, r := range rowsOf(o.Scenario.From(role)) {
				picks = append(picks, pick{r, role})
			}
		}
	}
	creds := newCredentialCache(o.Credentials, o.Topology)
	var jobs []Job
	for _, p := range picks {
		if o.Only != "" && !strings.Contains(p.row.ID(), o.Only) {
			continue
		}
		j, err := planJob(o, p.row, p.from, creds)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %s: %w", o.Scenario.File, p.row.Line, p.row.ID(), err)
		}
		j.Index = len(jobs)
		jobs = append(jobs, j)
	}
	if len(jobs) == 0 && o.HLB {
		return nil, fmt.Errorf("--hlb: no allowed row of scenario %s (as selected by --as and --only) goes to a pool with a vip in topology %s: give the pool behind the HLB its vip", o.Scenario.Name, o.Topology.File)
	}
	if len(jobs) == 0 {
		return nil, fmt.Errorf("no rows selected from scenario %s (check --as and --only)", o.Scenario.Name)
	}
	return jobs, nil
}

func planJob(o Options, r scenarios.Row, from string, creds *credentialCache) (Job, error) {
	j := Job{Row: r, From: from, Check: wire.Check(r.CheckKind()), Timeout: o.Timeout, Retries: o.Retries, SeenAs: r.SourceSeenAs,
		Strict: o.Strict, Guards: o.Guards, Bisect: o.HoldBisect, ClientProfile: o.ClientProfile}
	if r.Timeout != "" {
		d, err := time.ParseDuration(r.Timeout)
		if err != nil {
			return j, fmt.Errorf("timeout: %w", err)
		}
		j.Timeout = d
	}
	if r.Retries != nil {
		j.Retries = *r.Retries
	}
	pool, _ := o.Topology.Pool(r.To)
	if pool != nil {
		j.VIP = pool.VIP
	}
	if j.Check.HLB() {
		j.Pool = pool
		if pool == nil || pool.VIP == "" && r.Target == "" && o.Targets[r.To] == "" {
			j.SkipReason = fmt.Sprintf("check %s needs the VIP of the %s pool behind the HLB: the topology gives it no vip (add vip:, or pass --target %s=VIP)", j.Check, r.To, r.To)
		}
	}
	j.ServerName = r.ServerName
	if j.ServerName == "" && pool != nil {
		j.ServerName = pool.FQDN
	}
	port := r.Port + o.PortOffset
	addr, booked := o.Addresses[Dest{Role: r.To, Transport: r.Transport, Port: r.Port}]
	if (port < 1 || port > 65535) && !booked {
		return j, fmt.Errorf("port %d with --port-offset %d is out of range", r.Port, o.PortOffset)
	}
	switch {
	case r.Target != "":
		if h, p, err := net.SplitHostPort(r.Target); err == nil {
			j.Host, j.Target = h, net.JoinHostPort(h, p)
		} else {
			j.Host = r.Target
		}
	case booked:
		j.Host, _, _ = net.SplitHostPort(addr)
		j.Target = addr
	case o.Targets[r.To] != "":
		j.Host = o.Targets[r.To]
	case pool != nil:
		j.Host = pool.Target()
	}
	if j.Host == "" {
		switch {
		case pool != nil:
			j.Host = pool.FQDN
		case r.To == scenarios.RolePKI:
			j.Host = o.Topology.PKIHost() // the name the CDP and AIA URLs carry, as the peers resolve it
		default:
			return j, fmt.Errorf("no address for %s: the topology has no pool for it; pass --target %s=ADDRESS", r.To, r.To)
		}
	}
	if j.Target == "" {
		j.Target = net.JoinHostPort(j.Host, strconv.Itoa(port))
	}
	if j.ServerName == "" {
		j.ServerName = j.Host
	}
	j.Source = o.Source
	if !j.Source.IsValid() {
		j.Source = o.Topology.SourceAddr(from)
	}
	if o.ExpectSourceSeen && j.SeenAs == "" && j.Source.IsValid() {
		j.SeenAs, j.SeenAsAuto = j.Source.String(), true
	}
	if o.SkipDenyReason != "" && r.Denied() {
		j.SkipReason = o.SkipDenyReason
	}
	if j.Check == wire.CheckHold {
		j.Hold = r.HoldFor()
		if o.Hold > 0 {
			j.Hold = o.Hold
		}
	}
	if needsTLS(j.Check, r.Protocol) {
		id, roots, err := creds.get(from)
		if err != nil {
			if o.Credentials.Dir != "" || o.Credentials.CertFile != "" || o.Credentials.CAFile != "" {
				return j, err
			}
			j.CredentialErr = err
		}
		j.Identity, j.Roots = id, roots
	}
	if j.Check == CheckCDP {
		j.CDP = planCDP(o, from)
	}
	if j.Check == wire.CheckTLS || j.Check == wire.CheckMTLS {
		p, err := lintProfile(o.Topology, r)
		if err != nil {
			return j, err
		}
		p.Roots = j.Roots
		j.Lint = &p
	}
	return j, nil
}

// lintProfile is the certificate profile of the row's destination: certs.ProfileFor the role
// (and the row's member), or only the role when the topology has no pool for it (a --target or
// a row target: the generic checks still apply).
func lintProfile(t *topology.Topology, r scenarios.Row) (certs.LintProfile, error) {
	if _, ok := t.Pools[r.To]; !ok {
		return certs.LintProfile{Role: r.To}, nil
	}
	p, err := certs.ProfileFor(t, r.To, r.Member)
	if err != nil {
		return p, fmt.Errorf("lint: %w", err)
	}
	return p, nil
}

// needsTLS says whether a check needs the trust (and a client certificate when asked): every
// check but a bare connect and plain HTTP, and a hold over a TLS protocol.
func needsTLS(check wire.Check, protocol string) bool {
	switch check {
	case wire.CheckTCP, wire.CheckHTTP:
		return false
	case wire.CheckHold:
		return protocol != scenarios.ProtoTCP && protocol != scenarios.ProtoHTTP
	}
	if check.HLB() {
		return protocol != scenarios.ProtoTCP && protocol != scenarios.ProtoHTTP
	}
	return true
}

// credentialCache loads each source role's identity once.
type credentialCache struct {
	c    Credentials
	topo *topology.Topology
	ids  map[string]*certs.Identity
	errs map[string]error
}

func newCredentialCache(c Credentials, t *topology.Topology) *credentialCache {
	return &credentialCache{c: c, topo: t, ids: map[string]*certs.Identity{}, errs: map[string]error{}}
}

// IdentityName is the certificate a source role presents from a certs directory: the first
// member of its pool, or certs.ProbeName for roles without a pool.
func IdentityName(t *topology.Topology, role string) string {
	if p, ok := t.Pools[role]; ok && len(p.Members) > 0 {
		return p.Members[0].Name
	}
	return certs.ProbeName
}

func (cc *credentialCache) get(role string) (*certs.Identity, *x509.CertPool, error) {
	if id, ok := cc.ids[role]; ok {
		return id, id.Roots, nil
	}
	if err, ok := cc.errs[role]; ok {
		return nil, nil, err
	}
	id, roots, err := cc.load(role)
	if err != nil {
		cc.errs[role] = err
		return nil, roots, err
	}
	cc.ids[role] = id
	return id, roots, nil
}

func (cc *credentialCache) load(role string) (*certs.Identity, *x509.CertPool, error) {
	c := cc.c
	switch {
	case c.CertFile != "" || c.KeyFile != "":
		if c.CertFile == "" || c.KeyFile == "" {
			return nil, nil, errors.New("--cert and --key-file go together (add --ca for the trust; default: the system roots)")
		}
		if c.CAFile == "" {
			sys, err := x509.SystemCertPool()
			if err != nil {
				return nil, nil, fmt.Errorf("system roots: %w (pass --ca)", err)
			}
			id, err := loadIdentityNoCA(c.CertFile, c.KeyFile)
			if err != nil {
				return nil, nil, err
			}
			id.Roots = sys
			return id, sys, nil
		}
		id, err := certs.LoadIdentity(c.CertFile, c.KeyFile, c.CAFile)
		return id, roots(id), err
	case c.CAFile != "":
		pool, err := certs.LoadPool(c.CAFile)
		if err != nil {
			return nil, nil, err
		}
		return nil, pool, fmt.Errorf("no client certificate (only --ca given): pass --cert and --key-file, or --certs DIR")
	}
	dir := c.Dir
	if dir == "" {
		dir = "mockdirector-certs"
	}
	name := IdentityName(cc.topo, role)
	id, err := certs.LoadFromDir(dir, name)
	if err != nil {
		return nil, nil, fmt.Errorf("client identity of %s (%s): %w", role, name, err)
	}
	return id, id.Roots, nil
}

func roots(id *certs.Identity) *x509.CertPool {
	if id == nil {
		return nil
	}
	return id.Roots
}

// loadIdentityNoCA loads a chain and key without a CA bundle (the trust comes from elsewhere).
func loadIdentityNoCA(certFile, keyFile string) (*certs.Identity, error) {
	chain, err := certs.ReadCerts(certFile)
	if err != nil {
		return nil, err
	}
	pair, err := certs.LoadPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	id := &certs.Identity{Leaf: chain[0], Source: certFile}
	id.Cert.PrivateKey = pair.Key
	id.Cert.Leaf = chain[0]
	for _, c := range chain {
		id.Cert.Certificate = append(id.Cert.Certificate, c.Raw)
	}
	return id, nil
}
