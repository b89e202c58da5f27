//go:build linux

package hostfw

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/userdata"
)

// RecordDir holds the runtime ports serve opened in firewalld, one file a process (firewalld
// keeps no comment to find them by); clean reads them. /run is emptied on boot, as firewalld's
// runtime ports are.
var RecordDir = "/run/mockdirector"

// linuxHost is what filters input on this host.
type linuxHost struct {
	nft              *nftables.Conn
	nftErr           error
	legacy4, legacy6 bool // iptables-legacy's filter table is loaded (its INPUT may drop)
	firewalld        bool // firewalld runs
	ufw, ufwDeny     bool // ufw is active; and denies incoming by default
}

// nftOptions open the netlink connection (a test points it into a network namespace).
var nftOptions []nftables.ConnOption

func probeHost(ctx context.Context) *linuxHost {
	h := &linuxHost{}
	c, err := nftables.New(nftOptions...)
	if err == nil {
		if _, err = c.ListTables(); err == nil {
			h.nft = c
		}
	}
	if err != nil {
		h.nftErr = fmt.Errorf("nftables: %w (reading the ruleset needs root or CAP_NET_ADMIN)", err)
	}
	h.legacy4 = legacyLoaded("/proc/net/ip_tables_names", "iptables-legacy")
	h.legacy6 = legacyLoaded("/proc/net/ip6_tables_names", "ip6tables-legacy")
	if _, err := exec.LookPath("firewall-cmd"); err == nil {
		out, _ := run(ctx, []string{"firewall-cmd", "--state"})
		h.firewalld = strings.TrimSpace(out) == "running"
	}
	if _, err := exec.LookPath("ufw"); err == nil {
		out, _ := run(ctx, []string{"ufw", "status", "verbose"})
		h.ufw, h.ufwDeny = ufwStatus(out)
	}
	return h
}

// legacyLoaded says whether the x_tables filter table exists in this network namespace (read
// from /proc, so that looking does not load the module).
func legacyLoaded(names, bin string) bool {
	b, err := os.ReadFile(names)
	if err != nil || !containsLine(string(b), "filter") {
		return false
	}
	_, err = exec.LookPath(bin)
	return err == nil
}

func containsLine(s, w string) bool {
	for l := range strings.SplitSeq(s, "\n") {
		if strings.TrimSpace(l) == w {
			return true
		}
	}
	return false
}

// skip leaves alone the nftables tables a manager owns: firewalld's (its own table, or the
// iptables tables its iptables backend fills), and the iptables tables whose chains ufw made
// (ufw-*); iptables-legacy is left alone too where either runs. The manager is asked instead.
func (h *linuxHost) skip(t *nftables.Table, chs []*nftables.Chain) bool {
	if h.firewalld && t.Name == "firewalld" {
		return true
	}
	if h.firewalld { // firewalld's iptables backend, through iptables-nft
		for _, c := range chs {
			if c.Name == "INPUT_ZONES" || c.Name == "INPUT_direct" {
				return true
			}
		}
	}
	if h.ufw {
		for _, c := range chs {
			if strings.HasPrefix(c.Name, "ufw-") || strings.HasPrefix(c.Name, "ufw6-") {
				return true
			}
		}
	}
	return false
}

// Check says which host firewalls would drop new connections to ports. It reads what it can;
// the error says what it could not read (nftables without root), beside the blocks it found.
func Check(ctx context.Context, ports []Port) ([]Block, error) {
	h := probeHost(ctx)
	var blocks []Block
	var errs []error
	if h.nft != nil {
		chains, err := nftInputChains(h.nft, h.skip)
		if err != nil {
			errs = append(errs, err)
		}
		for _, c := range chains {
			if b, ok := blockOf("nftables chain "+c.name(), ports, c.takes, c.model, c.chains); ok {
				for _, p := range b.Ports {
					b.Commands = append(b.Commands, NftCommand(c.name(), p))
				}
				blocks = append(blocks, b)
			}
		}
	} else {
		errs = append(errs, h.nftErr)
	}
	for _, v6 := range []bool{false, true} {
		if (!v6 && !h.legacy4) || (v6 && !h.legacy6) || h.ufw || h.firewalld {
			continue
		}
		chains, err := legacyChains(ctx, v6)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		bin := iptablesBin(v6)
		if b, ok := blockOf(bin+" INPUT", ports, func(p packet) bool { return p.v6 == v6 }, chains["INPUT"], chains); ok {
			for _, p := range b.Ports {
				b.Commands = append(b.Commands, ShellLine(IptablesInsert(p, v6)))
			}
			blocks = append(blocks, b)
		}
	}
	if h.firewalld {
		b := Block{Firewall: "firewalld (default zone)", Why: "the port is not open in the zone (a service of the zone may still open it)"}
		open, err := firewalldPorts(ctx)
		if err != nil {
			errs = append(errs, err)
		}
		for _, p := range ports {
			if !open[FirewalldPort(p)] {
				b.Ports = append(b.Ports, p)
				b.Commands = append(b.Commands, ShellLine(FirewalldAdd(p)))
			}
		}
		if len(b.Ports) > 0 {
			blocks = append(blocks, b)
		}
	}
	if h.ufw && h.ufwDeny {
		b := Block{Firewall: "ufw", Why: "ufw is active and denies incoming by default (its rules were not read)", Ports: ports}
		for _, p := range ports {
			b.Commands = append(b.Commands, ShellLine(UfwAdd(p)))
		}
		blocks = append(blocks, b)
	}
	return blocks, errors.Join(errs...)
}

