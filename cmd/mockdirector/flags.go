package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

// keyTypeFlag registers --key-type, the key type of generated certificates, and --key, its old
// name: --key read like the private key file (which is --key-file), so it is deprecated and
// says so when used.
func keyTypeFlag(fs *pflag.FlagSet, p *string) {
	fs.StringVar(p, "key-type", string(certs.DefaultKeyType), "key type of generated certificates: rsa2048 (what Lync 2013 peers expect), rsa3072, rsa4096, ecdsa-p256")
	fs.StringVar(p, "key", string(certs.DefaultKeyType), "")
	fs.MarkDeprecated("key", "use --key-type (the site's own private key file is --key-file)")
}

// loadSite loads the port table (a built-in name or a YAML file) and the topology (empty: the
// built-in contoso site) every command works from; an error is a usage error, with file:line.
func loadSite(scenario, config string) (*scenarios.Scenario, *topology.Topology, error) {
	scn, err := scenarios.Load(scenario)
	if err != nil {
		return nil, nil, usageErr(err)
	}
	topo, err := topology.Load(config)
	if err != nil {
		return nil, nil, usageErr(err)
	}
	return scn, topo, nil
}

// readSecretFile reads the secret on the first line of the file flag names (a CRLF line end is
// dropped). trim also drops the spaces around it (a token; a password keeps them); ifEmpty is
// the advice when the line is empty.
func readSecretFile(flag, path string, trim bool, ifEmpty string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", flag, err)
	}
	v, _, _ := strings.Cut(string(b), "\n")
	v = strings.TrimSuffix(v, "\r")
	if trim {
		v = strings.TrimSpace(v)
	}
	if v == "" {
		return "", fmt.Errorf("%s %s: %s", flag, path, ifEmpty)
	}
	return v, nil
}
