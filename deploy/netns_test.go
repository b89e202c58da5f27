package fleet_test

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/mockdirector/mockdirector/internal/netns"
)

// prefix starts the name of every namespace and root-namespace link the fleet test makes.
const prefix = "mdfleet-"

const (
	nsRouter   = prefix + "rt"  // routes between the hosts and the controller; no firewall
	linkCtl    = prefix + "ctl" // the controller's (root namespace) leg to the router
	addrCtl    = "203.0.113.250"
	routerHost = ".201" // the router's address on each /24 is <net>.201
)

// host is one inventory host stood up as a network namespace with its own sshd.
type host struct {
	name, addr string
	ns         string
	sshd       *exec.Cmd
}

// inventoryHosts reads the hosts and their ansible_host from the playbook's inventory: the test
// builds exactly the network the inventory describes.
func inventoryHosts(path string) ([]*host, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var inv struct {
		All struct {
			Children map[string]struct {
				Hosts map[string]struct {
					AnsibleHost string `yaml:"ansible_host"`
				} `yaml:"hosts"`
			} `yaml:"children"`
		} `yaml:"all"`
	}
	if err := yaml.Unmarshal(data, &inv); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	seen := map[string]bool{}
	var hosts []*host
	for _, g := range inv.All.Children {
		for name, h := range g.Hosts {
			if seen[name] {
				continue
			}
			seen[name] = true
			hosts = append(hosts, &host{name: name, addr: h.AnsibleHost, ns: prefix + name})
		}
	}
	slices.SortFunc(hosts, func(a, b *host) int { return strings.Compare(a.name, b.name) })
	return hosts, nil
}

// run runs a command with a bounded time and returns its combined output.
func run(name string, args ...string) (string, error) { return netns.Run(name, args...) }

func ip(args ...string) error {
	_, err := run("ip", args...)
	return err
}

// fleet is the namespaces of the fleet test: mdfleet-*, fixed names, so a run takes the
// prefix's lease (netns.Lock) before it builds or removes any.
var fleet = netns.Set{Prefix: prefix}

// routerAddr is the router's address on the /24 of addr.
func routerAddr(addr string) string {
	return addr[:strings.LastIndex(addr, ".")] + routerHost
}

// fleetNamespaces lists the namespaces named prefix* that exist now.
func fleetNamespaces() []string {
	names, _ := fleet.List()
	return names
}

func nsPids(ns string) []int { return netns.Pids(ns) }

// pidsMentioning lists the processes whose command line contains s (the run's temp directory:
// every process the test or the playbook starts names it).
func pidsMentioning(s string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmdline, []byte(s)) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// removeFleet kills every process in a prefix* namespace and deletes the namespaces and the
// controller's link: the cleanup of this run and of a crashed earlier one (the caller holds
// the prefix's lease, so no live run's). Only mdfleet-* is ever touched.
func removeFleet() error {
	var errs []error
	errs = append(errs, fleet.Remove())
	if _, err := net.InterfaceByName(linkCtl); err == nil {
		if err := ip("link", "del", linkCtl); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// buildFleet makes the router and one namespace per host: /32 addresses, on-link routes, the
// router forwarding (and filtering nothing), and the controller's leg in the root namespace
// with a /32 route per host, so nothing else of the root namespace's routing changes.
func buildFleet(hosts []*host) error {
	if _, err := fleet.Add("rt"); err != nil {
		return err
	}
	if err := netns.Veth(netns.End{If: linkCtl, Addrs: []string{addrCtl + "/32"}},
		netns.End{NS: nsRouter, If: "ctl", Addrs: []string{routerAddr(addrCtl) + "/32"}}); err != nil {
		return err
	}
	steps := [][]string{{"-n", nsRouter, "route", "add", addrCtl + "/32", "dev", "ctl"}}
	for _, h := range hosts {
		if _, err := fleet.Add(strings.TrimPrefix(h.ns, prefix)); err != nil {
			return err
		}
		r := routerAddr(h.addr)
		if err := netns.Veth(netns.End{NS: nsRouter, If: h.name, Addrs: []string{r + "/32"}},
			netns.End{NS: h.ns, If: "eth0", Addrs: []string{h.addr + "/32"}}); err != nil {
			return err
		}
		steps = append(steps,
			[]string{"-n", nsRouter, "route", "add", h.addr + "/32", "dev", h.name},
			[]string{"-n", h.ns, "route", "add", r + "/32", "dev", "eth0"},
			[]string{"-n", h.ns, "route", "add", "default", "via", r, "dev", "eth0"},
			[]string{"route", "add", h.addr + "/32", "via", routerAddr(addrCtl), "dev", linkCtl, "src", addrCtl, "onlink"},
		)
	}
	for _, s := range steps {
		if err := ip(s...); err != nil {
			return err
		}
	}
	_, err := netns.Exec(nsRouter, "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward")
	return err
}

// sshConfig is the test's sshd configuration of one host: its address, a host key and an
// authorised key made for the run, no PAM, nothing read from /etc/ssh.
func sshConfig(dir string, h *host) string {
	return strings.Join([]string{
		"ListenAddress " + h.addr + ":22",
		"HostKey " + filepath.Join(dir, h.name+"_host_key"),
		"PidFile " + filepath.Join(dir, h.name+".pid"),
		"AuthorizedKeysFile " + filepath.Join(dir, "authorized_keys"),
		"PermitRootLogin prohibit-password",
		"PubkeyAuthentication yes",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"UsePAM no",
		"StrictModes no",
		"PrintMotd no",
		"MaxStartups 50",
		"Subsystem sftp internal-sftp",
		"",
	}, "\n")
}

// waitTCP waits until addr accepts a connection from the root namespace (through the router).
func waitTCP(addr string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return c.Close()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not accepting after %s: %w", addr, d, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
