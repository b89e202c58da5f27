//go:build windows

package hostfw

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Windows: netsh advfirewall, run with the argv of netsh.go. Wine has no Defender Firewall, so
// under `make windows` only the argv and the parsing are tested, as text.

// Check reads the active profiles with netsh: one that is on and blocks inbound blocks every
// port no allow rule lets in.
func Check(ctx context.Context, ports []Port) ([]Block, error) {
	out, err := runWin(ctx, NetshShowProfile())
	if err != nil {
		return nil, fmt.Errorf("windows firewall: %w", err)
	}
	ps := ParseNetshProfile(out)
	if len(ps) == 0 {
		return nil, fmt.Errorf("windows firewall: no profile in the output of netsh advfirewall show currentprofile")
	}
	return WindowsBlocks(ps, ports), nil
}

// Open adds one named inbound allow rule per port ("mockdirector <role> <listener>"), all or
// nothing. It needs an elevated prompt.
func Open(ctx context.Context, ports []Port) (*Opened, error) {
	o := &Opened{}
	fail := func(err error) (*Opened, error) {
		if cerr := o.Close(context.WithoutCancel(ctx)); cerr != nil {
			err = errors.Join(err, cerr)
		}
		return nil, fmt.Errorf("windows firewall: %w", err)
	}
	for _, p := range ports {
		if _, err := runWin(ctx, NetshAdd(p)); err != nil {
			return fail(err)
		}
		o.undo = append(o.undo, func(ctx context.Context) error {
			_, err := runWin(ctx, NetshDelete(p))
			return err
		})
		if out, err := runWin(ctx, NetshShow(p)); err != nil || !strings.Contains(out, p.RuleName()) {
			return fail(fmt.Errorf("%s said it added the rule %q, and %s does not list it (Wine's netsh adds nothing)", Argv(NetshAdd(p)), p.RuleName(), Argv(NetshShow(p))))
		}
	}
	o.Added = append(o.Added, fmt.Sprintf("Windows Defender Firewall: %d inbound allow rules, \"%s...\"", len(ports), Prefix))
	return o, nil
}

// Clean removes every rule whose name starts "mockdirector ", with the NetSecurity cmdlets.
func Clean(ctx context.Context) ([]string, error) {
	argv := PowerShellArgv(PowerShellCleanCounted())
	out, err := runWin(ctx, argv)
	if err != nil {
		return nil, fmt.Errorf("windows firewall: %w", err)
	}
	var n int
	if _, err := fmt.Sscanf(lastLine(out), "removed %d", &n); err != nil {
		return nil, fmt.Errorf("windows firewall: %s did not say how many rules it removed (%q; Wine's PowerShell runs nothing)", Argv(argv), strings.TrimSpace(out))
	}
	if n == 0 {
		return nil, nil
	}
	return []string{fmt.Sprintf("Windows Defender Firewall: removed %d rules named %q", n, Prefix+"*")}, nil
}

// runWin runs argv with the command line exactly as Argv renders it (name="mockdirector ..."
// as netsh's documentation writes it), not Go's own quoting of each argument.
func runWin(ctx context.Context, argv []string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, argv[0])
	cmd.SysProcAttr = &syscall.SysProcAttr{CmdLine: Argv(argv)}
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s: %w: %s", Argv(argv), err, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
