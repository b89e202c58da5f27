package listeners

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// DrainTimeout bounds how long a stopping listener lets requests in flight finish.
const DrainTimeout = 5 * time.Second

// httpListener serves the web services on HTTP (80, 8080) or HTTPS (443, 4443, 444).
type httpListener struct {
	spec Spec
	env  Env
	ln   net.Listener
	srv  *http.Server
}

func newHTTP(spec Spec, env Env, useTLS bool) (Listener, error) {
	if useTLS && env.TLS == nil {
		return nil, noServerCert(spec)
	}
	raw, err := listenTCP(spec, env)
	if err != nil {
		return nil, err
	}
	l := &httpListener{spec: spec, env: env, ln: raw}
	var handler http.Handler = newWebHandler(spec, env)
	l.srv = &http.Server{
		ReadHeaderTimeout: env.limits().HTTPHeaderTimeout,
		MaxHeaderBytes:    HTTPMaxHeaderBytes,
		// The Lync HLB keeps idle connections 1800 s; so does the mock.
		IdleTimeout: 1800 * time.Second,
		ErrorLog:    slog.NewLogLogger(env.log().Handler(), slog.LevelDebug),
	}
	if !spec.Guard {
		// What net/http refuses without the handler is journaled too (httpwatch.go).
		w := newHTTPWatch(spec, env)
		handler = w.handler(handler)
		l.srv.ErrorLog = newH2ErrorLog(w, l.srv.ErrorLog)
		l.srv.ConnContext, l.srv.ConnState = w.connContext, w.connState
		if !useTLS {
			l.ln = plainListener{Listener: raw}
		}
	}
	l.srv.Handler = handler
	if useTLS {
		conf := env.TLS.ServerConfig(false)
		conf.NextProtos = []string{"h2", "http/1.1"}
		l.srv.TLSConfig = conf
		// The acceptor gets its own copy: Serve lets net/http adjust srv.TLSConfig for HTTP/2
		// while the acceptor may already be handshaking with it.
		l.ln = newTLSAcceptor(raw, spec, env, conf.Clone(), spec.ClientCert)
	}
	return l, nil
}

func (l *httpListener) Spec() Spec     { return l.spec }
func (l *httpListener) Addr() net.Addr { return l.ln.Addr() }

// Close closes the listener and every connection at once. It closes the socket itself too:
// http.Server.Close only closes the listeners Serve has seen, and a Group that fails to bind
// closes listeners that never served.
func (l *httpListener) Close() error {
	err := l.srv.Close()
	if cerr := l.ln.Close(); err == nil && cerr != nil && !errors.Is(cerr, net.ErrClosed) {
		err = cerr
	}
	return err
}

// Serve answers until ctx is done, then drains: it stops accepting, lets the requests in flight
// finish (at most DrainTimeout) and returns once every handler has returned, so the journal can
// be closed after it. Close ends it at once.
func (l *httpListener) Serve(ctx context.Context) error {
	drained := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(drained)
		l.drain()
	})
	err := l.srv.Serve(l.ln)
	if !stop() {
		<-drained
	}
	if errors.Is(err, http.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return fmt.Errorf("%s listener %s: %w", l.spec.Role, l.spec.Name, err)
}

// drain shuts the server down gracefully, and hard after DrainTimeout.
func (l *httpListener) drain() {
	ctx, cancel := context.WithTimeout(context.Background(), DrainTimeout)
	defer cancel()
	if err := l.srv.Shutdown(ctx); err != nil {
		l.env.log().Warn("requests still running after the drain timeout; closing", "listener", l.spec.Name, "timeout", DrainTimeout)
	}
	l.Close()
}
