//go:build windows

package hostfw

import (
	"context"
	"errors"
	"fmt"
)

// Windows: netsh advfirewall, run with the argv of netsh.go. Wine has no Defender Firewall, so
// under `make windows` only the argv and the parsing are tested, as text.

// Check reads the active profiles with netsh: one that is on and blocks inbound blocks every
// port no allow rule lets in.
func Check(ctx context.Context, ports []Port) ([]Block, error) {
	out, err := run(ctx, NetshShowProfile())
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
	for _, p := range ports {
		if _, err := run(ctx, NetshAdd(p)); err != nil {
			if cerr := o.Close(context.WithoutCancel(ctx)); cerr != nil {
				err = errors.Join(err, cerr)
			}
			return nil, fmt.Errorf("windows firewall (run from an elevated prompt): %w", err)
		}
		o.undo = append(o.undo, func(ctx context.Context) error {
			_, err := run(ctx, NetshDelete(p))
			return err
		})
	}
	o.Added = append(o.Added, fmt.Sprintf("Windows Defender Firewall: %d inbound allow rules named %q...", len(ports), Prefix))
	return o, nil
}

// Clean removes every rule whose name starts "mockdirector ", with the NetSecurity cmdlets.
func Clean(ctx context.Context) ([]string, error) {
	if _, err := run(ctx, PowerShellArgv(PowerShellClean())); err != nil {
		return nil, fmt.Errorf("windows firewall (run from an elevated prompt): %w", err)
	}
	return []string{"Windows Defender Firewall: removed the rules named " + Prefix + "*"}, nil
}
