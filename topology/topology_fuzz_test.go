package topology_test

import (
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/mockdirector/mockdirector/internal/yamlsafe/yamlsafetest"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

// FuzzParse feeds the topology loader arbitrary text: it must end in a topology or an error,
// never a panic (the two-line "pools:\n  director:\n" used to panic in validate), and a
// topology that loads must answer every lookup serve, probe and report make without panicking.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"default.yaml", "lab.yaml", "../lab/topology.yaml", "../probe/testdata/topology.yaml", "../probe/testdata/topology-udp.yaml", "../internal/report/testdata/lab50.yaml"} {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("pools:\n  director:\n"))
	f.Add([]byte("sources:\n  any: " + yamlsafetest.Laughs() + "\n"))
	f.Add([]byte("listeners:\n  - {role: director, port: 5000, port_end: 5003, transport: udp-quic}\n"))
	addrs := []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1"), netip.MustParseAddr("::ffff:10.1.2.3"), {}}
	f.Fuzz(func(t *testing.T, data []byte) {
		topo, err := topology.Parse("fuzz.yaml", data)
		if err != nil {
			if n := strings.Count(err.Error(), "\n"); n > 20 {
				t.Fatalf("error has %d lines, more than the cap", n+1)
			}
			return
		}
		for _, role := range scenarios.ServerRoles {
			p, err := topo.Pool(role)
			if err != nil {
				continue
			}
			_ = p.Target()
			for _, name := range []string{"", "x", "dir01"} {
				_, _ = p.Member(name)
				_, _, _ = topo.Member(role, name)
				for _, port := range []int{443, 5061, 0} {
					_, _ = topo.OverrideFor(role, name, port)
				}
				for _, o := range topo.QUICResponders(role, name) {
					if ports := o.QUICPorts(); len(ports) > topology.MaxQUICRange {
						t.Fatalf("udp-quic entry of %d ports loaded, more than %d", len(ports), topology.MaxQUICRange)
					}
				}
			}
		}
		for _, a := range addrs {
			_ = topo.SourceRoleOf(a)
		}
		for _, role := range scenarios.SourceRoles {
			_ = topo.SourceAddr(role)
		}
	})
}
