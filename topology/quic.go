package topology

import "fmt"

// validateTransport checks the transport and port range of listeners[i].
func (o Override) validateTransport(i int) []error {
	var errs []error
	switch o.Transport {
	case "", "tcp":
		if o.PortEnd != 0 {
			errs = append(errs, fmt.Errorf("listeners[%d]: port_end is only for transport %s", i, TransportUDPQUIC))
		}
	case TransportUDPQUIC:
		if o.Role == "" {
			errs = append(errs, fmt.Errorf("listeners[%d]: transport %s needs a role (the role that serves the port)", i, TransportUDPQUIC))
		}
		if o.Port < 1 || o.Port > 65535 {
			errs = append(errs, fmt.Errorf("listeners[%d]: port %d is not a UDP port (1-65535)", i, o.Port))
		}
		if o.PortEnd != 0 {
			switch {
			case o.PortEnd < o.Port || o.PortEnd > 65535:
				errs = append(errs, fmt.Errorf("listeners[%d]: port_end %d must be between port %d and 65535", i, o.PortEnd, o.Port))
			case o.PortEnd-o.Port+1 > MaxQUICRange:
				errs = append(errs, fmt.Errorf("listeners[%d]: ports %d-%d are %d ports; at most %d per entry (sample a media range with a few small entries)", i, o.Port, o.PortEnd, o.PortEnd-o.Port+1, MaxQUICRange))
			}
			if o.Listen != 0 {
				errs = append(errs, fmt.Errorf("listeners[%d]: listen_port cannot move a port range (drop it or port_end)", i))
			}
		}
		if o.HTTP3 || o.ClientCert != "" || o.Disabled {
			errs = append(errs, fmt.Errorf("listeners[%d]: http3, client_cert and disabled do not apply to transport %s", i, TransportUDPQUIC))
		}
	default:
		errs = append(errs, fmt.Errorf("listeners[%d]: transport %q is not tcp or %s", i, o.Transport, TransportUDPQUIC))
	}
	return errs
}

// QUICPorts returns the UDP ports of a udp-quic entry (Port, or Port..PortEnd).
func (o Override) QUICPorts() []int {
	if o.Transport != TransportUDPQUIC {
		return nil
	}
	end := max(o.PortEnd, o.Port)
	ports := make([]int, 0, end-o.Port+1)
	for p := o.Port; p <= end; p++ {
		ports = append(ports, p)
	}
	return ports
}

// QUICResponders returns the udp-quic entries a member of role serves.
func (t *Topology) QUICResponders(role, member string) []Override {
	var out []Override
	for _, o := range t.Listeners {
		if o.Transport == TransportUDPQUIC && o.Role == role && (o.Member == "" || o.Member == member) {
			out = append(out, o)
		}
	}
	return out
}
