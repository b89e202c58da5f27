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

// testLab is a running lab: namespaces built, peers started.
type testLab struct {
	// Bin is the mockdirector binary; Dir holds certificates, configs and journals.
	Bin, Dir string
	// Topology is lab/topology.yaml (absolute).
	Topology string
	// Certs is the certificate directory from mockdirector certs init.
	Certs string
	// FirewallFile is lab/firewall.nft (absolute); Firewall is its text.
	FirewallFile, Firewall string

	Procs []*proc
	// Serve maps a member short name (dir01, fe02) to its serve process and journal.
	Serve    map[string]*proc
	Journals map[string]string
	Kamailio *proc
	// HAProxy is the Director HLB; HAProxyConfig the text of its haproxy.cfg as rendered.
	HAProxy       *proc
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
	return writeFile(dst, b.String())
}

// newTestLab prepares a lab in dir: certificates for lab/topology.yaml, the peer configurations.
func newTestLab(bin, dir, labDir string) (*testLab, error) {
	l := &testLab{Bin: bin, Dir: dir, Topology: filepath.Join(labDir, "topology.yaml"),
		FirewallFile: filepath.Join(labDir, "firewall.nft"), Certs: filepath.Join(dir, "certs"),
		Serve: map[string]*proc{}, Journals: map[string]string{}}
	fw, err := os.ReadFile(l.FirewallFile)
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	l.Firewall = string(fw)
	if _, err := runHost(bin, "certs", "init", "--dir", l.Certs, "--config", l.Topology); err != nil {
		return nil, err
	}
	v := peerVars{Dir: dir, Certs: l.Certs, VIP: addrVIP, Dir01: addrDir01, Dir02: addrDir02,
		RPExt: addrRPExt, RPInt: addrRPInt, Edge: addrEdge, PingInterval: 2}
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
	if err := writeFile(filepath.Join(dir, "dispatcher.list"),
		fmt.Sprintf("# set destination flags priority\n1 sip:%s:5061;transport=tls 0 0\n", addrVIP)); err != nil {
		return nil, err
	}
	return l, nil
}

// LoadFirewall loads the lab's firewall.nft (or a mutated copy of its text) into mdlab-fw.
func (l *testLab) LoadFirewall(text string) error {
	if err := loadFirewallRules(text); err != nil {
		return err
	}
	// Once conntrack runs in mdlab-fw: a stateful firewall drops mid-stream packets it has no
	// state for, so a connection cut by an idle timeout stays cut.
	return sysctl(nsFirewall, "net.netfilter.nf_conntrack_tcp_loose", "0")
}

// StartPeers starts mockdirector serve for every member, HAProxy (with the HLB's UDP balancing
// in nftables, peers/hlb-udp.nft.tmpl), nginx and kamailio, and waits until each says it is ready.
func (l *testLab) StartPeers() error {
	members := []struct{ ns, role, member string }{
		{nsDir01, "director", "dir01"}, {nsDir02, "director", "dir02"},
		{nsFe01, "frontend", "fe01"}, {nsFe02, "frontend", "fe02"},
		{nsPKI, "pki", "pki01"},
	}
	for _, m := range members {
		j := filepath.Join(l.Dir, m.member+".jsonl")
		p, err := startIn("serve "+m.member, m.ns, l.Bin, "serve", "--role", m.role, "--member", m.member,
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
	if _, err := runIn(nsHLB, "nft", "-f", filepath.Join(l.Dir, "hlb-udp.nft")); err != nil {
		return err
	}
	hap, err := startIn("haproxy", nsHLB, "haproxy", "-db", "-f", filepath.Join(l.Dir, "haproxy.cfg"))
	if err != nil {
		return err
	}
	l.Procs = append(l.Procs, hap)
	l.HAProxy = hap
	ngx, err := startIn("nginx", nsRP, "nginx", "-c", filepath.Join(l.Dir, "nginx.conf"), "-p", l.Dir)
	if err != nil {
		return err
	}
	l.Procs = append(l.Procs, ngx)
	if err := l.startKamailio(); err != nil {
		return err
	}
	// Wait until each peer listens (ss inside its namespace).
	for _, w := range []struct{ ns, addr string }{
		{nsHLB, addrVIP + ":5061"}, {nsRP, addrRPExt + ":443"}, {nsEdge, addrEdge + ":5061"},
	} {
		if err := waitListen(w.ns, w.addr, 10*time.Second); err != nil {
			return errors.Join(err, l.peerLogs())
		}
	}
	return nil
}

// LoadHAProxy restarts the Director HLB with cfg (a mutated copy of HAProxyConfig, or it) and
// waits until it listens on the VIP again.
func (l *testLab) LoadHAProxy(cfg string) error {
	file := filepath.Join(l.Dir, "haproxy-now.cfg")
	if err := writeFile(file, cfg); err != nil {
		return err
	}
	if out, err := runIn(nsHLB, "haproxy", "-c", "-q", "-f", file); err != nil {
		return fmt.Errorf("lab: haproxy -c %s: %w\n%s", file, err, out)
	}
	l.HAProxy.Stop()
	hap, err := startIn("haproxy", nsHLB, "haproxy", "-db", "-f", file)
	if err != nil {
		return err
	}
	l.Procs = append(l.Procs, hap)
	l.HAProxy = hap
	for _, port := range []string{"80", "8080", "5061"} {
		if err := waitListen(nsHLB, addrVIP+":"+port, 10*time.Second); err != nil {
			return errors.Join(err, l.peerLogs())
		}
	}
	return nil
}

func (l *testLab) startKamailio() error {
	kam, err := startIn("kamailio", nsEdge, "kamailio", "-DD", "-E", "-f", filepath.Join(l.Dir, "kamailio.cfg"),
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
func (l *testLab) EnsureKamailio() (string, error) {
	if !l.Kamailio.Exited() {
		return "", nil
	}
	note := "kamailio had exited (a known kamailio 5.6 TLS crash); restarted it. Its last words:\n" + tail(l.Kamailio.Output())
	if err := l.startKamailio(); err != nil {
		return note, err
	}
	return note, waitListen(nsEdge, addrEdge+":5061", 10*time.Second)
}

func (l *testLab) peerLogs() error {
	var b strings.Builder
	for _, p := range l.Procs {
		fmt.Fprintf(&b, "--- %s (exited=%v)\n%s\n", p.Name, p.Exited(), tail(p.Output()))
	}
	return errors.New(b.String())
}

func waitListen(ns, addr string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		out, _ := runIn(ns, "ss", "-Hltn")
		if strings.Contains(out, addr) {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("lab: nothing listens on %s in %s after %s", addr, ns, d)
}

// Stop stops every peer (reverse order).
func (l *testLab) Stop() {
	for i := len(l.Procs) - 1; i >= 0; i-- {
		l.Procs[i].Stop()
	}
}
