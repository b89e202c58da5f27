package mdtest_test

import (
	"context"
	"fmt"

	"github.com/mockdirector/mockdirector/mdtest"
)

// Start the Director, Front End, Edge internal interface and PKI host of the built-in loopback
// lab on ephemeral ports and prove the rows the Edge internal interface sends: its SIP to the
// Director and the Front End pool, the CLS rows open to any host, and the CRL it must reach.
func Example() {
	site, err := mdtest.Start(mdtest.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer site.Close()
	rep, err := site.Probe(context.Background(), "edge-internal")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range rep.Results {
		if r.Verdict == "pass" {
			fmt.Println(r.Verdict, r.ID, "answered by", r.Identity.Role)
		}
	}
	fmt.Printf("%d pass, %d fail, %d skipped (deny rows: loopback has no firewall)\n", rep.Summary.Pass, rep.Summary.Fail, rep.Summary.Skip)
	// Unordered output:
	// pass edge-internal->director tcp/5061 sip-mtls answered by director
	// pass edge-internal->frontend tcp/5061 sip-mtls answered by frontend
	// pass any->director tcp/50001 cls-mtls answered by director
	// pass any->director tcp/50002 cls-mtls answered by director
	// pass any->director tcp/50003 cls-mtls answered by director
	// pass edge-internal->pki tcp/80 http answered by pki
	// 6 pass, 0 fail, 27 skipped (deny rows: loopback has no firewall)
}
