package hostfw

// LegacyBlock reads an `iptables -S` dump and says whether its INPUT drops ports.
func LegacyBlock(dump string, ports []Port, v6 bool) (Block, bool) {
	bin := iptablesBin(v6)
	chains := parseIptables(bin, dump)
	return blockOf(bin+" INPUT", ports, func(p packet) bool { return p.v6 == v6 }, chains["INPUT"], chains)
}

var (
	IptablesLeftovers = iptablesLeftovers
	UfwLeftovers      = ufwLeftovers
	UfwStatus         = ufwStatus
	SplitQuoted       = splitQuoted
)
