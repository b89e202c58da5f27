package main_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/mockdirector/mockdirector/internal/hostfw"
	"github.com/mockdirector/mockdirector/internal/netns"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/probe/probetest"
)

// serve --host-firewall in network namespaces this spec makes: the server's namespace is a
// probetest.Blackhole (its own table, inet mdprobe, ends in a drop rule for all TCP and UDP),
// whose other veth end is moved into a client namespace, so every connection below crosses the
// server namespace's input hook as a peer's would. Each case adds a host firewall that drops
// (an nftables policy drop, the ip filter INPUT of iptables-nft, iptables-legacy's INPUT),
// runs the real binary in the server namespace, and connects from the client namespace.
var _ = Describe("serve --host-firewall in a network namespace", Ordered, Serial, Label("netns", "hostfw"), func() {
	var (
		srvNS, cliNS string
		srvAddr      string
		dir, certDir string
	)

	BeforeAll(func() {
		if err := probetest.Available(); err != nil {
			if os.Getenv("CI") == "true" {
				Fail("CI=true: the host firewall specs need network namespaces and nft: " + err.Error())
			}
			Skip("the host firewall specs need network namespaces and nftables (" + err.Error() + "): run the suite as root")
		}
		for _, tool := range []string{"iptables-nft", "iptables-legacy"} {
			if _, err := exec.LookPath(tool); err != nil {
				if os.Getenv("CI") == "true" {
					Fail("CI=true: " + tool + " is not installed")
				}
				Skip(tool + " is not installed")
			}
		}
		pid := strconv.Itoa(os.Getpid())
		srvNS, cliNS = "mdhf-"+pid+"-s", "mdhf-"+pid+"-c"
		bh, err := probetest.NewBlackhole(srvNS, "198.51.100.248/30", nil, nil)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() {
			exec.Command("ip", "netns", "del", cliNS).Run()
			Expect(bh.Close()).To(Succeed())
		})
		srvAddr = bh.Addr.String()
		exec.Command("ip", "netns", "del", cliNS).Run() // a crashed run's
		for _, s := range [][]string{
			{"ip", "netns", "add", cliNS},
			{"ip", "-n", cliNS, "link", "set", "lo", "up"},
			{"ip", "link", "set", srvNS + "h", "netns", cliNS},
			{"ip", "-n", cliNS, "addr", "add", bh.HostAddr.String() + "/30", "dev", srvNS + "h"},
			{"ip", "-n", cliNS, "link", "set", srvNS + "h", "up"},
		} {
			out, err := exec.Command(s[0], s[1:]...).CombinedOutput()
			Expect(err).NotTo(HaveOccurred(), "%v: %s", s, out)
		}
		dir = GinkgoT().TempDir()
		certDir = filepath.Join(dir, "certs")
		Expect(runMD("certs", "init", "--dir", certDir)).To(gexec.Exit(0))
	})

	inSrv := func(args ...string) string {
		out, err := exec.Command("ip", append([]string{"netns", "exec", srvNS}, args...)...).CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "%v: %s", args, out)
		return string(out)
	}
	nftIn := func(ruleset string) {
		cmd := exec.Command("ip", "netns", "exec", srvNS, "nft", "-f", "-")
		cmd.Stdin = strings.NewReader(ruleset)
		out, err := cmd.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "nft -f: %s", out)
	}
	serve := func(extra ...string) *gexec.Session {
		args := append([]string{"netns", "exec", srvNS, binPath, "serve", "--role", "director", "--bind", srvAddr,
			"--journal", filepath.Join(dir, "journal.jsonl"), "--certs", certDir}, extra...)
		s, err := gexec.Start(exec.Command("ip", args...), GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { s.Kill().Wait(5 * time.Second) })
		Eventually(s.Out, 30*time.Second).Should(gbytes.Say("ready"), "serve did not get ready: %s", s.Err.Contents())
		return s
	}
	stop := func(s *gexec.Session) {
		s.Signal(syscall.SIGTERM)
		Eventually(s, 20*time.Second).Should(gexec.Exit(0))
	}
	// get asks the HTTPS listener on 4443 for the mock's identity from the client namespace.
	get := func(port int) (*http.Response, error) {
		c := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // the name is not the point here: that the port answers is
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				return dialFrom(ctx, cliNS, network, addr)
			},
		}}
		r, err := c.Get(fmt.Sprintf("https://%s%s", net.JoinHostPort(srvAddr, strconv.Itoa(port)), wire.WellKnownPath))
		if err == nil {
			r.Body.Close()
		}
		return r, err
	}
	answers := func(port int) {
		r, err := get(port)
		Expect(err).NotTo(HaveOccurred(), "port %d from the client namespace", port)
		Expect(r.Header.Get(wire.HeaderRole)).To(Equal("director"))
	}
	dropped := func(port int) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		c, err := dialFrom(ctx, cliNS, "tcp", net.JoinHostPort(srvAddr, strconv.Itoa(port)))
		if err == nil {
			c.Close()
		}
		Expect(err).To(HaveOccurred(), "port %d answers: the host firewall was meant to drop it", port)
	}
	noMockdirector := func() {
		Expect(inSrv("nft", "list", "ruleset")).NotTo(ContainSubstring("mockdirector"))
	}

	Context("an nftables input chain with policy drop, beside a table whose last rule drops", func() {
		BeforeAll(func() {
			nftIn("table inet filter {\n chain input {\n  type filter hook input priority 0; policy drop;\n  ct state established,related accept\n  iif lo accept\n  tcp dport 22 accept\n }\n}\n")
		})

		It("warns without the flag, naming both chains and the commands, and the port stays dropped", func() {
			s := serve()
			out := string(s.Out.Contents())
			Expect(out).To(ContainSubstring("warning: the host firewall drops new connections to 16 of the 16 ports serve bound: nftables chain inet mdprobe input"))
			// iif lo accept may match a connection from this host to its own address: may drop
			Expect(out).To(MatchRegexp(`warning: the host firewall may drop new connections to 16 of the 16 ports serve bound: nftables chain inet filter input: policy drop \(unless the rule with handle \d+ accepts it first\)\.`))
			Expect(out).To(MatchRegexp(`nftables chain inet mdprobe input: dropped by the rule with handle \d+ in inet mdprobe input`))
			Expect(out).To(ContainSubstring(`nft 'insert rule inet filter input ip daddr ` + srvAddr + ` tcp dport 4443 accept comment "mockdirector director https-4443 tcp/4443 ` + srvAddr + `"'`))
			Expect(out).To(ContainSubstring("--host-firewall=open"))
			dropped(4443)
			stop(s)
			noMockdirector()
		})

		It("with --host-firewall=open lets in the listeners and the guards, and removes every rule on SIGTERM", func() {
			s := serve("--host-firewall=open")
			out := string(s.Out.Contents())
			Expect(out).NotTo(ContainSubstring("warning: the host firewall"))
			Expect(out).To(ContainSubstring("host firewall: added nftables table inet mockdirector: 16 accept rules"))
			Expect(out).To(ContainSubstring("host firewall: added nftables chain inet filter input: 16 accept rules at the top; without them: policy drop"))
			Expect(out).To(ContainSubstring("host firewall: added nftables chain inet mdprobe input: 16 accept rules at the top; without them: dropped by"))
			answers(4443)
			answers(444) // a guard: reached, so that the table's deny row toward it is proven
			rs := inSrv("nft", "list", "ruleset")
			Expect(rs).To(ContainSubstring("table inet mockdirector"))
			Expect(rs).To(ContainSubstring(`comment "mockdirector director guard-udp-quic-443 udp/443 ` + srvAddr + `"`))
			stop(s)
			Expect(s.Out).To(gbytes.Say("host firewall: removed the rules serve added"))
			noMockdirector()
			dropped(4443)
		})

		It("removes every rule on SIGINT (Ctrl-C) and on SIGHUP (the terminal closed) too", func() {
			for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGHUP} {
				s := serve("--host-firewall=open")
				answers(4443)
				s.Signal(sig)
				Eventually(s, 20*time.Second).Should(gexec.Exit(0), "after %v", sig)
				Expect(s.Out).To(gbytes.Say("host firewall: removed the rules serve added"))
				noMockdirector()
			}
		})

		It("leaves its rules when killed with -9, and host-firewall clean removes them", func() {
			s := serve("--host-firewall=open")
			answers(4443)
			s.Kill()
			Eventually(s, 10*time.Second).Should(gexec.Exit())
			Expect(inSrv("nft", "list", "ruleset")).To(ContainSubstring("mockdirector"))
			out := inSrv(binPath, "host-firewall", "clean")
			Expect(out).To(ContainSubstring("nftables: removed"))
			noMockdirector()
			dropped(4443)
			Expect(inSrv(binPath, "host-firewall", "clean")).To(ContainSubstring("nothing to remove"))
		})

		AfterAll(func() { inSrv("nft", "delete", "table", "inet", "filter") })
	})

	Context("iptables-nft's ip filter INPUT with policy drop", func() {
		BeforeAll(func() {
			inSrv("iptables-nft", "-P", "INPUT", "DROP")
			DeferCleanup(func() { inSrv("nft", "delete", "table", "ip", "filter") })
		})

		It("inserts rules iptables-nft itself lists, and removes them on SIGTERM", func() {
			s := serve()
			Expect(string(s.Out.Contents())).To(ContainSubstring("nftables chain ip filter INPUT: policy drop."))
			dropped(4443)
			stop(s)
			s = serve("--host-firewall=open")
			answers(4443)
			Expect(inSrv("iptables-nft", "-S", "INPUT")).To(ContainSubstring(`--dport 4443 -m comment --comment "mockdirector director https-4443 tcp/4443 ` + srvAddr + `" -j ACCEPT`))
			stop(s)
			noMockdirector()
			dropped(4443)
		})
	})

	Context("iptables-legacy's INPUT with policy drop", func() {
		BeforeAll(func() {
			inSrv("iptables-legacy", "-P", "INPUT", "DROP")
			DeferCleanup(func() { inSrv("iptables-legacy", "-P", "INPUT", "ACCEPT") })
		})

		It("warns, opens with iptables-legacy -I INPUT, and deletes exactly its rules on SIGTERM and after kill -9", func() {
			s := serve()
			out := string(s.Out.Contents())
			Expect(out).To(ContainSubstring("iptables-legacy INPUT: policy drop."))
			Expect(out).To(ContainSubstring("iptables-legacy -w 5 -I INPUT 1 -d " + srvAddr + " -p tcp -m tcp --dport 4443"))
			dropped(4443)
			stop(s)

			inSrv("iptables-legacy", "-A", "INPUT", "-p", "tcp", "--dport", "22", "-m", "comment", "--comment", "ssh, by hand", "-j", "ACCEPT")
			s = serve("--host-firewall=open")
			Expect(string(s.Out.Contents())).To(MatchRegexp(`iptables-legacy INPUT: 16 accept rules at the top`))
			answers(4443)
			stop(s)
			left := inSrv("iptables-legacy", "-S", "INPUT")
			Expect(left).NotTo(ContainSubstring("mockdirector"))
			Expect(left).To(ContainSubstring("ssh, by hand"), "a rule of the site's own stays")
			dropped(4443)

			s = serve("--host-firewall=open")
			s.Kill()
			Eventually(s, 10*time.Second).Should(gexec.Exit())
			Expect(inSrv("iptables-legacy", "-S", "INPUT")).To(ContainSubstring("mockdirector"))
			Expect(inSrv(binPath, "host-firewall", "clean")).To(MatchRegexp(`iptables-legacy: removed \d+ rules`))
			left = inSrv("iptables-legacy", "-S", "INPUT")
			Expect(left).NotTo(ContainSubstring("mockdirector"))
			Expect(left).To(ContainSubstring("ssh, by hand"))
			noMockdirector()
		})
	})

	It("writes nft text (serve's warning, host-firewall show) that nft itself accepts", func() {
		nftIn("table inet mdhfcheck {\n chain input {\n  type filter hook input priority 0; policy accept;\n }\n}\n")
		DeferCleanup(func() { inSrv("nft", "delete", "table", "inet", "mdhfcheck") })
		ports := []hostfw.Port{
			{Role: "director", Listener: "https-443", Addr: netip.MustParseAddr(srvAddr), Port: 443},
			{Role: "director", Listener: "guard-udp-quic-443", UDP: true, Port: 443},
			{Role: "director", Listener: "https-4443", Addr: netip.MustParseAddr("2001:db8::2"), Port: 4443},
		}
		for _, p := range ports {
			line := hostfw.NftCommand("inet mdhfcheck input", p)
			Expect(line).To(HavePrefix("nft '"))
			inSrv("sh", "-c", "nft -c "+strings.TrimPrefix(line, "nft "))
		}
		cmd := exec.Command("ip", "netns", "exec", srvNS, "nft", "-c", "-f", "-")
		cmd.Stdin = strings.NewReader(hostfw.NftOwnTable(ports))
		out, err := cmd.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "nft -c -f: %s", out)
		// and a line nft refuses fails here: the check is not a formality
		Expect(exec.Command("ip", "netns", "exec", srvNS, "sh", "-c", `nft -c 'insert rule inet mdhfcheck input tcp dport 443 acept'`).Run()).To(HaveOccurred())
	})
})

