// Command baresip is the bare sipgo server the bench scripts load beside the mock: SIP over
// mutual TLS, a client certificate chaining to -ca required, OPTIONS answered 200 OK with the
// headers the mock sends (Allow, Supported, Accept, Server), nothing journaled.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/mockdirector/mockdirector/bench/cmd/internal/baretls"
	"github.com/mockdirector/mockdirector/bench/cmd/internal/cpuprof"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	cert := flag.String("cert", "", "PEM certificate chain")
	key := flag.String("key", "", "PEM private key")
	ca := flag.String("ca", "", "PEM CA that client certificates must chain to")
	tf := baretls.Register(flag.CommandLine)
	cpu := flag.String("cpuprofile", "", "CPU profile written from ready until SIGTERM (to set beside the mock's, bench/cmd/mockprof)")
	flag.Parse()
	if err := cpuprof.UntilSignal(*cpu); err != nil {
		fmt.Fprintln(os.Stderr, "baresip:", err)
		os.Exit(1)
	}
	// run serves until it fails.
	fmt.Fprintln(os.Stderr, "baresip:", run(*addr, *cert, *key, *ca, tf))
	os.Exit(1)
}

func run(addr, certFile, keyFile, caFile string, tf baretls.Flags) error {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return err
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return fmt.Errorf("%s: no certificate", caFile)
	}
	conf := &tls.Config{Certificates: []tls.Certificate{pair}, ClientCAs: pool,
		ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12}
	if err := tf.Apply(conf); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "baresip:", baretls.Describe(conf))
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("RTC/5.0 baresip"),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(quiet)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(quiet)))
	if err != nil {
		return err
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(quiet))
	if err != nil {
		return err
	}
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		res := sip.NewResponseFromRequest(req, 200, "OK", nil)
		res.AppendHeader(sip.NewHeader("Server", "RTC/5.0 baresip director dir01.contoso.local"))
		res.AppendHeader(sip.NewHeader("Allow", "INVITE, BYE, ACK, CANCEL, INFO, UPDATE, REFER, NOTIFY, BENOTIFY, OPTIONS, SUBSCRIBE, MESSAGE, PRACK, SERVICE"))
		res.AppendHeader(sip.NewHeader("Supported", "ms-dialog-route-set-update, timer, histinfo, ms-safe-transfer, ms-sender, ms-early-media, Replaces, ms-conf-invite"))
		res.AppendHeader(sip.NewHeader("Accept", "application/sdp"))
		// The mock's identity header, the same length (a bare server has no identity to give).
		res.AppendHeader(sip.NewHeader("X-MockDirector", "role=director;member=dir01.contoso.local;listener=sip-mtls-5061;source="+req.Source()))
		tx.Respond(res)
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Println("ready", ln.Addr())
	return srv.ServeTLS(tls.NewListener(ln, conf))
}
