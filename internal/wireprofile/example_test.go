package wireprofile_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/mockdirector/mockdirector/internal/wireprofile"
)

// A listener applies the profile on top of its certificate config, names the ALPN protocols it
// speaks, and answers with the profile's Server header. Against the default profile (Lync Server
// 2013 on Windows Server 2012 R2) an h2-capable client gets HTTP/1.1 over TLS 1.2 with the suite
// schannel would choose.
func ExampleProfile_ServerTLS() {
	p, err := wireprofile.Get("") // the default, lync2013-ws2012r2
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := startExampleServer(p) // helpers_test.go: ServerTLS(&tls.Config{Certificates, NextProtos: h2, http/1.1})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	roots := x509.NewCertPool()
	roots.AddCert(testCert.Leaf)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "dir01.contoso.test"}, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	res, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get("https://" + s.Addr + "/")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	fmt.Println(wireprofile.Negotiated(*res.TLS))
	fmt.Println(res.Header.Get("Server"))
	fmt.Print(string(body))
	// Output:
	// TLSv1.2 TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA P-256 alpn=-
	// Microsoft-IIS/8.5
	// ok HTTP/1.1
}
