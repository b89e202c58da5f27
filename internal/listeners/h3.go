package listeners

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"

	"github.com/mockdirector/mockdirector/journal"
)

// AltSvcMaxAge is the ma= of the Alt-Svc header an HTTPS listener with HTTP/3 sends: one day,
// what most servers announce.
const AltSvcMaxAge = 86400

// h3Listener is an HTTPS listener that also serves HTTP/3 over UDP on the same port (Spec.HTTP3,
// topology http3: true). Both sides answer with the same web handler, certificate and identity;
// QUIC events say transport udp/quic and carry the QUIC version; TCP answers announce the UDP
// side with Alt-Svc.
type h3Listener struct {
	tcp  *httpListener
	sock *quicSocket
	ln   *quic.Listener
	srv  *http3.Server
	once sync.Once
}

type quicVersionKey struct{}

func newHTTPS3(spec Spec, env Env) (Listener, error) {
	l, err := newHTTP(spec, env, true)
	if err != nil {
		return nil, err
	}
	tcp := l.(*httpListener)
	// Same port as TCP got (it matters when spec.Addr asked for port 0).
	host, _, err := net.SplitHostPort(spec.Addr)
	if err != nil {
		tcp.Close()
		return nil, &BindError{Spec: spec, Err: err}
	}
	port := tcp.Addr().(*net.TCPAddr).Port
	sock, err := listenQUIC(spec, net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		tcp.Close()
		return nil, err
	}
	ln, err := sock.tr.Listen(http3.ConfigureTLSConfig(quicTLS(spec, env, []string{http3.NextProtoH3})), quicConfig())
	if err != nil {
		sock.Close()
		tcp.Close()
		return nil, fmt.Errorf("%s listener %s: quic: %w", spec.Role, spec.Name, err)
	}
	h := &h3Listener{tcp: tcp, sock: sock, ln: ln}
	h.srv = &http3.Server{
		Handler:     &h3Handler{web: newWebHandler(spec, env)},
		IdleTimeout: QUICIdleTimeout,
		Logger:      env.log(),
		ConnContext: func(ctx context.Context, c *quic.Conn) context.Context {
			if err := journalQUICHandshake(spec, env, c); err != nil {
				env.log().Error("journal write failed", "listener", spec.Name, "err", err)
			}
			return context.WithValue(ctx, quicVersionKey{}, c.ConnectionState().Version.String())
		},
	}
	altSvc := fmt.Sprintf(`h3=":%d"; ma=%d`, port, AltSvcMaxAge)
	inner := tcp.srv.Handler
	tcp.srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Alt-Svc", altSvc)
		inner.ServeHTTP(w, r)
	})
	return h, nil
}

func (l *h3Listener) Spec() Spec { return l.tcp.spec }

// Addr is the TCP address; the UDP side has the same host and port.
func (l *h3Listener) Addr() net.Addr { return l.tcp.Addr() }

// UDPAddr is the address the HTTP/3 side is bound to.
func (l *h3Listener) UDPAddr() net.Addr { return l.sock.udp.LocalAddr() }

// Close closes both sides at once.
func (l *h3Listener) Close() error {
	var errs []error
	l.once.Do(func() {
		errs = append(errs, l.srv.Close(), l.ln.Close(), l.sock.Close(), l.tcp.Close())
	})
	return errors.Join(errs...)
}

// Serve serves TCP and UDP until ctx is done, then drains both (requests in flight finish, at
// most DrainTimeout) and returns once every handler has returned; Close ends both at once. It
// returns the first error of either side that closing did not cause, after closing the other.
func (l *h3Listener) Serve(ctx context.Context) error {
	udpDone := make(chan error, 1)
	go func() {
		err := l.srv.ServeListener(l.ln)
		if errors.Is(err, http.ErrServerClosed) || errors.Is(err, quic.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
			err = nil
		}
		if err != nil {
			err = fmt.Errorf("%s listener %s (http/3): %w", l.tcp.spec.Role, l.tcp.spec.Name, err)
			l.Close()
		}
		udpDone <- err
	}()
	drained := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(drained)
		l.drainUDP()
	})
	tcpErr := l.tcp.Serve(ctx) // drains itself when ctx is done
	if tcpErr != nil {
		l.Close()
	}
	udpErr := <-udpDone
	if !stop() {
		<-drained
	}
	if tcpErr != nil {
		return tcpErr
	}
	return udpErr
}

// drainUDP sends GOAWAY, lets requests in flight finish (at most DrainTimeout), then closes the
// UDP side.
func (l *h3Listener) drainUDP() {
	ctx, cancel := context.WithTimeout(context.Background(), DrainTimeout)
	defer cancel()
	if err := l.srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		l.tcp.env.log().Warn("http/3 shutdown", "listener", l.tcp.spec.Name, "err", err)
	}
	l.ln.Close()
	l.sock.Close()
}

// h3Handler is the web handler on the HTTP/3 side: the same answers, journaled as udp/quic with
// the QUIC version.
type h3Handler struct {
	web *webHandler
}

func (h *h3Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	version, _ := r.Context().Value(quicVersionKey{}).(string)
	rec := h.web.env.journal()
	web := *h.web
	web.env.Journal = journal.RecorderFunc(func(ev journal.Event) error {
		ev.Transport = journal.TransportUDPQUIC
		if ev.TLS != nil {
			ev.TLS.QUICVersion = version
		}
		return rec.Record(ev)
	})
	web.ServeHTTP(w, r)
}
