package lab

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/scenarios"
)

// source is where a source role stands in the lab.
type source struct{ ns, addr, cert string }

var sources = map[string]source{
	scenarios.RoleReverseProxy:   {nsRP, addrRPInt, "probe"},
	scenarios.RoleEdgeInternal:   {nsEdge, addrEdge, "edge01-int.contoso.local"},
	scenarios.RoleInternalClient: {nsClients, addrClient, "probe"},
	scenarios.RoleAny:            {nsClients, addrAny, "probe"},
	scenarios.RoleDirector:       {nsDir01, addrDir01, "dir01.contoso.local"},
	scenarios.RoleFrontend:       {nsFe01, addrFe01, "fe01.contoso.local"},
}

// destination is how a server role is reached in the lab.
type destination struct {
	addr, name string
	members    []string
}

var destinations = map[string]destination{
	scenarios.RoleDirector:     {addrVIP, "dir-pool.contoso.local", []string{"dir01.contoso.local", "dir02.contoso.local"}},
	scenarios.RoleFrontend:     {addrFe01, "fe-pool.contoso.local", []string{"fe01.contoso.local"}},
	scenarios.RoleEdgeInternal: {addrEdge, "edge-int.contoso.local", nil},
}

// certCN is the subject CN of each certificate a source presents (the pool FQDN for members).
var certCN = map[string]string{
	"dir01.contoso.local": "dir-pool.contoso.local",
	"fe01.contoso.local":  "fe-pool.contoso.local",
}

// holdFor is how long the lab holds an idle connection through the HLB path (the prober's
// default is the HLB's 1800 s; the lab shortens it, and its idle mutation cuts at 3 s).
const holdFor = 6 * time.Second

// labChecks are the checks the lab runs itself over TCP.
var labChecks = []string{checkTCP, checkHTTP, checkHTTPS, checkSIP, checkCLS}

// labUDPChecks are the scenario's UDP checks; the lab runs each as a QUIC handshake (checkQUIC).
var labUDPChecks = []string{scenarios.CheckUDPQUIC, scenarios.CheckH3}

