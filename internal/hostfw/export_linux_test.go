package hostfw

import "github.com/google/nftables"

// InNetNS points the nftables side of Check, Open and Clean into the network namespace of fd
// (iptables-legacy, firewalld and ufw stay in the test's own: their commands are not run there).
func InNetNS(fd int) func() {
	old := nftOptions
	nftOptions = []nftables.ConnOption{nftables.WithNetNSFd(fd)}
	return func() { nftOptions = old }
}
