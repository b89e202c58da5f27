package probe_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/probe"
	"github.com/mockdirector/mockdirector/scenarios"

	"github.com/mockdirector/mockdirector/internal/testdir"
)

// closedPort is a port of 127.0.20.7 nothing listens on (bound once, then closed).
func closedPort() int {
	ln, err := net.Listen("tcp", "127.0.20.7:0")
	Expect(err).NotTo(HaveOccurred())
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// mockAnswering serves the well-known identity id (with its own leaf's fingerprint) over TLS.
func mockAnswering(tlsID *certs.Identity, id wire.Identity) string {
	id.Service, id.CertSHA256 = wire.ServiceName, probe.Fingerprint(tlsID.Leaf)
	return serveTLS(tlsID, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		me := id
		me.Remote, me.RemoteIP = r.RemoteAddr, wire.HostOnly(r.RemoteAddr)
		w.Write(me.AppendJSON(nil))
	}))
}

var _ = Describe("proving deny rows", Label("deny"), func() {
	var (
		opts  probe.Options
		tlsID *certs.Identity
	)
	BeforeEach(func() {
		certDir := testdir.New()
		_, err := certs.Init(testTopology(), certs.Options{Dir: certDir})
		Expect(err).NotTo(HaveOccurred())
		tlsID, err = certs.LoadFromDir(certDir, "dir01.contoso.local")
		Expect(err).NotTo(HaveOccurred())
		opts = probe.Options{Topology: testTopology(), Timeout: 2 * time.Second, Credentials: probe.Credentials{Dir: certDir}}
	})

	run := func(o probe.Options, rows ...scenarios.Row) map[string]probe.Result {
		o.Scenario = &scenarios.Scenario{Name: "spec", File: "spec", Rows: rows}
		jobs, err := probe.Plan(o)
		Expect(err).NotTo(HaveOccurred())
		rep := probe.Collect("spec", time.Now(), probe.Run(context.Background(), jobs, 4), nil)
		out := map[string]probe.Result{}
		for _, r := range rep.Results {
			out[r.Target] = r
		}
		return out
	}

	It("passes a refused deny row where the mock said it listens, learnt from an allow row of the same run, and leaves another unproven", func() {
		listening, other := closedPort(), closedPort()
		web := mockAnswering(tlsID, wire.Identity{Role: scenarios.RoleDirector, Member: "dir01.contoso.local",
			Listening: []string{"tcp/" + strconv.Itoa(listening)}})
		deny := row(scenarios.RoleReverseProxy, scenarios.RoleDirector, 444, scenarios.ProtoTCP, "", scenarios.ExpectDeny)
		deny.Target = "127.0.20.7:" + strconv.Itoa(listening)
		unknown := deny
		unknown.Target = "127.0.20.7:" + strconv.Itoa(other)
		allow := row(scenarios.RoleReverseProxy, scenarios.RoleDirector, 4443, scenarios.ProtoHTTPS, "", scenarios.ExpectAllow)
		allow.Target, allow.Path = web, wire.WellKnownPath
		// The deny rows come first in the scenario: the engine runs them after the allow rows.
		res := run(opts, deny, unknown, allow)

		Expect(res[web].Verdict).To(Equal(wire.VerdictPass), res[web].Reason)
		proven := res[deny.Target]
		Expect(proven.Verdict).To(Equal(wire.VerdictPass), proven.Reason)
		Expect(proven.Code).To(Equal(wire.CodeRefused))
		Expect(proven.Reason).To(ContainSubstring("director listens on tcp/" + strconv.Itoa(listening)))
		unproven := res[unknown.Target]
		Expect(unproven.Verdict).To(Equal(wire.VerdictUnproven), unproven.Reason)
		Expect(unproven.Code).To(Equal(wire.CodeUnproven))
	})

	It("fails a deny row a mock's guard answers: the path is open", func() {
		guard := mockAnswering(tlsID, wire.Identity{Role: scenarios.RoleDirector, Member: "dir01.contoso.local", Guard: true})
		r := row(scenarios.RoleReverseProxy, scenarios.RoleDirector, 443, scenarios.ProtoHTTPS, "", scenarios.ExpectDeny)
		r.Target, r.Path = guard, wire.WellKnownPath
		res := runRow(opts, r)
		Expect(res.Verdict).To(Equal(wire.VerdictFail), res.Reason)
		Expect(res.Code).To(Equal(wire.CodeGuard))
		_, port, _ := net.SplitHostPort(guard)
		Expect(res.Reason).To(ContainSubstring("open: mockdirector's guard on tcp/" + port + " answered: the firewall lets reverse-proxy-internal (127.0.20.10) reach a port the table denies"))
	})

	It("says on every row whether the source seen was checked: a bare connect cannot report it", func() {
		ln, err := net.Listen("tcp", "127.0.20.7:0")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(ln.Close)
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		r := row(scenarios.RoleInternalClient, scenarios.RoleDirector, 80, scenarios.ProtoTCP, "", scenarios.ExpectAllow)
		r.Target = ln.Addr().String()
		o := opts
		o.ExpectSourceSeen = true
		res := runRow(o, r)
		Expect(res.Verdict).To(Equal(wire.VerdictPass), res.Reason)
		Expect(res.Code).To(Equal(wire.CodeSourceUnknown))
		Expect(res.Reason).To(ContainSubstring("source not checked: a tcp check (no application exchange) cannot report the source it saw"))

		web := mockAnswering(tlsID, wire.Identity{Role: scenarios.RoleDirector, Member: "dir01.contoso.local"})
		r = row(scenarios.RoleInternalClient, scenarios.RoleDirector, 443, scenarios.ProtoHTTPS, "", scenarios.ExpectAllow)
		r.Target, r.Path = web, wire.WellKnownPath
		res = runRow(o, r)
		Expect(res.Verdict).To(Equal(wire.VerdictPass), res.Reason)
		Expect(res.Code).To(Equal(wire.CodeOK), "the mock reported the source: checked")
		Expect(res.Reason).To(ContainSubstring("source seen 127.0.20.11"))
	})

	It("checks the source seen on CLS rows from the banner, and names SNAT", func() {
		// A CLS listener that reports seen (not the real source): what a SNAT in the path does.
		cls := func(seen string) string {
			ln, err := tls.Listen("tcp", "127.0.20.7:0", &tls.Config{Certificates: []tls.Certificate{tlsID.Cert}, ClientAuth: tls.RequestClientCert})
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(ln.Close)
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					go func() {
						defer c.Close()
						c.SetDeadline(time.Now().Add(5 * time.Second))
						src := seen
						if src == "" {
							src = c.RemoteAddr().String()
						}
						id := wire.Identity{Role: scenarios.RoleDirector, Member: "dir01.contoso.local", Listener: "cls-mtls-50001", Port: 50001, Remote: src}
						io.WriteString(c, id.CLSBanner()+"\r\n")
						br := bufio.NewReader(c)
						line, _ := br.ReadString('\n')
						if tok, ok := strings.CutPrefix(strings.TrimSpace(line), wire.CLSPing+" "); ok {
							io.WriteString(c, wire.CLSPong+" "+tok+"\r\n")
						}
						br.ReadString('\n')
					}()
				}
			}()
			return ln.Addr().String()
		}
		r := row(scenarios.RoleAny, scenarios.RoleDirector, 50001, scenarios.ProtoCLSMTLS, "", scenarios.ExpectAllow)
		o := opts
		o.ExpectSourceSeen = true
		r.Target = cls("")
		res := runRow(o, r)
		Expect(res.Verdict).To(Equal(wire.VerdictPass), res.Reason)
		Expect(res.Code).To(Equal(wire.CodeOK))
		Expect(res.Reason).To(ContainSubstring("source seen 127.0.20.12"))

		r.Target = cls("192.0.2.99:40000")
		res = runRow(o, r)
		Expect(res.Verdict).To(Equal(wire.VerdictFail), res.Reason)
		Expect(res.Code).To(Equal(wire.CodeSourceMismatch))
		Expect(res.Reason).To(ContainSubstring("the destination saw source 192.0.2.99, not 127.0.20.12 (SNAT or a proxy in the path)"))
	})

	It("counts unproven rows apart in the table, the JSON summary and JUnit", func() {
		r := row(scenarios.RoleInternalClient, scenarios.RoleDirector, 5061, scenarios.ProtoTCP, "", scenarios.ExpectDeny)
		r.Target = "127.0.20.7:" + strconv.Itoa(closedPort())
		res := runRow(opts, r)
		rep := &probe.Report{Scenario: "spec"}
		rep.Add(res)
		Expect(rep.Summary).To(Equal(probe.Summary{Unproven: 1}))
		Expect(rep.ExitCode()).To(Equal(1), "a run of only unproven rows proved nothing: not green")
		passed := &probe.Report{Scenario: "spec"}
		passed.Add(probe.Result{ID: "other", Verdict: wire.VerdictPass})
		passed.Add(res)
		Expect(passed.ExitCode()).To(Equal(0), "beside a proven row, unproven does not fail the exit code without --strict")

		var table bytes.Buffer
		Expect(probe.Table{}.Write(&table, rep)).To(Succeed())
		Expect(table.String()).To(MatchRegexp(`UNPROVEN\s+5061\s+tcp\s+deny\s+refused\s+\S+\s+unproven: refused: by a firewall or by the host`))
		Expect(table.String()).To(ContainSubstring("1 row: 0 pass, 0 fail, 0 skip, 1 UNPROVEN"))

		var js bytes.Buffer
		Expect(probe.JSON{}.Write(&js, rep)).To(Succeed())
		var doc map[string]any
		Expect(json.Unmarshal(js.Bytes(), &doc)).To(Succeed())
		Expect(doc["summary"]).To(HaveKeyWithValue("unproven", BeEquivalentTo(1)))
		Expect(doc["results"].([]any)[0]).To(HaveKeyWithValue("code", "unproven"))

		var xml bytes.Buffer
		Expect(probe.JUnit{}.Write(&xml, rep)).To(Succeed())
		Expect(xml.String()).To(ContainSubstring(`<skipped message="unproven: TCP 5061`))
		Expect(xml.String()).To(ContainSubstring(`skipped="1"`))
	})

	It("renders a verdict it does not know as a failed JUnit case, never a passed one", func() {
		rep := &probe.Report{Scenario: "spec"}
		rep.Add(probe.Result{ID: "from-another-version", From: "any", To: "director", Verdict: "maybe", Reason: "who knows"})
		var xml bytes.Buffer
		Expect(probe.JUnit{}.Write(&xml, rep)).To(Succeed())
		Expect(xml.String()).To(ContainSubstring(`<failure message="unknown verdict &#34;maybe&#34;: who knows"`))
	})
})
