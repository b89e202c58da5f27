package lab

import (
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"
)

//go:embed peers/*.tmpl
var peerTemplates embed.FS

// Lab is a running lab: namespaces built, peers started.
type Lab struct {
	// Bin is the mockdirector binary; Dir holds certificates, configs and journals.
	Bin, Dir string
	// Topology is lab/topology.yaml (absolute).
	Topology string
	// Certs is the certificate directory from mockdirector certs init.
	Certs string
	// FirewallFile is lab/firewall.nft (absolute); Firewall is its text.
	FirewallFile, Firewall string

	Procs []*Proc
	// Serve maps a member short name (dir01, fe02) to its serve process and journal.
	Serve    map[string]*Proc
	Journals map[string]string
	Kamailio *Proc
	// HAProxy is the Director HLB; HAProxyConfig the text of its haproxy.cfg as rendered.
	HAProxy       *Proc
	HAProxyConfig string
}

type peerVars struct {
	Dir, Certs                      string
	VIP, Dir01, Dir02, RPExt, RPInt string
	Edge                            string
	PingInterval                    int
}

func render(name, dst string, v peerVars) error {
	t, err := template.ParseFS(peerTemplates, "peers/"+name)
	if err != nil {
		return fmt.Errorf("lab: template %s: %w", name, err)
	}
	var b strings.Builder
	if err := t.Execute(&b, v); err != nil {
		return fmt.Errorf("lab: template %s: %w", name, err)
	}
	return WriteFile(dst, b.String())
}

// New prepares a lab in dir: certificates for lab/topology.yaml, the peer configurations.
func New(bin, dir, labDir string) (*Lab, error) {
	l := &Lab{Bin: bin, Dir: dir, Topology: filepath.Join(labDir, "topology.yaml"),
		FirewallFile: filepath.Join(labDir, "firewall.nft"), Certs: filepath.Join(dir, "certs"),
		Serve: map[string]*Proc{}, Journals: map[string]string{}}
	fw, err := os.ReadFile(l.FirewallFile)
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	l.Firewall = string(fw)
	if _, err := Run(bin, "certs", "init", "--dir", l.Certs, "--config", l.Topology); err != nil {
		return nil, err
	}
	v := peerVars{Dir: dir, Certs: l.Certs, VIP: AddrVIP, Dir01: AddrDir01, Dir02: AddrDir02,
		RPExt: AddrRPExt, RPInt: AddrRPInt, Edge: AddrEdge, PingInterval: 2}
	for _, sub := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi", "kamailio"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("lab: %w", err)
		}
	}
	for tmpl, dst := range map[string]string{
		"haproxy.cfg.tmpl": "haproxy.cfg", "nginx.conf.tmpl": "nginx.conf",
		"kamailio.cfg.tmpl": "kamailio.cfg", "kamailio-tls.cfg.tmpl": "tls.cfg",
		"hlb-udp.nft.tmpl": "hlb-udp.nft",
	} {
		if err := render(tmpl, filepath.Join(dir, dst), v); err != nil {
			return nil, err
		}
	}
	// HAProxy's health check presents the Edge's client certificate (lab/peers/haproxy.cfg.tmpl):
	// a Director's 5061 takes only a known Edge server's, as Lync does.
	var pem []byte
	for _, f := range []string{"edge01-int.contoso.local.crt", "edge01-int.contoso.local.key"} {
		b, err := os.ReadFile(filepath.Join(l.Certs, f))
		if err != nil {
			return nil, fmt.Errorf("lab: HAProxy's check certificate: %w", err)
		}
		pem = append(pem, b...)
	}
	if err := os.WriteFile(filepath.Join(dir, "haproxy-check.pem"), pem, 0o600); err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	cfg, err := os.ReadFile(filepath.Join(dir, "haproxy.cfg"))
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	l.HAProxyConfig = string(cfg)
	if err := WriteFile(filepath.Join(dir, "dispatcher.list"),
		fmt.Sprintf("# set destination flags priority\n1 sip:%s:5061;transport=tls 0 0\n", AddrVIP)); err != nil {
		return nil, err
	}
	return l, nil
}

// LoadFirewall loads the lab's firewall.nft (or a mutated copy of its text) into mdlab-fw.
func (l *Lab) LoadFirewall(text string) error {
	if err := LoadRules(text); err != nil {
		return err
	}
	// Once conntrack runs in mdlab-fw: a stateful firewall drops mid-stream packets it has no
	// state for, so a connection cut by an idle timeout stays cut.
	return sysctl(NSFirewall, "net.netfilter.nf_conntrack_tcp_loose", "0")
}

