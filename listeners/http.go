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

// httpListener serves the web services on HTTP (80, 8080) or HTTPS (443, 4443, 444).
type httpListener struct {
	spec Spec
	env  Env
	ln   net.Listener
	srv  *http.Server
}

func newHTTP(spec Spec, env Env, useTLS bool) (Listener, error) {
	if useTLS && env.TLS == nil {
		return nil, fmt.Errorf("%s listener %s: no server certificate (run `mockdirector certs init` or pass --cert/--key/--ca)", spec.Role, spec.Name)
	}
	raw, err := listenTCP(spec)
	if err != nil {
		return nil, err
	}
	l := &httpListener{spec: spec, env: env, ln: raw}
	l.srv = &http.Server{
		Handler:           &webHandler{spec: spec, env: env},
		ReadHeaderTimeout: 30 * time.Second,
		// The Lync HLB keeps idle connections 1800 s; so does the mock.
		IdleTimeout: 1800 * time.Second,
		ErrorLog:    slog.NewLogLogger(env.log().Handler(), slog.LevelDebug),
	}
	if useTLS {
		conf := env.TLS.ServerConfig(false)
		conf.NextProtos = []string{"h2", "http/1.1"}
		l.srv.TLSConfig = conf
		l.ln = newTLSAcceptor(raw, spec, env, conf, spec.ClientCert)
	}
	return l, nil
}

func (l *httpListener) Spec() Spec     { return l.spec }
func (l *httpListener) Addr() net.Addr { return l.ln.Addr() }
func (l *httpListener) Close() error   { return l.srv.Close() }

func (l *httpListener) Serve(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	err := l.srv.Serve(l.ln)
	if errors.Is(err, http.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return fmt.Errorf("%s listener %s: %w", l.spec.Role, l.spec.Name, err)
}
