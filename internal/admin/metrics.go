package admin

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mockdirector/mockdirector/internal/report"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
)

// metrics turns journal events into Prometheus series. Every counter counts journal lines of
// this process, so mockdirector_events_total summed equals the lines serve wrote since start.
type metrics struct {
	reg          *prometheus.Registry
	events       *prometheus.CounterVec
	connections  *prometheus.CounterVec
	handshakes   *prometheus.CounterVec
	hsFailures   *prometheus.CounterVec
	sipRequests  *prometheus.CounterVec
	httpRequests *prometheus.CounterVec
	clsSessions  *prometheus.CounterVec
	hsSeconds    *prometheus.HistogramVec
	reqSeconds   *prometheus.HistogramVec
}

// latencyBuckets span a loopback handshake (well under a millisecond) to a stalled peer (the
// 10 s handshake timeout).
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

func newMetrics(b *report.Builder) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.events = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mockdirector_events_total",
		Help: "Journal events recorded, by kind (handshake, http, sip, cls, quic, connect, guard) and outcome (ok, failed, connect-only)."}, []string{"kind", "outcome"})
	m.connections = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mockdirector_connections_total",
		Help: "TCP connections accepted on TLS listeners (one per handshake attempt), bare connects (connect-only) and guard hits, by listener."}, []string{"role", "listener"})
	m.handshakes = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mockdirector_tls_handshakes_total",
		Help: "TLS handshakes, by listener and outcome (ok, failed)."}, []string{"role", "listener", "outcome"})
	m.hsFailures = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mockdirector_tls_handshake_failures_total",
		Help: "Failed TLS handshakes, by listener and reason code (no-client-cert, unknown-authority, expired, not-tls ...)."}, []string{"role", "listener", "code"})
	m.sipRequests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mockdirector_sip_requests_total",
		Help: "SIP requests answered, by listener, method and response status."}, []string{"role", "listener", "method", "status"})
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mockdirector_http_requests_total",
		Help: "HTTP requests answered, by listener and status."}, []string{"role", "listener", "status"})
	m.clsSessions = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mockdirector_cls_sessions_total",
		Help: "CLS banner sessions opened, by listener."}, []string{"role", "listener"})
	m.hsSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "mockdirector_tls_handshake_duration_seconds",
		Help: "TLS handshake duration as the server saw it, by listener.", Buckets: latencyBuckets}, []string{"role", "listener"})
	m.reqSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "mockdirector_http_request_duration_seconds",
		Help: "HTTP request handling duration, by listener.", Buckets: latencyBuckets}, []string{"role", "listener"})
	m.reg.MustRegister(m.events, m.connections, m.handshakes, m.hsFailures, m.sipRequests, m.httpRequests,
		m.clsSessions, m.hsSeconds, m.reqSeconds, &matrixCollector{b: b})
	return m
}

func (m *metrics) observe(e journal.Event) {
	m.events.WithLabelValues(e.Kind, string(e.Outcome)).Inc()
	switch e.Kind {
	case journal.KindConnect, journal.KindGuard:
		m.connections.WithLabelValues(e.Role, e.Listener).Inc()
	case journal.KindHandshake:
		m.connections.WithLabelValues(e.Role, e.Listener).Inc()
		m.handshakes.WithLabelValues(e.Role, e.Listener, string(e.Outcome)).Inc()
		if e.Outcome == journal.OutcomeFailed {
			m.hsFailures.WithLabelValues(e.Role, e.Listener, codeLabel(e.Code)).Inc()
		}
		m.hsSeconds.WithLabelValues(e.Role, e.Listener).Observe(e.DurationMS / 1000)
	case journal.KindSIP:
		method, status := "", ""
		if e.SIP != nil {
			method, status = e.SIP.Method, strconv.Itoa(e.SIP.Status)
		}
		m.sipRequests.WithLabelValues(e.Role, e.Listener, method, status).Inc()
	case journal.KindHTTP:
		status := ""
		if e.HTTP != nil {
			status = strconv.Itoa(e.HTTP.Status)
		}
		m.httpRequests.WithLabelValues(e.Role, e.Listener, status).Inc()
		m.reqSeconds.WithLabelValues(e.Role, e.Listener).Observe(e.DurationMS / 1000)
	case journal.KindCLS:
		if e.CLS == nil || e.CLS.Command == "" && e.CLS.Reply == "" { // the banner, not a command
			m.clsSessions.WithLabelValues(e.Role, e.Listener).Inc()
		}
	}
}

// codeLabel is an event's reason code as a label value ("unknown" for an event without one,
// such as a journal written before codes existed).
func codeLabel(c wire.Code) string {
	if c == wire.CodeNone {
		return "unknown"
	}
	return string(c)
}

// matrixCollector exposes the matrix at scrape time: one series per row, 1 when seen ok, and the
// number of unexpected sources.
type matrixCollector struct{ b *report.Builder }

var (
	rowDesc = prometheus.NewDesc("mockdirector_row_seen_ok",
		"1 when the table row was seen working (journal x table x topology), else 0; state names the matrix state.", []string{"row", "state"}, nil)
	unexpectedDesc = prometheus.NewDesc("mockdirector_unexpected",
		"Distinct unexpected (kind, destination, source address) entries in the matrix.", []string{"kind"}, nil)
)

func (c *matrixCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- rowDesc
	ch <- unexpectedDesc
}

func (c *matrixCollector) Collect(ch chan<- prometheus.Metric) {
	res := c.b.Result()
	for _, r := range res.Rows {
		v := 0.0
		if r.OK() {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(rowDesc, prometheus.GaugeValue, v, r.ID, r.State)
	}
	kinds := map[string]int{report.KindUnexpectedSource: 0, report.KindUnexpectedPort: 0}
	for _, u := range res.Unexpected {
		kinds[u.Kind]++
	}
	for k, n := range kinds {
		ch <- prometheus.MustNewConstMetric(unexpectedDesc, prometheus.GaugeValue, float64(n), k)
	}
}
