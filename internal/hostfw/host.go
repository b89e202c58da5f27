package hostfw

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Block is one host firewall that drops (or may drop) new connections to some bound ports.
type Block struct {
	// Firewall names it: "nftables chain inet filter input", "iptables-legacy INPUT", "ufw",
	// "firewalld", "Windows Defender Firewall (Domain profile)".
	Firewall string
	// Why is the policy or rule that drops the first port: "policy drop", "dropped by ...".
	Why string
	// Certain is false when a rule that may not match drops them (a match this package cannot
	// read), or when the firewall's own rules were not read (Windows, ufw, firewalld).
	Certain bool
	// Ports are the bound ports it drops.
	Ports []Port
	// Commands open them by hand, one a line, for a shell (Linux) or cmd.exe (Windows).
	Commands []string
}

// Opened is the set of rules Open added; Close removes exactly those.
type Opened struct {
	// Added says, one a line, what was added where.
	Added []string
	// Notes say what was not there to open (a kernel without nftables).
	Notes []string
	undo  []func(context.Context) error
}

// Close removes every rule Open added, the last first; it is safe to call twice.
func (o *Opened) Close(ctx context.Context) error {
	if o == nil {
		return nil
	}
	var errs []error
	for i := len(o.undo) - 1; i >= 0; i-- {
		if err := o.undo[i](ctx); err != nil {
			errs = append(errs, err)
		}
	}
	o.undo = nil
	return errors.Join(errs...)
}

// ErrUnsupported is returned by Open where this package knows no host firewall to open.
var ErrUnsupported = errors.New("hostfw: no host firewall this platform knows")

// NftCommand is the `nft` line that puts p's accept rule at the top of the chain "FAMILY TABLE
// CHAIN" (as `nft list chains` names it), with p's comment.
func NftCommand(chain string, p Port) string {
	return ShellLine([]string{"nft", "insert rule " + chain + " " + nftMatch(p) + " accept comment \"" + p.Comment() + "\""})
}

// nftMatch is the rule's match as nft text: the bound address (in the chain's family) and the port.
func nftMatch(p Port) string {
	m := ""
	if !p.anyAddr() {
		if p.Addr.Unmap().Is4() {
			m = "ip daddr " + p.Addr.Unmap().String() + " "
		} else {
			m = "ip6 daddr " + p.Addr.String() + " "
		}
	}
	return m + p.l4() + " dport " + strconv.Itoa(p.Port)
}

// NftOwnTable is what mockdirector's own table holds for ports, as `nft -f` reads it.
func NftOwnTable(ports []Port) string {
	var b strings.Builder
	b.WriteString("table inet " + OwnTable + " {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n")
	for _, p := range ports {
		fmt.Fprintf(&b, "\t\t%s accept comment %q\n", nftMatch(p), p.Comment())
	}
	b.WriteString("\t}\n}\n")
	return b.String()
}
