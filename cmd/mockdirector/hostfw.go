package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mockdirector/mockdirector/internal/hostfw"
	"github.com/mockdirector/mockdirector/internal/roleprofile"
	"github.com/mockdirector/mockdirector/scenarios"
)

func init() {
	hfCmd := &cobra.Command{
		Use:   "host-firewall",
		Short: "The host's own firewall: the rules serve --host-firewall=open adds, and cleaning up after a killed serve",
		Long: `serve --host-firewall=open lets in exactly the ports serve bound (every listener and guard,
TCP, and UDP for QUIC and HTTP/3) and removes those rules when it stops (Ctrl-C, SIGTERM, an
error). Without the flag, serve warns when the host's firewall would drop a bound port, with the
commands that open it.

The rules are named, or carry the comment, "mockdirector <role> <listener>":
  Windows  netsh advfirewall inbound allow rules of that name
  Linux    nftables: the table inet mockdirector (the record), and an accept rule at the top of
           every other input chain that would drop the port (an accept in one table does not
           stop a drop in another); iptables-legacy INPUT; firewalld runtime ports; ufw rules`,
	}
	clean := &cobra.Command{
		Use:   "clean",
		Short: "Remove every rule a mockdirector serve added and did not remove (killed with -9, a crash)",
		Long: `clean removes every host firewall rule whose name or comment starts "mockdirector ", the table
inet mockdirector, and the firewalld runtime ports recorded in /run/mockdirector. Stop every
serve on the host first: a running serve's rules carry the same names. Run as root (Linux) or
from an elevated prompt (Windows).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), 2*time.Minute)
			defer cancel()
			done, err := hostfw.Clean(ctx)
			for _, d := range done {
				fmt.Fprintln(cmd.OutOrStdout(), d)
			}
			if err != nil {
				return fmt.Errorf("host-firewall clean: %w (run as root, or from an elevated prompt on Windows)", err)
			}
			if len(done) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "nothing to remove: no host firewall rule of mockdirector's is left")
			}
			return nil
		},
	}
	var s showFlags
	show := &cobra.Command{
		Use:   "show --role director|frontend|edge-internal|pki [serve's --config --scenario --member --bind --port-offset --no-guards]",
		Short: "Print the commands that open a role's ports, for a change board or to add them by hand",
		Long: `show prints, for the ports serve would bind for the role (the same flags as serve), the
commands that let them in: Windows (netsh advfirewall and the NetSecurity cmdlets) and Linux
(nftables, iptables-legacy, firewalld, ufw), and the commands that remove them again. It binds
nothing and changes nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runHostFWShow(cmd.OutOrStdout(), s) },
	}
	fl := show.Flags()
	fl.StringVar(&s.role, "role", "", "role serve stands in for: "+strings.Join(scenarios.ServerRoles, ", "))
	fl.StringVar(&s.member, "member", "", "member of the role's pool (default the first)")
	fl.StringVar(&s.bind, "bind", "", "address serve binds (default: the member's address in the topology, else all)")
	fl.IntVar(&s.portOffset, "port-offset", 0, "add N to every port, as serve --port-offset")
	fl.StringVar(&s.config, "config", "", "topology YAML (default: built-in contoso)")
	fl.StringVar(&s.scenario, "scenario", scenarios.BuiltinName, "port table: a built-in scenario name or a YAML file")
	fl.BoolVar(&s.noGuards, "no-guards", false, "serve binds no guard listeners")
	show.MarkFlagRequired("role")
	hfCmd.AddCommand(clean, show)
	rootCmd.AddCommand(hfCmd)
}

type showFlags struct {
	role, member, bind, config, scenario string
	portOffset                           int
	noGuards                             bool
}

func runHostFWShow(out io.Writer, f showFlags) error {
	if !containsStr(scenarios.ServerRoles, f.role) {
		return usageErr(fmt.Errorf("--role %q: serve stands in for %s", f.role, strings.Join(scenarios.ServerRoles, ", ")))
	}
	scn, topo, err := loadSite(f.scenario, f.config)
	if err != nil {
		return err
	}
	prof, err := roleprofile.New(scn, topo, roleprofile.PlanOptions{Role: f.role, Member: f.member, Bind: f.bind,
		PortOffset: f.portOffset, Guards: !f.noGuards && f.role != scenarios.RolePKI})
	if err != nil {
		return usageErr(err)
	}
	var ports []hostfw.Port
	for _, s := range append(append(prof.Specs[:0:0], prof.Specs...), prof.Guards...) {
		ports = append(ports, specPorts(s, s.Addr)...)
	}
	printShow(out, f.role, prof.Member.Name, ports)
	return nil
}

// printShow prints every platform's commands for ports.
func printShow(out io.Writer, role, member string, ports []hostfw.Port) {
	fmt.Fprintf(out, "# %d ports of %s member %s: what serve --host-firewall=open adds, and removes when it stops\n", len(ports), role, member)
	fmt.Fprintln(out, "\n# Windows (cmd.exe, elevated): netsh advfirewall")
	for _, p := range ports {
		fmt.Fprintln(out, hostfw.Argv(hostfw.NetshAdd(p)))
	}
	fmt.Fprintln(out, "# remove them:")
	for _, p := range ports {
		fmt.Fprintln(out, hostfw.Argv(hostfw.NetshDelete(p)))
	}
	fmt.Fprintln(out, "\n# Windows (PowerShell, elevated): the NetSecurity cmdlets")
	for _, p := range ports {
		fmt.Fprintln(out, hostfw.PowerShellAdd(p))
	}
	fmt.Fprintln(out, "# remove them:")
	fmt.Fprintln(out, hostfw.PowerShellClean())
	fmt.Fprintln(out, "\n# Linux, nftables: the record (it opens nothing by itself), as `nft -f -` reads it")
	fmt.Fprint(out, hostfw.NftOwnTable(ports))
	fmt.Fprintln(out, "# and, at the top of every input chain that drops (nft list chains: type filter hook input), for example inet filter input:")
	for _, p := range ports {
		fmt.Fprintln(out, hostfw.NftCommand("inet filter input", p))
	}
	fmt.Fprintln(out, "# remove them: nft -a list chain inet filter input, then nft delete rule inet filter input handle N for each \"mockdirector ...\" comment; nft delete table inet mockdirector")
	fmt.Fprintln(out, "\n# Linux, iptables-legacy (when its INPUT drops):")
	for _, p := range ports {
		fmt.Fprintln(out, hostfw.ShellLine(hostfw.IptablesInsert(p, false)))
	}
	fmt.Fprintln(out, "\n# Linux, firewalld (runtime only: gone on firewall-cmd --reload):")
	for _, p := range ports {
		fmt.Fprintln(out, hostfw.ShellLine(hostfw.FirewalldAdd(p)))
	}
	fmt.Fprintln(out, "\n# Linux, ufw:")
	for _, p := range ports {
		fmt.Fprintln(out, hostfw.ShellLine(hostfw.UfwAdd(p)))
	}
}
