package listeners_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"syscall"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/listeners"
)

var _ = Describe("the fix a failed bind names, in the platform's words", Label("bind"), func() {
	const host = "127.0.10.31"

	It("says on Windows which command finds the holder of a busy port, and that PID 4 is http.sys", func() {
		tcp := listeners.WindowsBindAdvice(listeners.BindCause["in-use"], 443, false)
		Expect(tcp).To(SatisfyAll(
			ContainSubstring("port 443"), ContainSubstring("WSAEADDRINUSE"),
			ContainSubstring("Get-NetTCPConnection -LocalPort 443 -State Listen"),
			ContainSubstring("netstat -ano -p tcp | findstr :443"),
			ContainSubstring("http.sys"), ContainSubstring("netsh http show servicestate"), ContainSubstring("W3SVC"),
			ContainSubstring("--port-offset 10000"), ContainSubstring("--bind")))
		udp := listeners.WindowsBindAdvice(listeners.BindCause["in-use"], 443, true)
		Expect(udp).To(SatisfyAll(ContainSubstring("Get-NetUDPEndpoint -LocalPort 443"), ContainSubstring("-p udp"), Not(ContainSubstring("http.sys"))))
	})

	It("says on Windows that WSAEACCES is an excluded port range or an exclusive holder", func() {
		Expect(listeners.WindowsBindAdvice(listeners.BindCause["denied"], 50001, false)).To(SatisfyAll(
			ContainSubstring("port 50001"), ContainSubstring("WSAEACCES"),
			ContainSubstring("netsh int ipv4 show excludedportrange protocol=tcp"),
			ContainSubstring("exclusively"), ContainSubstring("netsh http show servicestate"),
			ContainSubstring("--port-offset")))
		Expect(listeners.WindowsBindAdvice(listeners.BindCause["denied"], 5061, true)).To(
			ContainSubstring("excludedportrange protocol=udp"))
		Expect(listeners.WindowsBindAdvice(listeners.BindCause["not-avail"], 5061, false)).To(SatisfyAll(
			ContainSubstring("no interface has that address"), ContainSubstring("Get-NetIPAddress")))
		Expect(listeners.WindowsBindAdvice(listeners.BindCause["other"], 5061, false)).To(BeEmpty())
	})

	It("keeps the unix fixes: ss, privileged ports, the missing address", func() {
		Expect(listeners.UnixBindAdvice(listeners.BindCause["in-use"], 8080, false)).To(ContainSubstring("ss -ltnp 'sport = :8080'"))
		Expect(listeners.UnixBindAdvice(listeners.BindCause["in-use"], 443, true)).To(ContainSubstring("ss -lunp"))
		Expect(listeners.UnixBindAdvice(listeners.BindCause["denied"], 80, false)).To(ContainSubstring("CAP_NET_BIND_SERVICE"))
		Expect(listeners.UnixBindAdvice(listeners.BindCause["denied"], 8080, false)).To(BeEmpty())
	})

	It("reads this platform's own error for a busy port: the fix in its words", func() {
		busy, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		Expect(err).NotTo(HaveOccurred())
		defer busy.Close()
		port := busy.Addr().(*net.TCPAddr).Port
		_, err = net.Listen("tcp", busy.Addr().String())
		Expect(err).To(HaveOccurred())
		be := &listeners.BindError{Spec: listeners.Spec{Role: "director", Name: "https-443", Addr: busy.Addr().String()}, Err: err}
		Expect(errors.Is(be, syscall.EADDRINUSE)).To(BeTrue(), "errors.Is(EADDRINUSE) on %s: %v", runtime.GOOS, err)
		want := fmt.Sprintf("ss -ltnp 'sport = :%d'", port)
		if runtime.GOOS == "windows" {
			want = fmt.Sprintf("Get-NetTCPConnection -LocalPort %d", port)
		}
		Expect(be.Error()).To(SatisfyAll(ContainSubstring(want), ContainSubstring("--port-offset")))
	})

	It("reads Windows' WSAEACCES (10013) as a refusal with the excluded-range fix", func() {
		if runtime.GOOS != "windows" {
			Skip("Winsock error numbers mean something else on " + runtime.GOOS)
		}
		// Neither Wine nor a plain Windows host makes an excluded range on demand: the error is
		// the one net.Listen returns there (os.SyscallError "bind" of Errno 10013).
		err := &net.OpError{Op: "listen", Net: "tcp", Err: os.NewSyscallError("bind", syscall.Errno(10013))}
		be := &listeners.BindError{Spec: listeners.Spec{Role: "director", Name: "cls-mtls-50001", Addr: "127.0.0.2:50001"}, Err: err}
		Expect(errors.Is(be, syscall.EACCES)).To(BeTrue())
		Expect(errors.Is(be, syscall.EADDRINUSE)).To(BeFalse())
		Expect(be.Error()).To(SatisfyAll(ContainSubstring("WSAEACCES"), ContainSubstring("excludedportrange")))
	})
})
