// Command mockdirector stands in for a Lync Server 2013 / Skype for Business Director, Front End
// or Edge internal interface, probes firewall paths as any source role of the port table, and
// reports what was seen against what the table expects.
//
// main parses flags and calls packages; exit codes are decided here and nowhere else:
// 0 every expectation held, 1 some did not, 2 it could not run as asked: bad input (flags,
// scenario, topology, certificate files) or a port it cannot bind. The message on stderr says which.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// exitError carries an exit code up to main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErr marks bad input (exit 2).
func usageErr(err error) error { return &exitError{code: 2, err: err} }

// failed marks "ran, but some expectation did not hold" (exit 1) with a message already printed.
var errFailed = &exitError{code: 1, err: errors.New("some expectations did not hold")}

var rootCmd = &cobra.Command{
	Use:   "mockdirector",
	Short: "Prove a Lync 2013 / Skype for Business Director firewall before the servers exist",
	Long: `mockdirector stands in for a Lync Server 2013 / Skype for Business Server Director, Front End
pool or Edge internal interface on every port of the firewall table, probes those ports as any
source role (reverse proxy, Edge internal, internal clients, any), and reports, row by row, what
passed and what did not.

Exit codes: 0 every expectation held, 1 some did not, 2 it could not run as asked (bad flags,
scenario, topology or certificate files, or a port it cannot bind; stderr says which and the fix).

Start here:
  mockdirector lab                      self-contained loopback lab: Director + Front End + Edge,
                                        probed by the built-in seed table, matrix printed
  mockdirector serve --role director    become a Director on this host (real ports; as root)
  mockdirector scenarios show           the port table the tool works from`,
	SilenceUsage:  true,
	SilenceErrors: true,
}

func main() {
	err := rootCmd.Execute()
	if err == nil {
		return
	}
	code := 2
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	if !errors.Is(err, errFailed) {
		fmt.Fprintln(os.Stderr, "mockdirector:", err)
	}
	os.Exit(code)
}
