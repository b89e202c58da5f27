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

	"github.com/mockdirector/mockdirector/scenarios"
)

// source is where a source role stands in the lab.
type source struct{ ns, addr, cert string }

var sources = map[string]source{
	scenarios.RoleReverseProxy:   {NSRP, AddrRPInt, "probe"},
	scenarios.RoleEdgeInternal:   {NSEdge, AddrEdge, "edge01-int.contoso.local"},
	scenarios.RoleInternalClient: {NSClients, AddrClient, "probe"},
	scenarios.RoleAny:            {NSClients, AddrAny, "probe"},
	scenarios.RoleDirector:       {NSDir01, AddrDir01, "dir01.contoso.local"},
	scenarios.RoleFrontend:       {NSFe01, AddrFe01, "fe01.contoso.local"},
}

// destination is how a server role is reached in the lab.
type destination struct {
	addr, name string
	members    []string
}

var destinations = map[string]destination{
	scenarios.RoleDirector:     {AddrVIP, "dir-pool.contoso.local", []string{"dir01.contoso.local", "dir02.contoso.local"}},
	scenarios.RoleFrontend:     {AddrFe01, "fe-pool.contoso.local", []string{"fe01.contoso.local"}},
	scenarios.RoleEdgeInternal: {AddrEdge, "edge-int.contoso.local", nil},
}

// certCN is the subject CN of each certificate a source presents (the pool FQDN for members).
var certCN = map[string]string{
	"dir01.contoso.local": "dir-pool.contoso.local",
	"fe01.contoso.local":  "fe-pool.contoso.local",
}

// HoldFor is how long the lab holds an idle connection through the HLB path (the prober's
// default is the HLB's 1800 s; the lab shortens it, and its idle mutation cuts at 3 s).
const HoldFor = 6 * time.Second

// labChecks are the checks the lab runs itself over TCP.
var labChecks = []string{CheckTCP, CheckHTTP, CheckHTTPS, CheckSIP, CheckCLS}

// labUDPChecks are the scenario's UDP checks; the lab runs each as a QUIC handshake (CheckQUIC).
var labUDPChecks = []string{scenarios.CheckUDPQUIC, scenarios.CheckH3}

// Cases returns the whole matrix: every TCP and UDP/QUIC row of the scenario run from where its
// source stands, plus the lab's own paths (through the reverse proxy, the second members, a held
// connection). Rows the lab has no check for are returned in skipped (mockdirector probe runs
// them).
func Cases(scn *scenarios.Scenario) (cs []Case, skipped []string) {
	for _, row := range scn.Rows {
		udp := row.Transport == scenarios.TransportUDP && slices.Contains(labUDPChecks, row.CheckKind())
		if !udp && (row.Transport != "tcp" || !slices.Contains(labChecks, row.CheckKind())) {
			skipped = append(skipped, row.ID())
			continue
		}
		s, d := sources[row.From], destinations[row.To]
		c := Case{
			ID: row.ID(), NS: s.ns, Src: s.addr, Target: fmt.Sprintf("%s:%d", d.addr, row.Port), Port: row.Port,
			Check: row.CheckKind(), Path: row.Path, ServerName: d.name, Allow: row.Allowed(), Note: "row " + row.Origin,
		}
		if c.Check == scenarios.CheckSIPOptions || c.Check == scenarios.CheckCLS {
			c.ClientCert = s.cert
		}
		if udp {
			// A handshake proves the path and names the certificate; it cannot see the source
			// or the member (the prober reads those from the mock's identity).
			c.Check, c.ClientCert, c.Port = CheckQUIC, s.cert, 0
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
		Case{ID: "client->rp 443 published -> director 4443", NS: NSClients, Src: AddrClient, Target: AddrRPExt + ":443", Port: 4443,
			Check: CheckHTTPS, Path: "/autodiscover/autodiscoverservice.svc/root", ServerName: "dir-pool.contoso.local", Allow: true,
			WantSource: AddrRPInt, WantXFF: AddrClient, WantHost: "dir-pool.contoso.local", WantMembers: dirs, Note: "lab: nginx reverse proxy"},
		Case{ID: "client->rp 80 published -> director 8080", NS: NSClients, Src: AddrClient, Target: AddrRPExt + ":80", Port: 8080,
			Check: CheckHTTP, Path: "/meet/", ServerName: "dir-pool.contoso.local", Allow: true,
			WantSource: AddrRPInt, WantXFF: AddrClient, WantHost: "dir-pool.contoso.local", WantMembers: dirs, Note: "lab: nginx reverse proxy"},
		Case{ID: "director(dir02)->frontend(fe02) tcp/444 https", NS: NSDir02, Src: AddrDir02, Target: AddrFe02 + ":444", Port: 444,
			Check: CheckHTTPS, Path: "/.well-known/mockdirector", ServerName: "fe-pool.contoso.local", Allow: true,
			WantSource: AddrDir02, WantMembers: []string{"fe02.contoso.local"}, Note: "lab: second members"},
		Case{ID: "frontend(fe02)->edge-internal tcp/5061 sip-mtls", NS: NSFe02, Src: AddrFe02, Target: AddrEdge + ":5061",
			Check: CheckSIP, ServerName: "edge-int.contoso.local", ClientCert: "fe02.contoso.local", Allow: true,
			WantSource: AddrFe02, WantCN: "fe-pool.contoso.local", Note: "lab: second members"},
		Case{ID: "internal-clients->director tcp/80 hold", NS: NSClients, Src: AddrClient, Target: AddrVIP + ":80", Port: 80,
			Check: CheckHold, Path: "/meet/", ServerName: "dir-pool.contoso.local", Allow: true, Hold: HoldFor,
			WantSource: AddrClient, WantMembers: dirs, Note: "lab: idle connection through the HLB"},
	)
	return cs, skipped
}

// RunAll runs every case concurrently, except that cases to the Edge (kamailio) run one after
// another, and returns the results in case order.
func (e *Env) RunAll(cs []Case) []Result {
	out := make([]Result, len(cs))
	var wg sync.WaitGroup
	var edge []int
	for i, c := range cs {
		if strings.HasPrefix(c.Target, AddrEdge+":") {
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

// Failing returns the IDs of results that did not pass, sorted.
func Failing(rs []Result) []string {
	var ids []string
	for _, r := range rs {
		if !r.Pass {
			ids = append(ids, r.Case.ID)
		}
	}
	sort.Strings(ids)
	return ids
}

// PrintMatrix writes the matrix as a table.
func PrintMatrix(w io.Writer, title string, rs []Result) {
	fmt.Fprintf(w, "\n== %s\n", title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ROW\tEXPECT\tOBSERVED\tVERDICT\tANSWERED BY\tSOURCE SEEN\tXFF\tTIME\tREASON")
	for _, r := range rs {
		exp := "allow"
		if !r.Case.Allow {
			exp = "deny"
		}
		verdict := "pass"
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
