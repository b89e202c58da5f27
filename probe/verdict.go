package probe

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/scenarios"
)

// verdictOf is a judgement: the verdict, its reason code, and the reason without its head.
type verdictOf struct {
	verdict wire.Verdict
	code    wire.Code
	detail  string
}

// judge holds an observation against the job's expectation (and its lint expectation) and
// writes the one-line reason: head ("CHECK port to name (target)") and detail. k is what the
// run has learnt of the destinations so far (nil: nothing).
func judge(j *Job, o Observation, k *knowledge) (v verdictOf, head string) {
	head = fmt.Sprintf("%s %d to %s (%s)", checkLabel(j.Check), j.Row.Port, j.ServerName, j.Target)
	if j.Check.HLB() && o.HLB != nil {
		return judgeHLB(j, o), head
	}
	v = judgeExpect(j, o, k)
	return judgeLint(j, o, v), head
}

// judgeExpect holds an observation against the row's expect.
func judgeExpect(j *Job, o Observation, k *knowledge) verdictOf {
	expects := fmt.Sprintf("%s expects %s -> %s %s", originText(j.Row.Origin), j.From, j.Row.To, expectText(wire.Expect(j.Row.Expect)))
	if o.Observed == wire.StateError {
		return verdictOf{wire.VerdictFail, orCode(o.Code, wire.CodeError), fmt.Sprintf("%s; the check could not run", o.Detail)}
	}
	if why := interception(o); why != "" {
		return verdictOf{wire.VerdictFail, wire.CodeInterception, fmt.Sprintf("%s; %s", why, expects)}
	}
	if o.Unverified && wire.Expect(j.Row.Expect) != wire.ExpectHandshakeFails {
		// The chain did not verify and the mock (if it is one) serves what was presented: no
		// interceptor, the certificate itself is the problem.
		return verdictOf{wire.VerdictFail, orCode(o.VerifyCode, wire.CodeHandshake), fmt.Sprintf("server certificate rejected: %s; %s", o.VerifyErr, expects)}
	}
	switch e := wire.Expect(j.Row.Expect); e {
	case wire.ExpectAllow:
		if !o.OK {
			return verdictOf{wire.VerdictFail, orCode(o.Code, stateCode(o.Observed)), fmt.Sprintf("%s; %s", o.Detail, expects)}
		}
		problems, remarks := identityProblems(j, o)
		if len(problems) > 0 {
			return verdictOf{wire.VerdictFail, problems[0].code, fmt.Sprintf("%s, but %s; %s", o.Detail, joinFindings(problems), expects)}
		}
		if o.Unproven != "" {
			return strictly(j, verdictOf{wire.VerdictUnproven, wire.CodeUnproven, fmt.Sprintf("%s%s, but %s; %s", o.Detail, seenText(o), o.Unproven, expects)})
		}
		v := verdictOf{wire.VerdictPass, wire.CodeOK, o.Detail + seenText(o)}
		if len(remarks) > 0 {
			v.code, v.detail = remarks[0].code, v.detail+"; "+joinFindings(remarks)
		}
		return v
	case wire.ExpectDeny, wire.ExpectDenyRefused, wire.ExpectDenyFiltered:
		return judgeDeny(j, o, k, e, expects)
	case wire.ExpectHandshakeFails:
		if o.HandshakeFailed && o.ServerRefused && !o.ProberRejected && !o.Unverified {
			return verdictOf{wire.VerdictPass, orCode(o.Code, wire.CodeHandshake), fmt.Sprintf("%s, as %s", o.Detail, expects)}
		}
		if o.HandshakeFailed && o.EarlyAlert && !o.ProberRejected {
			return strictly(j, verdictOf{wire.VerdictUnproven, wire.CodeUnproven, fmt.Sprintf("%s - an alert before any server certificate: the server's refusal or a device's in the path, which cannot be told apart; %s", o.Detail, expects)})
		}
		if o.HandshakeFailed {
			// TLS did not come up, but not by the server's refusal: no answer (something holds
			// the handshake), the prober refused the server (the row never reached the point
			// it tests), or a close before the server showed a verified certificate.
			return verdictOf{wire.VerdictFail, orCode(o.Code, wire.CodeHandshake), fmt.Sprintf("%s - the handshake failed, but not by the server refusing it; %s", o.Detail, expects)}
		}
		if !o.Connected {
			return verdictOf{wire.VerdictFail, orCode(o.Code, stateCode(o.Observed)), fmt.Sprintf("%s - TLS was never tried; %s", o.Detail, expects)}
		}
		return verdictOf{wire.VerdictFail, wire.CodeOpen, fmt.Sprintf("%s - the handshake succeeded; %s", o.Detail, expects)}
	}
	return verdictOf{wire.VerdictFail, wire.CodeError, fmt.Sprintf("unknown expectation %q", j.Row.Expect)}
}

