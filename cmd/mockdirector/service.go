package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/mockdirector/mockdirector/internal/service"
	"github.com/mockdirector/mockdirector/scenarios"
)

// serviceCtlFlags name one installed service: --role, and --member when the role has several
// on the host.
type serviceCtlFlags struct {
	role, member string
}

// The service command's help: what a person needs to run serve for a multi-day window.
const serviceLong = `service runs mockdirector serve under the host's service manager, for staging windows that
last days: a systemd unit on Linux, a Windows service on Windows (both through
github.com/kardianos/service). It starts at boot, restarts 30 s after a failure, logs to
journald (Linux) or the Application event log (Windows), and keeps its data where services do:
  Linux    /var/lib/mockdirector        (systemd's StateDirectory=; the unit's working directory)
  Windows  %ProgramData%\mockdirector   (C:\ProgramData\mockdirector)
There: certs\ (the generated CA and member certificates, unless --certs names another
directory) and SERVICE.jsonl (the journal, unless --journal names another file).

install takes the flags of serve and checks them as serve would before it registers anything:
a bad flag, a missing --role or an unknown member fails here, not in a restart loop. Relative
paths are made absolute. One service per role and member, named mockdirector-ROLE-MEMBER
(mockdirector-director-dir01), so two members can share a host; --force replaces one that is
installed (stopping it first). Secrets stay out of the unit file and the service's command
line (both readable by every user): --cert-password-file and --admin-token-file, not
--cert-password and --admin-token.

install, uninstall, start and stop need root (sudo) on Linux and an elevated PowerShell on
Windows. Put the binary where it will stay first (/usr/local/bin, C:\Program Files\mockdirector):
the service runs the file install was run from.

Linux (systemd):
  sudo install -m 0755 mockdirector /usr/local/bin/
  sudo mockdirector service install --role director --config /etc/mockdirector/site.yaml
  sudo mockdirector service start --role director
  mockdirector service status
  journalctl -u mockdirector-director-dir01 -f
  sudo mockdirector service stop --role director
  sudo mockdirector service uninstall --role director

Windows (elevated PowerShell):
  mockdirector.exe service install --role director --config C:\mockdirector\site.yaml
  mockdirector.exe service start --role director
  mockdirector.exe service status
  Get-WinEvent -FilterHashtable @{LogName='Application'; ProviderName='mockdirector-director-dir01'} -MaxEvents 50
  mockdirector.exe service stop --role director
  mockdirector.exe service uninstall --role director

Two members on one host (each its own --bind or address in the topology):
  sudo mockdirector service install --role frontend --member fe01 --bind 10.0.0.11
  sudo mockdirector service install --role frontend --member fe02 --bind 10.0.0.12`

func init() {
	serve, _, err := rootCmd.Find([]string{"serve"})
	if err != nil || serve == rootCmd {
		panic("service.go: the serve command is not registered yet")
	}
	cmd := &cobra.Command{
		Use:   "service install|uninstall|start|stop|status --role ROLE [serve flags]",
		Short: "Run serve as a systemd unit (Linux) or a Windows service, for staging windows that last days",
		Long:  serviceLong,
	}
	cmd.AddCommand(serviceInstallCmd(serve), serviceRunCmd(serve),
		serviceCtlCmd("uninstall", "Stop the member's service if it runs, and remove it", true, uninstallService),
		serviceCtlCmd("start", "Start the member's installed service", true, startService),
		serviceCtlCmd("stop", "Stop the member's service (serve drains and syncs its journal)", true, stopService),
		serviceStatusCmd())
	rootCmd.AddCommand(cmd)
}

// serveCheckKey marks the context of a serve run that only checks its flags (service
// install): runServe returns before it binds or writes anything.
type serveCheckKey struct{}

// serveCheckOnly says whether ctx is such a check.
func serveCheckOnly(ctx context.Context) bool {
	if ctx == nil {
		return false
	}
	v, _ := ctx.Value(serveCheckKey{}).(bool)
	return v
}

// runServeCmd runs the serve command's own code path (its PreRunE and RunE: the flags are
// the serve command's, shared with the service subcommand that parsed them) under ctx.
func runServeCmd(ctx context.Context, serve *cobra.Command, out, errw io.Writer) error {
	serve.SetContext(ctx)
	serve.SetOut(out)
	serve.SetErr(errw)
	if serve.PreRunE != nil {
		if err := serve.PreRunE(serve, nil); err != nil {
			return err
		}
	}
	return serve.RunE(serve, nil)
}

func serviceCtlCmd(name, short string, elevated bool, do func(io.Writer, *service.Manager) error) *cobra.Command {
	var f serviceCtlFlags
	cmd := &cobra.Command{
		Use:   name + " --role ROLE [--member MEMBER]",
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := service.Available(); err != nil {
				return err
			}
			if elevated {
				if err := service.Elevated(); err != nil {
					return fmt.Errorf("service %s %w", name, err)
				}
			}
			svcName, err := resolveInstalled(f)
			if err != nil {
				return err
			}
			m, err := service.NewManager(service.Spec{Name: svcName}, nil)
			if err != nil {
				return err
			}
			return do(cmd.OutOrStdout(), m)
		},
	}
	addServiceCtlFlags(cmd, &f)
	cmd.MarkFlagRequired("role")
	return cmd
}

