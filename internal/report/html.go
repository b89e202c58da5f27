package report

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"
)

//go:embed evidence/evidence.html.tmpl evidence/evidence.css
var evidenceFS embed.FS

var evidenceTmpl = template.Must(template.New("evidence.html.tmpl").Funcs(template.FuncMap{
	"when":  func(t *time.Time) string { return timeText(t) },
	"join":  strings.Join,
	"upper": strings.ToUpper,
	"css": func() (template.CSS, error) {
		b, err := evidenceFS.ReadFile("evidence/evidence.css")
		return template.CSS(b), err // our own embedded file, not input
	},
}).ParseFS(evidenceFS, "evidence/evidence.html.tmpl"))

// HTML renders the evidence for a change board: one self-contained HTML file (CSS inline,
// nothing fetched from any network) with the summary, who made it where with which build, the
// matrix of every row with both sides, the certificates presented, unexpected traffic and a
// manifest of the inputs' SHA-256. It is also what the PDF is printed from.
func HTML(w io.Writer, res *Result) error {
	return evidenceTmpl.Execute(w, evidenceView(res))
}

type evView struct {
	Res        *Result
	Run        *Run
	Generated  string
	Verdict    string
	BoardLine  string
	Notes      []string
	Rows       []evRow
	Certs      []evCert
	Checks     []ProbeResult
	Members    []evMembers
	Unexpected []Unexpected
	Guards     int
}

type evRow struct {
	ID, Board, Mark, Kind string
	Class                 string
	Journal               *Row
	Probes                []ProbeResult
}

type evCert struct {
	Side, Where string
	Cert        ProbeCert
	Lint        []ProbeFinding
	Fingerprint string
	// Serial and Verified are a client certificate's, as the mock journaled it.
	Serial   string
	Verified bool
}

type evMembers struct {
	Role    string
	Members []string
}

func evidenceView(res *Result) evView {
	v := evView{Res: res, Run: res.Run, Generated: res.Generated.UTC().Format(time.RFC3339), Verdict: res.Verdict(),
		BoardLine: res.BoardLine(), Notes: res.Notes(), Unexpected: res.Unexpected}
	if v.Run == nil {
		v.Run = CurrentRun("")
	}
	seenCert := map[string]bool{}
	addProbe := func(p ProbeResult) {
		if p.ServerCert != nil {
			key := p.ServerCert.SHA256 + "|" + p.ServerCert.Subject + "|" + p.ServerCert.Issuer
			if !seenCert[key] {
				seenCert[key] = true
				v.Certs = append(v.Certs, evCert{Side: "server (to the prober)", Where: p.ID, Cert: *p.ServerCert, Lint: p.Lint, Fingerprint: p.ServerCert.SHA256})
			}
		}
		if p.Check == "hold" || p.HoldMS > 0 {
			v.Checks = append(v.Checks, p)
		}
	}
	members := map[string][]string{}
	var roles []string
	for i := range res.Rows {
		r := &res.Rows[i]
		probes := r.Probes
		if len(probes) == 0 && r.Probe != nil {
			probes = []ProbeResult{*r.Probe}
		}
		v.Rows = append(v.Rows, evRow{ID: r.ID, Board: r.Board, Class: boardClass(r.Board), Mark: boardMark(r.Board), Kind: "allow", Journal: r, Probes: probes})
		for _, p := range probes {
			addProbe(p)
		}
		for _, c := range r.ClientCertInfo {
			key := "client|" + c.Subject + "|" + c.Serial + "|" + r.To
			if !seenCert[key] {
				seenCert[key] = true
				v.Certs = append(v.Certs, evCert{Side: "client (to the mock " + r.To + ")", Where: r.ID,
					Cert: ProbeCert{Subject: c.Subject, Issuer: c.Issuer, SHA256: c.SHA256}, Serial: c.Serial, Verified: c.Verified, Fingerprint: c.SHA256})
			}
		}
		if !slices.Contains(roles, r.To) {
			roles = append(roles, r.To)
		}
		for _, m := range r.Members {
			if !slices.Contains(members[r.To], m) {
				members[r.To] = append(members[r.To], m)
			}
		}
	}
	for _, p := range res.ProbeOnly {
		b := boardOf("", &p)
		mark := boardMark(b)
		if b == BoardNotSeen {
			mark = "– NOT RUN" // the prober skipped it (a deny row on loopback) and the journal does not hold it
		}
		v.Rows = append(v.Rows, evRow{ID: p.ID, Board: b, Class: boardClass(b), Mark: mark, Kind: "probe only", Probes: []ProbeResult{p}})
		addProbe(p)
	}
	for _, role := range roles {
		v.Members = append(v.Members, evMembers{Role: role, Members: members[role]})
	}
	for _, u := range res.Unexpected {
		if u.Kind == KindDeniedOpen {
			v.Guards++
		}
	}
	return v
}

// boardMark is the text beside a combined verdict's colour, so a black-and-white print still
// reads it.
func boardMark(b string) string {
	switch b {
	case BoardProven:
		return "✔ PROVEN"
	case BoardFailing:
		return "✘ FAILING"
	case BoardUnproven:
		return "? UNPROVEN"
	}
	return "– NOT SEEN"
}

// ProbeText is the prober's side of a row in one line: "fail (filtered): no answer in 3s".
func (p ProbeResult) ProbeText() string {
	s := p.Verdict
	if p.Observed != "" {
		s += " (" + p.Observed + ")"
	}
	if p.Reason != "" {
		s += ": " + p.Reason
	}
	if p.Code != "" {
		s += " [" + string(p.Code) + "]"
	}
	return s
}

// HoldText is a hold check's asked and measured idle time.
func (p ProbeResult) HoldText() string {
	return fmt.Sprintf("hold %.1f s asked, %.1f s held", p.HoldMS/1000, p.HeldMS/1000)
}

func boardClass(b string) string { return strings.ReplaceAll(b, " ", "") }
