package probe

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/scenarios"
)

// judge holds an observation against the job's expectation (and its lint expectation) and
// writes the one-line reason.
func judge(j *Job, o Observation) (verdict, reason string) {
	verdict, reason = judgeExpect(j, o)
	return judgeLint(j, o, verdict, reason)
}

// judgeExpect holds an observation against the row's expect.
func judgeExpect(j *Job, o Observation) (verdict, reason string) {
	head := fmt.Sprintf("%s %d to %s (%s)", checkLabel(j.Check), j.Row.Port, j.ServerName, j.Target)
	expects := fmt.Sprintf("%s expects %s -> %s %s", originText(j.Row.Origin), j.From, j.Row.To, expectText(j.Row.Expect))
	if o.Observed == ObservedError {
		return VerdictFail, fmt.Sprintf("%s: %s; the check could not run", head, o.Detail)
	}
	switch j.Row.Expect {
	case scenarios.ExpectAllow:
		if !o.OK {
			return VerdictFail, fmt.Sprintf("%s: %s; %s", head, o.Detail, expects)
		}
		if problem := identityProblem(j, o); problem != "" {
			return VerdictFail, fmt.Sprintf("%s: %s, but %s; %s", head, o.Detail, problem, expects)
		}
		return VerdictPass, fmt.Sprintf("%s: %s%s", head, o.Detail, seenText(o))
	case scenarios.ExpectDeny, scenarios.ExpectDenyRefused, scenarios.ExpectDenyFiltered:
		held := o.Observed == ObservedRefused && j.Row.Expect != scenarios.ExpectDenyFiltered ||
			o.Observed == ObservedFiltered && j.Row.Expect != scenarios.ExpectDenyRefused
		if held {
			return VerdictPass, fmt.Sprintf("%s: %s, as %s", head, o.Detail, expects)
		}
		if o.Connected {
			detail := ""
			if o.Detail != "connected" {
				detail = " (" + o.Detail + ")"
			}
			return VerdictFail, fmt.Sprintf("%s: connected - the path is open%s; %s", head, detail, expects)
		}
		return VerdictFail, fmt.Sprintf("%s: %s; %s", head, o.Detail, expects)
	case scenarios.ExpectHandshakeFails:
		if o.HandshakeFailed {
			return VerdictPass, fmt.Sprintf("%s: %s, as %s", head, o.Detail, expects)
		}
		if !o.Connected {
			return VerdictFail, fmt.Sprintf("%s: %s - TLS was never tried; %s", head, o.Detail, expects)
		}
		return VerdictFail, fmt.Sprintf("%s: %s - the handshake succeeded; %s", head, o.Detail, expects)
	}
	return VerdictFail, fmt.Sprintf("%s: unknown expectation %q", head, j.Row.Expect)
}

// identityProblem checks what the destination says it saw: the source address, the
// X-Forwarded-For and the answering member.
func identityProblem(j *Job, o Observation) string {
	id := o.Identity
	var problems []string
	if j.SeenAs != "" {
		switch {
		case id != nil && id.RemoteIP != "":
			if id.RemoteIP != j.SeenAs {
				problems = append(problems, fmt.Sprintf("the destination saw source %s, not %s (SNAT or a proxy in the path)", id.RemoteIP, j.SeenAs))
			}
		case !j.SeenAsAuto:
			problems = append(problems, fmt.Sprintf("the answer does not say which source it saw, so source_seen_as %s cannot be checked (it needs mockdirector serve over HTTP or SIP)", j.SeenAs))
		}
	}
	if j.Row.XFF != "" {
		switch {
		case id == nil:
			problems = append(problems, "the answer carries no mockdirector identity, so X-Forwarded-For cannot be checked")
		case !strings.Contains(id.XForwardedFor, j.Row.XFF):
			seen := id.XForwardedFor
			if seen == "" {
				seen = "none"
			}
			problems = append(problems, fmt.Sprintf("X-Forwarded-For was %s, expected it to contain %s (does the proxy add it?)", seen, j.Row.XFF))
		}
	}
	// A port forward (DNAT) or a proxy that changes ports shows as another listener answering.
	if id != nil && id.Port != 0 && j.Row.Target == "" && id.Port != j.Row.Port {
		problems = append(problems, fmt.Sprintf("answered by listener %s (port %d), not port %d: a port forward (DNAT) or a proxy in the path changes the port", id.Listener, id.Port, j.Row.Port))
	}
	if m := j.Row.Member; m != "" {
		switch {
		case id == nil || id.Member == "":
			problems = append(problems, fmt.Sprintf("the answer does not name its member, so member %s cannot be checked", m))
		case id.Member != m && strings.SplitN(id.Member, ".", 2)[0] != m:
			problems = append(problems, fmt.Sprintf("member %s answered, expected %s (load balancer persistence or pool membership?)", id.Member, m))
		}
	}
	return strings.Join(problems, "; ")
}