func legacyChains(ctx context.Context, v6 bool) (map[string]*chain, error) {
	bin := iptablesBin(v6)
	out, err := run(ctx, []string{bin, "-w", "5", "-S"})
	if err != nil {
		return nil, err
	}
	return parseIptables(bin, out), nil
}

// Open lets in every port: an accept rule, with the port's comment, in each host firewall that
// would drop it, and mockdirector's own nftables table as the record. It is all or nothing: on
// an error, what it added is removed again. Close the Opened on every way out.
func Open(ctx context.Context, ports []Port) (*Opened, error) {
	h := probeHost(ctx)
	o := &Opened{}
	fail := func(err error) (*Opened, error) {
		if cerr := o.Close(context.WithoutCancel(ctx)); cerr != nil {
			err = fmt.Errorf("%w; removing what was added: %w", err, cerr)
		}
		return nil, err
	}
	switch {
	case h.nft != nil:
		if err := openNft(h, ports, o); err != nil {
			return fail(err)
		}
	case errors.Is(h.nftErr, os.ErrPermission) || !(h.legacy4 || h.legacy6 || h.firewalld || h.ufw):
		return nil, h.nftErr
	default:
		// A kernel without nf_tables: iptables-legacy (or a manager) is the host firewall.
		o.Notes = append(o.Notes, "no nftables here: "+h.nftErr.Error())
	}
	for _, v6 := range []bool{false, true} {
		if (!v6 && !h.legacy4) || (v6 && !h.legacy6) || h.ufw || h.firewalld {
			continue
		}
		if err := openLegacy(ctx, ports, v6, o); err != nil {
			return fail(err)
		}
	}
	if h.firewalld {
		if err := openFirewalld(ctx, ports, o); err != nil {
			return fail(err)
		}
	}
	if h.ufw {
		if err := openUfw(ctx, ports, o); err != nil {
			return fail(err)
		}
	}
	return o, nil
}

