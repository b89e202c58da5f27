package listeners

import "fmt"

// bindCause is what a failed bind means to the person who asked for it, whatever the platform's
// number for it (EADDRINUSE on Linux, WSAEADDRINUSE 10048 on Windows).
type bindCause int

const (
	bindOther    bindCause = iota // nothing more to say than the error itself
	bindInUse                     // another socket holds the port
	bindDenied                    // refused: a privileged port (unix); an excluded range or exclusive use (Windows)
	bindNotAvail                  // no interface of this host has the address
)

// bindAdvice is what BindError.Error adds after the error: the fix for this platform, "" when
// it has none to give.
func bindAdvice(err error, port int, udp bool) string {
	return platformBindAdvice(classifyBind(err), port, udp)
}

// unixBindAdvice is the fix on Linux and the other unix systems.
func unixBindAdvice(c bindCause, port int, udp bool) string {
	switch c {
	case bindInUse:
		ss := "ss -ltnp"
		if udp {
			ss = "ss -lunp"
		}
		return fmt.Sprintf("; another process holds port %d (see `%s 'sport = :%d'`): stop it, or run with --port-offset 10000, or --bind another address such as 127.0.0.2", port, ss, port)
	case bindDenied:
		if port < 1024 {
			return fmt.Sprintf("; port %d is privileged: run as root, grant the binary CAP_NET_BIND_SERVICE (setcap cap_net_bind_service=+ep), or run with --port-offset 10000", port)
		}
	case bindNotAvail:
		return "; no interface has that address: check --bind or the member's address in the topology"
	}
	return ""
}

// windowsBindAdvice is the fix on Windows, in the commands a Windows administrator has: netstat
// and the NetTCPIP cmdlets for the holder, netsh for excluded port ranges and for http.sys, which
// holds HTTP ports for IIS (W3SVC) and other services under PID 4 "System".
func windowsBindAdvice(c bindCause, port int, udp bool) string {
	proto, cmdlet := "tcp", fmt.Sprintf("Get-NetTCPConnection -LocalPort %d -State Listen", port)
	if udp {
		proto, cmdlet = "udp", fmt.Sprintf("Get-NetUDPEndpoint -LocalPort %d", port)
	}
	httpSys := ""
	if !udp {
		httpSys = "; if the owner is PID 4 (System) it is http.sys, which IIS (W3SVC) and other HTTP services use: `netsh http show servicestate` names them, `Stop-Service W3SVC` stops IIS"
	}
	switch c {
	case bindInUse:
		return fmt.Sprintf("; another process holds port %d (WSAEADDRINUSE; see `%s` or `netstat -ano -p %s | findstr :%d`%s): stop it, or run with --port-offset 10000, or --bind another address such as 127.0.0.2",
			port, cmdlet, proto, port, httpSys)
	case bindDenied:
		return fmt.Sprintf("; Windows refused port %d (WSAEACCES): it lies in a range the system reserved (Hyper-V, WinNAT, Docker: `netsh int ipv4 show excludedportrange protocol=%s`), or another process holds it exclusively (see `%s`%s): stop the holder, or run with --port-offset 10000 to leave the range, or --bind another address",
			port, proto, cmdlet, httpSys)
	case bindNotAvail:
		return "; no interface has that address (WSAEADDRNOTAVAIL): check --bind or the member's address in the topology; `Get-NetIPAddress` lists this host's addresses"
	}
	return ""
}