// StartPeers starts mockdirector serve for every member, HAProxy (with the HLB's UDP balancing
// in nftables, peers/hlb-udp.nft.tmpl), nginx and kamailio, and waits until each says it is ready.
func (l *Lab) StartPeers() error {
	members := []struct{ ns, role, member string }{
		{NSDir01, "director", "dir01"}, {NSDir02, "director", "dir02"},
		{NSFe01, "frontend", "fe01"}, {NSFe02, "frontend", "fe02"},
		{NSPKI, "pki", "pki01"},
	}
	for _, m := range members {
		j := filepath.Join(l.Dir, m.member+".jsonl")
		p, err := Start("serve "+m.member, m.ns, l.Bin, "serve", "--role", m.role, "--member", m.member,
			"--config", l.Topology, "--certs", l.Certs, "--journal", j)
		if err != nil {
			return err
		}
		l.Procs = append(l.Procs, p)
		l.Serve[m.member], l.Journals[m.member] = p, j
	}
	for _, m := range members {
		if err := l.Serve[m.member].WaitOutput("ready;", 15*time.Second); err != nil {
			return err
		}
	}
	// The HLB's UDP side (HAProxy balances TCP only): nftables DNAT to the Directors.
	if _, err := NSRun(NSHLB, "nft", "-f", filepath.Join(l.Dir, "hlb-udp.nft")); err != nil {
		return err
	}
	hap, err := Start("haproxy", NSHLB, "haproxy", "-db", "-f", filepath.Join(l.Dir, "haproxy.cfg"))
	if err != nil {
		return err
	}
	l.Procs = append(l.Procs, hap)
	l.HAProxy = hap
	ngx, err := Start("nginx", NSRP, "nginx", "-c", filepath.Join(l.Dir, "nginx.conf"), "-p", l.Dir)
	if err != nil {
		return err
	}
	l.Procs = append(l.Procs, ngx)
	if err := l.startKamailio(); err != nil {
		return err
	}
	// Wait until each peer listens (ss inside its namespace).
	for _, w := range []struct{ ns, addr string }{
		{NSHLB, AddrVIP + ":5061"}, {NSRP, AddrRPExt + ":443"}, {NSEdge, AddrEdge + ":5061"},
	} {
		if err := waitListen(w.ns, w.addr, 10*time.Second); err != nil {
			return errors.Join(err, l.peerLogs())
		}
	}
	return nil
}

// LoadHAProxy restarts the Director HLB with cfg (a mutated copy of HAProxyConfig, or it) and
// waits until it listens on the VIP again.
func (l *Lab) LoadHAProxy(cfg string) error {
	file := filepath.Join(l.Dir, "haproxy-now.cfg")
	if err := WriteFile(file, cfg); err != nil {
		return err
	}
	if out, err := NSRun(NSHLB, "haproxy", "-c", "-q", "-f", file); err != nil {
		return fmt.Errorf("lab: haproxy -c %s: %w\n%s", file, err, out)
	}
	l.HAProxy.Stop()
	hap, err := Start("haproxy", NSHLB, "haproxy", "-db", "-f", file)
	if err != nil {
		return err
	}
	l.Procs = append(l.Procs, hap)
	l.HAProxy = hap
	for _, port := range []string{"80", "8080", "5061"} {
		if err := waitListen(NSHLB, AddrVIP+":"+port, 10*time.Second); err != nil {
			return errors.Join(err, l.peerLogs())
		}
	}
	return nil
}

func (l *Lab) startKamailio() error {
	kam, err := Start("kamailio", NSEdge, "kamailio", "-DD", "-E", "-f", filepath.Join(l.Dir, "kamailio.cfg"),
		"-Y", filepath.Join(l.Dir, "kamailio"), "-P", filepath.Join(l.Dir, "kamailio", "kamailio.pid"), "-w", filepath.Join(l.Dir, "kamailio"))
	if err != nil {
		return err
	}
	l.Procs = append(l.Procs, kam)
	l.Kamailio = kam
	return nil
}

// EnsureKamailio restarts kamailio if it has died (kamailio 5.6's TLS module can crash; the lab
// uses it for paths, not load) and says so; it returns "" when kamailio was running.
func (l *Lab) EnsureKamailio() (string, error) {
	if !l.Kamailio.Exited() {
		return "", nil
	}
	note := "kamailio had exited (a known kamailio 5.6 TLS crash); restarted it. Its last words:\n" + tail(l.Kamailio.Output())
	if err := l.startKamailio(); err != nil {
		return note, err
	}
	return note, waitListen(NSEdge, AddrEdge+":5061", 10*time.Second)
}

func (l *Lab) peerLogs() error {
	var b strings.Builder
	for _, p := range l.Procs {
		fmt.Fprintf(&b, "--- %s (exited=%v)\n%s\n", p.Name, p.Exited(), tail(p.Output()))
	}
	return errors.New(b.String())
}

func waitListen(ns, addr string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		out, _ := NSRun(ns, "ss", "-Hltn")
		if strings.Contains(out, addr) {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("lab: nothing listens on %s in %s after %s", addr, ns, d)
}

// Stop stops every peer (reverse order).
func (l *Lab) Stop() {
	for i := len(l.Procs) - 1; i >= 0; i-- {
		l.Procs[i].Stop()
	}
}