// matrixCases returns the whole matrix: every TCP and UDP/QUIC row of the scenario run from where its
// source stands, plus the lab's own paths (through the reverse proxy, the second members, a held
// connection). Rows the lab has no check for are returned in skipped (mockdirector probe runs
// them).
func matrixCases(scn *scenarios.Scenario) (cs []matrixCase, skipped []string) {
	for _, row := range scn.Rows {
		udp := row.Transport == scenarios.TransportUDP && slices.Contains(labUDPChecks, row.CheckKind())
		if !udp && (row.Transport != scenarios.TransportTCP || !slices.Contains(labChecks, row.CheckKind())) {
			skipped = append(skipped, row.ID())
			continue
		}
		s, d := sources[row.From], destinations[row.To]
		c := matrixCase{
			ID: row.ID(), NS: s.ns, Src: s.addr, Target: fmt.Sprintf("%s:%d", d.addr, row.Port), Port: row.Port,
			Check: row.CheckKind(), Path: row.Path, ServerName: d.name, Allow: row.Allowed(), Note: "row " + row.Origin,
		}
		if c.Check == scenarios.CheckSIPOptions || c.Check == scenarios.CheckCLS {
			c.ClientCert = s.cert
		}
		if udp {
			// A handshake proves the path and names the certificate; it cannot see the source
			// or the member (the prober reads those from the mock's identity).
			c.Check, c.ClientCert, c.Port = checkQUIC, s.cert, 0
			cs = append(cs, c)
			continue
		}
		if c.Allow {
			c.WantSource = s.addr
			c.WantMembers = d.members
			if row.To == scenarios.RoleEdgeInternal {
				c.WantCN = certCN[s.cert]
				c.Port = 0 // kamailio has no listener names
			}
		}
		cs = append(cs, c)
	}
	dirs := destinations[scenarios.RoleDirector].members
	cs = append(cs,
		matrixCase{ID: "client->rp 443 published -> director 4443", NS: nsClients, Src: addrClient, Target: addrRPExt + ":443", Port: 4443,
			Check: checkHTTPS, Path: "/autodiscover/autodiscoverservice.svc/root", ServerName: "dir-pool.contoso.local", Allow: true,
			WantSource: addrRPInt, WantXFF: addrClient, WantHost: "dir-pool.contoso.local", WantMembers: dirs, Note: "lab: nginx reverse proxy"},
		matrixCase{ID: "client->rp 80 published -> director 8080", NS: nsClients, Src: addrClient, Target: addrRPExt + ":80", Port: 8080,
			Check: checkHTTP, Path: "/meet/", ServerName: "dir-pool.contoso.local", Allow: true,
			WantSource: addrRPInt, WantXFF: addrClient, WantHost: "dir-pool.contoso.local", WantMembers: dirs, Note: "lab: nginx reverse proxy"},
		matrixCase{ID: "director(dir02)->frontend(fe02) tcp/444 https", NS: nsDir02, Src: addrDir02, Target: addrFe02 + ":444", Port: 444,
			Check: checkHTTPS, Path: "/.well-known/mockdirector", ServerName: "fe-pool.contoso.local", Allow: true,
			WantSource: addrDir02, WantMembers: []string{"fe02.contoso.local"}, Note: "lab: second members"},
		matrixCase{ID: "frontend(fe02)->edge-internal tcp/5061 sip-mtls", NS: nsFe02, Src: addrFe02, Target: addrEdge + ":5061",
			Check: checkSIP, ServerName: "edge-int.contoso.local", ClientCert: "fe02.contoso.local", Allow: true,
			WantSource: addrFe02, WantCN: "fe-pool.contoso.local", Note: "lab: second members"},
		matrixCase{ID: "internal-clients->director tcp/80 hold", NS: nsClients, Src: addrClient, Target: addrVIP + ":80", Port: 80,
			Check: checkHold, Path: "/meet/", ServerName: "dir-pool.contoso.local", Allow: true, Hold: holdFor,
			WantSource: addrClient, WantMembers: dirs, Note: "lab: idle connection through the HLB"},
	)
	return cs, skipped
}

// RunAll runs every case concurrently, except that cases to the Edge (kamailio) run one after
// another, and returns the results in case order.
func (e *checkEnv) RunAll(cs []matrixCase) []caseResult {
	out := make([]caseResult, len(cs))
	var wg sync.WaitGroup
	var edge []int
	for i, c := range cs {
		if strings.HasPrefix(c.Target, addrEdge+":") {
			edge = append(edge, i)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = e.Run(c)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for _, i := range edge {
			out[i] = e.Run(cs[i])
		}
	}()
	wg.Wait()
	return out
}

// failingCases returns the IDs of results that did not pass, sorted.
func failingCases(rs []caseResult) []string {
	var ids []string
	for _, r := range rs {
		if !r.Pass {
			ids = append(ids, r.Case.ID)
		}
	}
	sort.Strings(ids)
	return ids
}

// printMatrix writes the matrix as a table.
func printMatrix(w io.Writer, title string, rs []caseResult) {
	fmt.Fprintf(w, "\n== %s\n", title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ROW\tEXPECT\tOBSERVED\tVERDICT\tANSWERED BY\tSOURCE SEEN\tXFF\tTIME\tREASON")
	for _, r := range rs {
		exp := wire.ExpectAllow
		if !r.Case.Allow {
			exp = wire.ExpectDeny
		}
		verdict := string(wire.VerdictPass)
		if !r.Pass {
			verdict = "FAIL"
		}
		ans := r.Member
		if r.Listener != "" {
			ans += " " + r.Listener
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Case.ID, exp, r.Observed, verdict, dash(ans), dash(r.Seen), dash(r.XFF),
			r.Duration.Round(time.Millisecond), r.Reason)
	}
	tw.Flush()
}

func dash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return strings.TrimSpace(s)
}