// judgeDeny judges a deny row. A refusal or a drop proves the path denies the port only when
// something is known to listen there: otherwise the host itself (nothing bound, its own
// firewall) refuses or drops just the same, and the row is unproven.
func judgeDeny(j *Job, o Observation, k *knowledge, e wire.Expect, expects string) verdictOf {
	if o.Connected {
		detail := ""
		if o.Detail != "connected" {
			detail = " (" + o.Detail + ")"
		}
		if id := o.Identity; id != nil && id.Guard {
			return verdictOf{wire.VerdictFail, wire.CodeGuard, fmt.Sprintf("open: mockdirector's guard on %s answered: the firewall lets %s reach a port the table denies; connected - the path is open%s; %s",
				portKey(j), sourceText(j, o), detail, expects)}
		}
		return verdictOf{wire.VerdictFail, wire.CodeOpen, fmt.Sprintf("connected - the path is open%s; %s", detail, expects)}
	}
	held := o.Observed == wire.StateRefused && e != wire.ExpectDenyFiltered ||
		o.Observed == wire.StateFiltered && e != wire.ExpectDenyRefused
	if !held {
		return verdictOf{wire.VerdictFail, orCode(o.Code, stateCode(o.Observed)), fmt.Sprintf("%s; %s", o.Detail, expects)}
	}
	code := stateCode(o.Observed)
	if who := k.listener(j); who != "" {
		return verdictOf{wire.VerdictPass, code, fmt.Sprintf("%s, and %s listens on %s (%s): the path denies it, as %s", o.Detail, j.Row.To, portKey(j), who, expects)}
	}
	if j.Guards {
		// --guards is the user's word; within a run it also needs the mock seen answering at
		// that host, or a stopped serve (nothing bound: the host resets) would pass every row.
		who, known := k.mockOn(j)
		switch {
		case !known:
			return verdictOf{wire.VerdictPass, code, fmt.Sprintf("%s, as %s (proven by --guards: you assert the destination runs mockdirector serve with its guard listeners on %s)", o.Detail, expects, portKey(j))}
		case who != "":
			return verdictOf{wire.VerdictPass, code, fmt.Sprintf("%s, as %s (proven by --guards: you assert the destination runs mockdirector serve with its guard listeners on %s, and in this run %s)", o.Detail, expects, portKey(j), who)}
		}
		return strictly(j, verdictOf{wire.VerdictUnproven, wire.CodeUnproven, fmt.Sprintf("%s, but nothing at %s answered as mockdirector in this run, so --guards' word that its guards listen there is not borne out (is serve running there? a passing allow row to it shows it); %s", o.Detail, targetHost(j), expects)})
	}
	why := "refused: by a firewall or by the host; cannot tell without a listener there"
	if o.Observed == wire.StateFiltered {
		why = "filtered: dropped by a firewall on the path or by the host's own firewall (Windows Defender and other host firewalls drop as well); cannot tell without a listener there"
	}
	return strictly(j, verdictOf{wire.VerdictUnproven, wire.CodeUnproven, fmt.Sprintf("%s (%s); to prove it run mockdirector serve there (its guard listeners), or pass --guards when it does; %s", why, o.Detail, expects)})
}

// strictly is an unproven verdict as the job's --strict has it: a fail that says why.
func strictly(j *Job, v verdictOf) verdictOf {
	if j.Strict {
		v.verdict, v.detail = wire.VerdictFail, "unproven, and --strict fails it: "+v.detail
	}
	return v
}

// interception names a TLS interceptor: the mock said which leaf it serves and the path
// presented another.
func interception(o Observation) string {
	id := o.Identity
	if id == nil || id.CertSHA256 == "" || len(o.Presented) == 0 || sameFingerprint(o.Presented[0].SHA256, id.CertSHA256) {
		return ""
	}
	p := o.Presented[0]
	return fmt.Sprintf("TLS interception: the path presented %s (issuer %s, SHA-256 %s) but the mock serves SHA-256 %s", p.Subject, p.Issuer, p.SHA256, id.CertSHA256)
}