// openNft adds the own table and the accept rules in one nftables transaction.
func openNft(h *linuxHost, ports []Port, o *Opened) error {
	c := h.nft
	chains, err := nftInputChains(c, h.skip)
	if err != nil {
		return err
	}
	comments := map[string]bool{}
	for _, p := range ports {
		comments[p.Comment()] = true
	}
	own := &nftables.Table{Family: nftables.TableFamilyINet, Name: OwnTable}
	c.AddTable(own)
	policy := nftables.ChainPolicyAccept
	ownChain := c.AddChain(&nftables.Chain{Name: "input", Table: own, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookInput, Priority: nftables.ChainPriorityFilter, Policy: &policy})
	for _, p := range ports {
		for _, v6 := range ruleFamilies(p, nftables.TableFamilyINet) {
			c.AddRule(&nftables.Rule{Table: own, Chain: ownChain, Exprs: acceptExprs(own.Family, p, v6), UserData: commentData(p)})
		}
	}
	type touched struct {
		c nftChain
		n int
	}
	var done []touched
	for _, ch := range chains {
		n := 0
		// Inserted at the top one by one, the last inserted is first: insert in reverse so the
		// chain lists them in the order of the ports.
		for i := len(ports) - 1; i >= 0; i-- {
			p := ports[i]
			if !nftBlocks(ch, p) {
				continue
			}
			for _, v6 := range ruleFamilies(p, ch.table.Family) {
				c.InsertRule(&nftables.Rule{Table: ch.table, Chain: ch.chain, Exprs: acceptExprs(ch.table.Family, p, v6), UserData: commentData(p)})
				n++
			}
		}
		if n > 0 {
			done = append(done, touched{ch, n})
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables: add the accept rules: %w", err)
	}
	o.Added = append(o.Added, fmt.Sprintf("nftables table inet %s: %d accept rules, the record of what is open", OwnTable, len(ports)))
	for _, t := range done {
		why := decideFirst(t.c, ports)
		o.Added = append(o.Added, fmt.Sprintf("nftables chain %s: %d accept rules at the top; without them: %s", t.c.name(), t.n, why))
	}
	o.undo = append(o.undo, func(context.Context) error {
		return removeNft(c, func(r *nftables.Rule) bool { return comments[commentOf(r)] }, false)
	})
	return nil
}

// ruleFamilies is the address families of p's rules in a chain of fam: one rule without an
// address for a port bound to every address (false stands for it), else the address's family.
func ruleFamilies(p Port, fam nftables.TableFamily) []bool {
	if p.anyAddr() {
		return []bool{fam == nftables.TableFamilyIPv6}
	}
	v6 := !p.Addr.Unmap().Is4()
	switch {
	case fam == nftables.TableFamilyIPv4 && v6, fam == nftables.TableFamilyIPv6 && !v6:
		return nil
	}
	return []bool{v6}
}

func nftBlocks(ch nftChain, p Port) bool {
	for _, pk := range p.packets() {
		if ch.takes(pk) && decide(ch.model, ch.chains, pk).blocks() {
			return true
		}
	}
	return false
}

// decideFirst is why the chain drops the first port it drops.
func decideFirst(ch nftChain, ports []Port) string {
	for _, p := range ports {
		for _, pk := range p.packets() {
			if d := decide(ch.model, ch.chains, pk); ch.takes(pk) && d.blocks() {
				return d.why
			}
		}
	}
	return ""
}

func commentData(p Port) []byte { return userdata.AppendString(nil, userdata.TypeComment, p.Comment()) }

// removeNft deletes, by handle, the rules of every table that match, and the own table when
// nothing of anyone's is left in it (all: remove it whatever it holds).
func removeNft(c *nftables.Conn, match func(*nftables.Rule) bool, all bool) error {
	chains, err := c.ListChains()
	if err != nil {
		return fmt.Errorf("nftables: list chains: %w", err)
	}
	ownLeft, ownSeen := 0, false
	for _, ch := range chains {
		rules, err := c.GetRules(ch.Table, ch)
		if err != nil {
			return fmt.Errorf("nftables: rules of %s %s %s: %w", familyName(ch.Table.Family), ch.Table.Name, ch.Name, err)
		}
		isOwn := ch.Table.Name == OwnTable && ch.Table.Family == nftables.TableFamilyINet
		ownSeen = ownSeen || isOwn
		for _, r := range rules {
			if match(r) {
				if err := c.DelRule(r); err != nil {
					return err
				}
			} else if isOwn {
				ownLeft++
			}
		}
	}
	if ownSeen && (all || ownLeft == 0) {
		c.DelTable(&nftables.Table{Family: nftables.TableFamilyINet, Name: OwnTable})
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables: remove mockdirector's rules: %w", err)
	}
	return nil
}

func openLegacy(ctx context.Context, ports []Port, v6 bool, o *Opened) error {
	chains, err := legacyChains(ctx, v6)
	if err != nil {
		return err
	}
	input := chains["INPUT"]
	if input == nil {
		return nil
	}
	n := 0
	for i := len(ports) - 1; i >= 0; i-- {
		p := ports[i]
		if (v6 && !p.v6()) || (!v6 && !p.v4()) {
			continue
		}
		blocks := false
		for _, pk := range p.packets() {
			blocks = blocks || (pk.v6 == v6 && decide(input, chains, pk).blocks())
		}
		if !blocks {
			continue
		}
		if _, err := run(ctx, IptablesInsert(p, v6)); err != nil {
			return err
		}
		n++
		o.undo = append(o.undo, func(ctx context.Context) error {
			_, err := run(ctx, IptablesDelete(p, v6))
			return err
		})
	}
	if n > 0 {
		o.Added = append(o.Added, fmt.Sprintf("%s INPUT: %d accept rules at the top", iptablesBin(v6), n))
	}
	return nil
}

func openFirewalld(ctx context.Context, ports []Port, o *Opened) error {
	rec := filepath.Join(RecordDir, "firewalld-"+strconv.Itoa(os.Getpid()))
	var added []string
	write := func() error {
		if len(added) == 0 {
			return os.Remove(rec)
		}
		if err := os.MkdirAll(RecordDir, 0o755); err != nil {
			return err
		}
		return os.WriteFile(rec, []byte(strings.Join(added, "\n")+"\n"), 0o644)
	}
	open, err := firewalldPorts(ctx)
	if err != nil {
		return err
	}
	for _, p := range ports {
		spec := FirewalldPort(p)
		if open[spec] {
			continue // open already: not mockdirector's to close
		}
		open[spec] = true // the UDP twin and a guard may share a port
		added = append(added, spec)
		if err := write(); err != nil {
			return fmt.Errorf("firewalld: record the runtime ports in %s: %w", RecordDir, err)
		}
		if _, err := run(ctx, FirewalldAdd(p)); err != nil {
			return err
		}
		o.undo = append(o.undo, func(ctx context.Context) error {
			_, err := run(ctx, FirewalldRemove(p))
			added = remove(added, spec)
			if werr := write(); werr != nil && !errors.Is(werr, os.ErrNotExist) && err == nil {
				err = werr
			}
			return err
		})
	}
	if len(added) > 0 {
		o.Added = append(o.Added, fmt.Sprintf("firewalld: %d runtime ports in the default zone", len(added)))
	}
	return nil
}

func remove(list []string, s string) []string {
	for i, v := range list {
		if v == s {
			return append(list[:i:i], list[i+1:]...)
		}
	}
	return list
}

func openUfw(ctx context.Context, ports []Port, o *Opened) error {
	n := 0
	for _, p := range ports {
		out, err := run(ctx, UfwAdd(p))
		if err != nil {
			return err
		}
		if strings.Contains(out, "Skipping") {
			continue // the same rule was there before: not mockdirector's to delete
		}
		n++
		o.undo = append(o.undo, func(ctx context.Context) error {
			_, err := run(ctx, UfwDelete(p))
			return err
		})
	}
	if n > 0 {
		o.Added = append(o.Added, fmt.Sprintf("ufw: %d allow rules", n))
	}
	return nil
}

// Clean removes every rule any mockdirector serve added and did not remove (killed with
// SIGKILL, a power cut), and says what it removed. Stop every serve on the host first: their
// rules carry the same comments.
func Clean(ctx context.Context) ([]string, error) {
	h := probeHost(ctx)
	var done []string
	var errs []error
	if h.nft != nil {
		n := 0
		err := removeNft(h.nft, func(r *nftables.Rule) bool {
			if ours(r) {
				n++
				return true
			}
			return false
		}, true)
		if err != nil {
			errs = append(errs, err)
		} else if n > 0 {
			done = append(done, fmt.Sprintf("nftables: removed %d rules with a %q comment, and the table inet %s", n, strings.TrimSpace(Prefix), OwnTable))
		}
	} else {
		errs = append(errs, h.nftErr)
	}
	for _, v6 := range []bool{false, true} {
		if (!v6 && !h.legacy4) || (v6 && !h.legacy6) {
			continue
		}
		bin := iptablesBin(v6)
		out, err := run(ctx, []string{bin, "-w", "5", "-S"})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		left := iptablesLeftovers(bin, out)
		for _, argv := range left {
			if _, err := run(ctx, argv); err != nil {
				errs = append(errs, err)
			}
		}
		if len(left) > 0 {
			done = append(done, fmt.Sprintf("%s: removed %d rules", bin, len(left)))
		}
	}
	if h.ufw {
		out, err := run(ctx, []string{"ufw", "show", "added"})
		if err != nil {
			errs = append(errs, err)
		}
		left := ufwLeftovers(out)
		for _, argv := range left {
			if _, err := run(ctx, argv); err != nil {
				errs = append(errs, err)
			}
		}
		if len(left) > 0 {
			done = append(done, fmt.Sprintf("ufw: removed %d rules", len(left)))
		}
	}
	recs, _ := filepath.Glob(filepath.Join(RecordDir, "firewalld-*"))
	for _, rec := range recs {
		b, err := os.ReadFile(rec)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		n := 0
		for spec := range strings.FieldsSeq(string(b)) {
			if h.firewalld {
				if _, err := run(ctx, []string{"firewall-cmd", "--remove-port=" + spec}); err != nil {
					errs = append(errs, err)
					continue
				}
			}
			n++
		}
		if err := os.Remove(rec); err != nil {
			errs = append(errs, err)
		}
		done = append(done, fmt.Sprintf("firewalld: removed %d runtime ports (%s)", n, rec))
	}
	return done, errors.Join(errs...)
}

// run runs argv with a bounded time and returns its combined output; an error names the
// command and what it said.
func run(ctx context.Context, argv []string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("%s: %w: %s", ShellLine(argv), err, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}

// firewalldPorts is the runtime ports of firewalld's default zone ("443/tcp").
func firewalldPorts(ctx context.Context) (map[string]bool, error) {
	out, err := run(ctx, []string{"firewall-cmd", "--list-ports"})
	if err != nil {
		return map[string]bool{}, err
	}
	return FirewalldOpen(out), nil
}
