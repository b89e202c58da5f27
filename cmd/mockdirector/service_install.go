package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/service"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

// serviceInstallFlags are install's own flags, beside serve's.
type serviceInstallFlags struct {
	force bool
	user  string
}

// servicePathFlags are serve's flags that name a file or directory: install makes them
// absolute (the service runs in its data directory), and checks that the inputs exist.
// A path flag serve gains later belongs here too. The scenario is a path only when it is not
// a built-in name.
var servicePathFlags = map[string]bool{ // name: an input that must exist
	"certs": false, "journal": false,
	"config": true, "scenario": true, "cert": true, "key-file": true, "ca": true,
	"cert-password-file": true, "admin-token-file": true, "ports-file": false,
}

// serviceSecretFlags would put a secret in the unit file or the service's command line, which
// every local user can read: install refuses them and names the file flag instead.
var serviceSecretFlags = map[string]string{
	"cert-password": "--cert-password-file FILE (a file only root or Administrators can read)",
	"admin-token":   "--admin-token-file FILE (a file only root or Administrators can read), or none on loopback: serve makes one next to the journal",
}

// serviceOwnFlags are the service subcommands' flags that serve does not take.
var serviceOwnFlags = map[string]bool{"force": true, "user": true, "help": true}

func serviceInstallCmd(serve *cobra.Command) *cobra.Command {
	var f serviceInstallFlags
	cmd := &cobra.Command{
		Use:   "install --role ROLE [--member MEMBER] [--force] [--user NAME] [serve flags]",
		Short: "Check serve's flags and register serve for the role and member as a service (not started)",
		Long: `install checks the serve flags it is given as serve would (role, member, topology, scenario,
profile, limits, files), then registers the service mockdirector-ROLE-MEMBER that runs
"mockdirector service run" with them. It does not start it: mockdirector service start.

Unless given, --certs is DATA/certs and --journal is DATA/mockdirector-ROLE-MEMBER.jsonl,
DATA being /var/lib/mockdirector on Linux and %ProgramData%\mockdirector on Windows.

Examples:
  sudo mockdirector service install --role director
  sudo mockdirector service install --role frontend --member fe02 --config /etc/mockdirector/site.yaml
  sudo mockdirector service install --role director --force --admin 127.0.0.1:9180
  mockdirector.exe service install --role director --config C:\mockdirector\site.yaml   (elevated)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return installService(cmd, serve, f) },
	}
	cmd.Flags().BoolVar(&f.force, "force", false, "replace the member's installed service (stopped first)")
	cmd.Flags().StringVar(&f.user, "user", "", "Linux: run as this account (with CAP_NET_BIND_SERVICE for the ports below 1024; systemd gives it the data directory); default root")
	cmd.Flags().AddFlagSet(serve.Flags())
	return cmd
}

func installService(cmd *cobra.Command, serve *cobra.Command, f serviceInstallFlags) error {
	if f.user != "" && onWindows {
		return usageErr(errors.New("--user: on Windows the service runs as LocalSystem (change the account in services.msc if the site needs another)"))
	}
	spec, err := serviceSpec(cmd.Flags(), service.DataDir(), f.user)
	if err != nil {
		return err
	}
	// serve's own checks, on the flags it will run with (the paths just made absolute).
	if err := runServeCmd(context.WithValue(cmd.Context(), serveCheckKey{}, true), serve, io.Discard, cmd.ErrOrStderr()); err != nil {
		return err
	}
	if err := service.Available(); err != nil {
		return err
	}
	if err := service.Elevated(); err != nil {
		return fmt.Errorf("service install %w", err)
	}
	m, err := service.NewManager(spec, nil)
	if err != nil {
		return err
	}
	st, err := m.Status()
	if err != nil {
		return err
	}
	if st != service.StatusNotInstalled {
		if !f.force {
			return usageErr(fmt.Errorf("service %s is already installed (%s, %s): --force replaces it (stopping it first), or mockdirector service uninstall --role %s --member %s", spec.Name, service.Where(spec.Name), st, spec.Role, spec.Member))
		}
		if err := m.Uninstall(); err != nil {
			return fmt.Errorf("--force: %w", err)
		}
	}
	if err := os.MkdirAll(spec.DataDir, 0o750); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if err := m.Install(); err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	exe := spec.Executable
	fmt.Fprintf(out, "installed %s (%s), not started\n", spec.Name, service.Where(spec.Name))
	fmt.Fprintf(out, "  runs:  %s\n", displayArgs(append([]string{exe}, spec.Args...)))
	fmt.Fprintf(out, "  data:  %s (working directory)\n", spec.DataDir)
	fmt.Fprintf(out, "  start: mockdirector service start --role %s --member %s\n", spec.Role, shortMember(spec.Member))
	fmt.Fprintf(out, "  log:   %s\n", service.LogHint(spec.Name))
	if fl := cmd.Flags().Lookup("cert"); fl == nil || !fl.Changed {
		fmt.Fprintf(out, "  trust: %s (peers; made on the first start unless it is there)\n", filepath.Join(cmd.Flags().Lookup("certs").Value.String(), certs.CACertFile))
	}
	return nil
}

// serviceSpec is the service the install flags describe: its name from the role and member
// (the topology's first member of the role when --member is not given), and the arguments
// of "service run": serve's flags as given, paths made absolute, --member and the data
// directory's --certs and --journal added when not given.
func serviceSpec(fs *pflag.FlagSet, dataDir, user string) (service.Spec, error) {
	role := fs.Lookup("role").Value.String()
	if !containsStr(scenarios.ServerRoles, role) {
		return service.Spec{}, usageErr(fmt.Errorf("--role %q: a service stands in for %s", role, strings.Join(scenarios.ServerRoles, ", ")))
	}
	for _, name := range slices.Sorted(maps.Keys(serviceSecretFlags)) {
		fix := serviceSecretFlags[name]
		if fl := fs.Lookup(name); fl != nil && fl.Changed {
			return service.Spec{}, usageErr(fmt.Errorf("--%s would be written into the service's command line, which every local user can read: use %s", name, fix))
		}
	}
	if err := serviceEnvSecrets(fs); err != nil {
		return service.Spec{}, err
	}
	for _, name := range slices.Sorted(maps.Keys(servicePathFlags)) { // the same error first every time
		input := servicePathFlags[name]
		fl := fs.Lookup(name)
		if fl == nil || !fl.Changed || fl.Value.String() == "" {
			continue
		}
		v := fl.Value.String()
		if name == "scenario" && containsStr(scenarios.Builtin(), v) {
			continue
		}
		abs, err := filepath.Abs(v)
		if err != nil {
			return service.Spec{}, usageErr(fmt.Errorf("--%s %s: %w", name, v, err))
		}
		if input {
			if _, err := os.Stat(abs); err != nil {
				return service.Spec{}, usageErr(fmt.Errorf("--%s: %w (the service reads it on every start: give a path that stays)", name, err))
			}
		}
		if err := fl.Value.Set(abs); err != nil {
			return service.Spec{}, usageErr(fmt.Errorf("--%s: %w", name, err))
		}
	}
	member, err := serviceMember(fs)
	if err != nil {
		return service.Spec{}, err
	}
	name := service.Name(role, member)
	defaults := map[string]string{
		"member":  member,
		"certs":   filepath.Join(dataDir, "certs"),
		"journal": filepath.Join(dataDir, name+".jsonl"),
	}
	for _, k := range []string{"member", "certs", "journal"} {
		if fl := fs.Lookup(k); !fl.Changed {
			if err := fs.Set(k, defaults[k]); err != nil {
				return service.Spec{}, err
			}
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return service.Spec{}, fmt.Errorf("the path of this binary (the service runs it): %w", err)
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	return service.Spec{Name: name, Role: role, Member: member, Executable: exe,
		Args: append([]string{"service", "run"}, serveArgs(fs)...), User: user, DataDir: dataDir}, nil
}

// serviceMember is the member --member names, as the topology spells it (its FQDN), or the
// role's first member.
func serviceMember(fs *pflag.FlagSet) (string, error) {
	topo, err := topology.Load(fs.Lookup("config").Value.String())
	if err != nil {
		return "", usageErr(err)
	}
	_, m, err := topo.Member(fs.Lookup("role").Value.String(), fs.Lookup("member").Value.String())
	if err != nil {
		return "", usageErr(err)
	}
	return m.Name, nil
}

// serviceEnvSecrets refuses an install that relies on a secret in this shell's environment:
// the service manager starts serve without it.
func serviceEnvSecrets(fs *pflag.FlagSet) error {
	changed := func(n string) bool { fl := fs.Lookup(n); return fl != nil && fl.Changed }
	if os.Getenv(certPasswordEnv) != "" && changed("cert") && !changed("cert-password-file") {
		return usageErr(fmt.Errorf("$%s is set here, but the service will not have this shell's environment: put the password in a file only root or Administrators can read and pass --cert-password-file FILE", certPasswordEnv))
	}
	if os.Getenv(adminTokenEnv) != "" && changed("admin") && !changed("admin-token-file") {
		return usageErr(fmt.Errorf("$%s is set here, but the service will not have this shell's environment: pass --admin-token-file FILE (or none on loopback: serve makes a token next to the journal)", adminTokenEnv))
	}
	return nil
}

// serveArgs are the set serve flags as arguments, --role and --member first, each one
// --name=value (a value that begins with "-" stays a value); a deprecated name is written
// as the flag that replaces it.
func serveArgs(fs *pflag.FlagSet) []string {
	args := []string{"--role=" + fs.Lookup("role").Value.String(), "--member=" + fs.Lookup("member").Value.String()}
	fs.Visit(func(fl *pflag.Flag) {
		switch {
		case serviceOwnFlags[fl.Name], fl.Name == "role", fl.Name == "member":
			return
		}
		name := fl.Name
		if name == "key" {
			name = "key-type" // --key is deprecated for --key-type; both set the same value
		}
		if sv, ok := fl.Value.(pflag.SliceValue); ok {
			for _, v := range sv.GetSlice() {
				args = append(args, "--"+name+"="+v)
			}
			return
		}
		args = append(args, "--"+name+"="+fl.Value.String())
	})
	return args
}

// shortMember is the first label of a member's FQDN.
func shortMember(m string) string {
	s, _, _ := strings.Cut(m, ".")
	return s
}

// displayArgs is a command line for a person to read: an argument with a space or a quote in
// double quotes.
func displayArgs(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if a == "" || strings.ContainsAny(a, " \t\"'") {
			out[i] = strconv.Quote(a)
		}
	}
	return strings.Join(out, " ")
}
