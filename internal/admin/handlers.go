package admin

import (
	"bytes"
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mockdirector/mockdirector/internal/report"
)

//go:embed page
var pageFS embed.FS

// Handler is the admin API and the live page, behind the token and Host checks.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /api/matrix", s.matrix)
	mux.HandleFunc("GET /api/report", s.download)
	mux.HandleFunc("GET /api/events", s.events)
	mux.HandleFunc("GET /api/info", s.info)
	mux.HandleFunc("POST /api/stream-token", s.streamToken)
	mux.HandleFunc("POST /api/probe", s.postProbe)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	page, _ := fs.Sub(pageFS, "page")
	mux.Handle("GET /", http.FileServerFS(page))
	return s.authorize(mux)
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]any{"status": "ok", "uptime_s": int(time.Since(s.started).Seconds()), "subscribers": s.hub.count()})
}

func (s *Server) info(w http.ResponseWriter, _ *http.Request) {
	h := s.hist.snapshot()
	writeJSON(w, map[string]any{"title": s.opts.Title, "scenario": s.opts.Scenario.Name, "topology": s.opts.Topology.File, "roles": s.opts.Roles,
		"loading": h.Loading, "history": h, "history_text": h.Text()})
}

// matrixView is /api/matrix: the report's Result (the same JSON as report --format json),
// with the state of the history load and the posted probe results beside it.
type matrixView struct {
	*report.Result
	History     History     `json:"history"`
	HistoryText string      `json:"history_text,omitempty"`
	Posted      *PostedView `json:"posted,omitempty"`
}

func (s *Server) matrix(w http.ResponseWriter, _ *http.Request) {
	h := s.hist.snapshot()
	writeJSON(w, matrixView{Result: s.Matrix(), History: h, HistoryText: h.Text(), Posted: s.posted.view()})
}

// download renders the matrix in a report format as a file (?format=json|markdown|junit|table|html).
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "json"
	}
	var buf bytes.Buffer
	if err := report.Write(&buf, format, s.Matrix()); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ext := map[string]string{"json": "json", "markdown": "md", "junit": "xml", "table": "txt", "html": "html"}[format]
	ctype := map[string]string{"json": "application/json", "markdown": "text/markdown; charset=utf-8", "junit": "application/xml", "table": "text/plain; charset=utf-8", "html": "text/html; charset=utf-8"}[format]
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="mockdirector-report.`+ext+`"`)
	w.Write(buf.Bytes())
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