func addServiceCtlFlags(cmd *cobra.Command, f *serviceCtlFlags) {
	cmd.Flags().StringVar(&f.role, "role", "", "role of the service: "+strings.Join(scenarios.ServerRoles, ", "))
	cmd.Flags().StringVar(&f.member, "member", "", "member of the service (dir01 or dir01.contoso.local); needed when the role has several services on the host")
}

func uninstallService(out io.Writer, m *service.Manager) error {
	if err := m.Uninstall(); err != nil {
		return err
	}
	fmt.Fprintf(out, "uninstalled %s (stopped first if it ran); its data stays in %s\n", m.Name(), service.DataDir())
	return nil
}

func startService(out io.Writer, m *service.Manager) error {
	if st, err := m.Status(); err == nil && st == service.StatusRunning {
		fmt.Fprintf(out, "%s is already running; its log: %s\n", m.Name(), service.LogHint(m.Name()))
		return nil // as systemctl start: the state asked for holds
	}
	if err := m.Start(); err != nil {
		return fmt.Errorf("%w (its log: %s)", err, service.LogHint(m.Name()))
	}
	fmt.Fprintf(out, "started %s; its log: %s\n", m.Name(), service.LogHint(m.Name()))
	return nil
}

func stopService(out io.Writer, m *service.Manager) error {
	if st, err := m.Status(); err == nil && (st == service.StatusStopped || st == service.StatusFailed) {
		fmt.Fprintf(out, "%s is not running\n", m.Name())
		return nil // as systemctl stop
	}
	if err := m.Stop(); err != nil {
		return err
	}
	fmt.Fprintf(out, "stopped %s\n", m.Name())
	return nil
}

// resolveInstalled is the name of the installed service --role and --member mean: with
// --member, mockdirector-ROLE-MEMBER; without, the role's only installed service.
func resolveInstalled(f serviceCtlFlags) (string, error) {
	if !containsStr(scenarios.ServerRoles, f.role) {
		return "", usageErr(fmt.Errorf("--role %q: a service stands in for %s", f.role, strings.Join(scenarios.ServerRoles, ", ")))
	}
	if f.member != "" {
		return service.Name(f.role, f.member), nil
	}
	names, err := installedOfRole(f.role)
	if err != nil {
		return "", err
	}
	switch len(names) {
	case 0:
		return "", fmt.Errorf("no mockdirector service of role %s is installed (%s-*; install one: mockdirector service install --role %s)", f.role, service.Name(f.role, ""), f.role)
	case 1:
		return names[0], nil
	}
	return "", usageErr(fmt.Errorf("role %s has %d services on this host (%s): --member names one", f.role, len(names), strings.Join(names, ", ")))
}

// installedOfRole lists the installed services of a role (all of them for role "").
func installedOfRole(role string) ([]string, error) {
	all, err := service.Installed()
	if err != nil {
		return nil, err
	}
	if role == "" {
		return all, nil
	}
	prefix := service.Name(role, "")
	var names []string
	for _, n := range all {
		if strings.HasPrefix(n, prefix) {
			names = append(names, n)
		}
	}
	return names, nil
}

func serviceStatusCmd() *cobra.Command {
	var f serviceCtlFlags
	cmd := &cobra.Command{
		Use:   "status [--role ROLE [--member MEMBER]]",
		Short: "Say running, stopped or not installed of each installed mockdirector service (exit 1 unless all run)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := service.Available(); err != nil {
				return err
			}
			if f.role != "" && !containsStr(scenarios.ServerRoles, f.role) {
				return usageErr(fmt.Errorf("--role %q: a service stands in for %s", f.role, strings.Join(scenarios.ServerRoles, ", ")))
			}
			if f.member != "" && f.role == "" {
				return usageErr(errors.New("--member needs --role"))
			}
			return printServiceStatus(cmd.OutOrStdout(), f)
		},
	}
	addServiceCtlFlags(cmd, &f)
	return cmd
}

func printServiceStatus(out io.Writer, f serviceCtlFlags) error {
	var names []string
	if f.member != "" {
		names = []string{service.Name(f.role, f.member)}
	} else {
		var err error
		if names, err = installedOfRole(f.role); err != nil {
			return err
		}
	}
	if len(names) == 0 {
		what := "no mockdirector service is installed"
		if f.role != "" {
			what = fmt.Sprintf("%s-*: not installed", service.Name(f.role, ""))
		}
		fmt.Fprintf(out, "%s (install: mockdirector service install --role ROLE)\n", what)
		return errFailed
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tSTATE\tLOG")
	allRun := true
	var problems []string
	for _, n := range names {
		m, err := service.NewManager(service.Spec{Name: n}, nil)
		if err != nil {
			return err
		}
		st, err := m.Status()
		if err != nil {
			problems = append(problems, err.Error())
			st = "unknown"
		}
		if st == service.StatusFailed {
			problems = append(problems, fmt.Sprintf("%s failed: its last run ended in an error; why: %s; again: mockdirector service start --role ROLE --member MEMBER", n, service.LogHint(n)))
		}
		allRun = allRun && st == service.StatusRunning
		fmt.Fprintf(tw, "%s\t%s\t%s\n", n, st, service.LogHint(n))
	}
	tw.Flush()
	for _, p := range problems {
		fmt.Fprintln(out, "note:", p)
	}
	if !allRun {
		return errFailed
	}
	return nil
}

// onWindows is true in the Windows build.
const onWindows = runtime.GOOS == "windows"

// exitCode is the code main would give err.
func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 2
}