// sameFingerprint compares two hex fingerprints, with or without colons, in any case.
func sameFingerprint(a, b string) bool {
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, ":", "")) }
	return norm(a) == norm(b)
}

// finding is one problem (or remark) of an answer, with its code.
type finding struct {
	code wire.Code
	text string
}

func joinFindings(fs []finding) string {
	texts := make([]string, len(fs))
	for i, f := range fs {
		texts[i] = f.text
	}
	return strings.Join(texts, "; ")
}

// identityProblems checks what the destination says it saw: the source address, the
// X-Forwarded-For and the answering member. Remarks do not fail the row: a source the
// destination cannot report under --expect-source-seen is said, never skipped silently.
func identityProblems(j *Job, o Observation) (problems, remarks []finding) {
	id := o.Identity
	if j.SeenAs != "" {
		switch {
		case id != nil && id.SourceIP() != "":
			if id.SourceIP() != j.SeenAs {
				problems = append(problems, finding{wire.CodeSourceMismatch, fmt.Sprintf("the destination saw source %s, not %s (%s)", id.SourceIP(), j.SeenAs, snatText(j, id.SourceIP()))})
			}
		case !j.SeenAsAuto:
			problems = append(problems, finding{wire.CodeSourceUnknown, fmt.Sprintf("the answer does not say which source it saw, so source_seen_as %s cannot be checked (it needs mockdirector serve over HTTP, SIP, CLS or QUIC)", j.SeenAs)})
		default:
			remarks = append(remarks, finding{wire.CodeSourceUnknown, fmt.Sprintf("source not checked: %s cannot report the source it saw, so --expect-source-seen %s is not proven on this row", sourceReporter(j, o), j.SeenAs)})
		}
	}
	if j.Row.XFF != "" {
		switch {
		case id == nil:
			problems = append(problems, finding{wire.CodeXFFMissing, "the answer carries no mockdirector identity, so X-Forwarded-For cannot be checked"})
		case !strings.Contains(id.XForwardedFor, j.Row.XFF):
			seen := id.XForwardedFor
			if seen == "" {
				seen = "none"
			}
			problems = append(problems, finding{wire.CodeXFFMissing, fmt.Sprintf("X-Forwarded-For was %s, expected it to contain %s (does the proxy add it?)", seen, j.Row.XFF)})
		}
	}
	// A port forward (DNAT) or a proxy that changes ports shows as another listener answering.
	if id != nil && id.Port != 0 && j.Row.Target == "" && id.Port != j.Row.Port {
		problems = append(problems, finding{wire.CodeWrongListener, fmt.Sprintf("answered by listener %s (port %d), not port %d: a port forward (DNAT) or a proxy in the path changes the port", id.Listener, id.Port, j.Row.Port)})
	}
	if m := j.Row.Member; m != "" {
		switch {
		case id == nil || id.Member == "":
			problems = append(problems, finding{wire.CodeWrongMember, fmt.Sprintf("the answer does not name its member, so member %s cannot be checked", m)})
		case id.Member != m && strings.SplitN(id.Member, ".", 2)[0] != m:
			problems = append(problems, finding{wire.CodeWrongMember, fmt.Sprintf("member %s answered, expected %s (load balancer persistence or pool membership?)", id.Member, m)})
		}
	}
	return problems, remarks
}

// sourceReporter says why a row's answer carries no source: the check, or a peer that is not
// the mock.
func sourceReporter(j *Job, o Observation) string {
	switch {
	case o.Identity != nil:
		return "the destination's answer"
	case j.Check == wire.CheckTCP || j.Check == wire.CheckTLS || j.Check == wire.CheckMTLS:
		return "a " + string(j.Check) + " check (no application exchange)"
	}
	return "the destination (not a mockdirector, or an answer without its identity)"
}

func seenText(o Observation) string {
	id := o.Identity
	if id == nil {
		return ""
	}
	var parts []string
	if id.Role != "" && o.Observed != wire.StateCLSBanner {
		parts = append(parts, fmt.Sprintf("answered by %s %s", id.Role, id.Member))
	}
	if ip := id.SourceIP(); ip != "" {
		parts = append(parts, "source seen "+ip)
	}
	if id.XForwardedFor != "" {
		parts = append(parts, "X-Forwarded-For "+id.XForwardedFor)
	}
	if len(parts) == 0 {
		return ""
	}
	return "; " + strings.Join(parts, ", ")
}