func seenText(o Observation) string {
	id := o.Identity
	if id == nil {
		return ""
	}
	var parts []string
	if id.Role != "" && o.Observed != ObservedCLSBanner {
		parts = append(parts, fmt.Sprintf("answered by %s %s", id.Role, id.Member))
	}
	if id.RemoteIP != "" {
		parts = append(parts, "source seen "+id.RemoteIP)
	}
	if id.XForwardedFor != "" {
		parts = append(parts, "X-Forwarded-For "+id.XForwardedFor)
	}
	if len(parts) == 0 {
		return ""
	}
	return "; " + strings.Join(parts, ", ")
}

// judgeLint adds the certificate lint to a verdict: with a lint expectation on the row, a passing
// row fails when the findings do not match it; without one, error and warning findings are only
// reported.
func judgeLint(j *Job, o Observation, verdict, reason string) (string, string) {
	want := j.Row.Lint
	if !o.Linted {
		if want != nil && verdict == VerdictPass {
			return VerdictFail, fmt.Sprintf("%s; lint %s cannot be checked: no server certificate was seen", reason, want)
		}
		return verdict, reason
	}
	found := lintText(o.Lint)
	if want == nil || verdict != VerdictPass {
		if len(certs.Codes(o.Lint, certs.SeverityWarning)) > 0 {
			reason += "; " + found
		}
		return verdict, reason
	}
	if want.Pass {
		if certs.HasErrors(o.Lint) {
			return VerdictFail, fmt.Sprintf("%s; %s, but the row expects lint pass (no errors)%s", reason, found, firstFix(o.Lint))
		}
		return verdict, reason + "; " + found
	}
	have := certs.Codes(o.Lint, certs.SeverityInfo)
	var missing []string
	for _, c := range want.Codes {
		if !slices.Contains(have, c) {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return VerdictFail, fmt.Sprintf("%s; %s, but the row expects lint findings %s: %s not found", reason, found, want, strings.Join(missing, ", "))
	}
	return verdict, fmt.Sprintf("%s; %s, as the row expects", reason, found)
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

func checkLabel(check string) string {
	switch check {
	case scenarios.CheckSIPOptions:
		return "SIP OPTIONS"
	case scenarios.CheckUDPQUIC:
		return "QUIC UDP"
	case scenarios.CheckH3:
		return "HTTP/3 UDP"
	}
	return strings.ToUpper(check)
}

func originText(origin string) string {
	switch origin {
	case "seed":
		return "the seed table"
	case "text":
		return "the table's introduction"
	case "guard":
		return "the table (which does not list this path)"
	}
	return "the scenario"
}

func expectText(expect string) string {
	switch expect {
	case scenarios.ExpectAllow:
		return "allowed"
	case scenarios.ExpectDeny:
		return "denied (refused or filtered)"
	case scenarios.ExpectDenyRefused:
		return "refused"
	case scenarios.ExpectDenyFiltered:
		return "filtered"
	case scenarios.ExpectHandshakeFails:
		return "to fail the TLS handshake"
	}
	return expect
}
