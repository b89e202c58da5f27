//go:build !linux && !windows

package hostfw

import "context"

// Check knows no host firewall here (macOS's application firewall is not read): no blocks.
func Check(context.Context, []Port) ([]Block, error) { return nil, nil }

// Open cannot open a host firewall here.
func Open(context.Context, []Port) (*Opened, error) { return nil, ErrUnsupported }

// Clean has nothing to clean here.
func Clean(context.Context) ([]string, error) { return nil, nil }