// stateCode is the reason code of an observed state, for a check that set none.
func stateCode(s wire.State) wire.Code {
	switch s {
	case wire.StateRefused:
		return wire.CodeRefused
	case wire.StateFiltered:
		return wire.CodeFiltered
	case wire.StateOpen:
		return wire.CodeOpen
	case wire.StateHandshakeFailed:
		return wire.CodeHandshake
	case wire.StateCut:
		return wire.CodeCut
	case wire.StateError:
		return wire.CodeError
	}
	return wire.CodeProtocol
}

func orCode(c, def wire.Code) wire.Code {
	if c != wire.CodeNone {
		return c
	}
	return def
}

// portKey is the row's transport and the port dialled: "tcp/444".
func portKey(j *Job) string {
	return wire.ListenKey(wire.Transport(j.Row.Transport), targetPort(j))
}

// sourceText names the source of a job: its role and address.
func sourceText(j *Job, o Observation) string {
	src := wire.HostOnly(o.Source)
	if src == "" && j.Source.IsValid() {
		src = j.Source.String()
	}
	if src == "" {
		return j.From
	}
	return fmt.Sprintf("%s (%s)", j.From, src)
}

// judgeLint adds the certificate lint to a verdict: with a lint expectation on the row, a passing
// row fails when the findings do not match it; without one, error and warning findings are only
// reported.
func judgeLint(j *Job, o Observation, v verdictOf) verdictOf {
	want := j.Row.Lint
	if !o.Linted {
		if want != nil && v.verdict == wire.VerdictPass {
			return verdictOf{wire.VerdictFail, wire.CodeLint, fmt.Sprintf("%s; lint %s cannot be checked: no server certificate was seen", v.detail, want)}
		}
		return v
	}
	found := lintText(o.Lint)
	if want == nil || v.verdict != wire.VerdictPass {
		if len(certs.Codes(o.Lint, certs.SeverityWarning)) > 0 {
			v.detail += "; " + found
		}
		return v
	}
	if want.Pass {
		if certs.HasErrors(o.Lint) {
			return verdictOf{wire.VerdictFail, wire.CodeLint, fmt.Sprintf("%s; %s, but the row expects lint pass (no errors)%s", v.detail, found, firstFix(o.Lint))}
		}
		v.detail += "; " + found
		return v
	}
	have := certs.Codes(o.Lint, certs.SeverityInfo)
	var missing []string
	for _, c := range want.Codes {
		if !slices.Contains(have, c) {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return verdictOf{wire.VerdictFail, wire.CodeLint, fmt.Sprintf("%s; %s, but the row expects lint findings %s: %s not found", v.detail, found, want, strings.Join(missing, ", "))}
	}
	v.detail = fmt.Sprintf("%s; %s, as the row expects", v.detail, found)
	return v
}

// lintText is "lint: pass" or "lint: CODE (severity: message), ...", errors and warnings only
// (info findings are in the JSON).
func lintText(fs []certs.Finding) string {
	var parts []string
	for _, f := range fs {
		if f.Severity == certs.SeverityInfo {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s (%s: %s)", f.Code, f.Severity, f.Message))
	}
	if len(parts) == 0 {
		return "lint: pass"
	}
	return "lint: " + strings.Join(parts, ", ")
}

// firstFix is the fix of the first error finding, for a failing lint.
func firstFix(fs []certs.Finding) string {
	for _, f := range fs {
		if f.Severity == certs.SeverityError && f.Fix != "" {
			return " - fix: " + f.Fix
		}
	}
	return ""
}

func checkLabel(check wire.Check) string {
	switch check {
	case wire.CheckSIPOptions:
		return "SIP OPTIONS"
	case wire.CheckUDPQUIC:
		return "QUIC UDP"
	case wire.CheckH3:
		return "HTTP/3 UDP"
	}
	return strings.ToUpper(string(check))
}

func originText(origin string) string {
	switch origin {
	case "seed":
		return "the seed table"
	case "text":
		return "the table's introduction"
	case "guard":
		return "the table (which does not list this path)"
	case scenarios.OriginCertificate:
		return "the certificate requirements (every MTLS peer checks revocation)"
	}
	return "the scenario"
}

func expectText(expect wire.Expect) string {
	switch expect {
	case wire.ExpectAllow:
		return "allowed"
	case wire.ExpectDeny:
		return "denied (refused or filtered)"
	case wire.ExpectDenyRefused:
		return "refused"
	case wire.ExpectDenyFiltered:
		return "filtered"
	case wire.ExpectHandshakeFails:
		return "to fail the TLS handshake"
	}
	return string(expect)
}