var _ = Describe("serve --host-firewall without the rights to read or change it", func() {
	It("checks and says it could not read nftables; with open it stops with exit 2 and leaves nothing bound (run as nobody)", func() {
		if os.Geteuid() != 0 {
			Skip("needs root to start the binary as another user")
		}
		leaseAddr("127.0.10.44") // port 17443 is the point: a second run of the suite waits
		home, err := os.MkdirTemp("", "mdhf-nobody-")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(os.RemoveAll, home)
		Expect(os.Chmod(home, 0o777)).To(Succeed())
		bin := filepath.Join(home, "mockdirector")
		data, err := os.ReadFile(binPath)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(bin, data, 0o755)).To(Succeed())
		asNobody := func(extra ...string) *exec.Cmd {
			cmd := exec.Command(bin, append([]string{"serve", "--role", "director", "--bind", "127.0.10.44", "--port-offset", "13000",
				"--journal", filepath.Join(home, "j.jsonl"), "--certs", filepath.Join(home, "certs")}, extra...)...)
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
			return cmd
		}

		s, err := gexec.Start(asNobody(), GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { s.Kill().Wait(5 * time.Second) })
		Eventually(s.Out, 30*time.Second).Should(gbytes.Say("ready"))
		Expect(string(s.Out.Contents())).To(ContainSubstring("note: host firewall not fully checked: nftables: netlink receive: operation not permitted (reading the ruleset needs root or CAP_NET_ADMIN)"))
		s.Signal(syscall.SIGTERM)
		Eventually(s, 20*time.Second).Should(gexec.Exit(0))

		s, err = gexec.Start(asNobody("--host-firewall=open"), GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(s, 30*time.Second).Should(gexec.Exit(2))
		Expect(string(s.Err.Contents())).To(ContainSubstring("--host-firewall=open: nftables: netlink receive: operation not permitted (reading the ruleset needs root or CAP_NET_ADMIN) (run as root"))
		Expect(string(s.Out.Contents())).NotTo(ContainSubstring("ready"))
		l, err := net.Listen("tcp", "127.0.10.44:17443") // https-4443 + 13000: serve closed it on the way out
		Expect(err).NotTo(HaveOccurred())
		l.Close()
	})
})

// dialFrom connects from inside network namespace ns.
func dialFrom(ctx context.Context, ns, network, addr string) (net.Conn, error) {
	var c net.Conn
	err := netns.Do(ns, func() error {
		var err error
		c, err = (&net.Dialer{}).DialContext(ctx, network, addr)
		return err
	})
	return c, err
}
