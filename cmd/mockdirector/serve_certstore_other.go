//go:build !windows

package main

import (
	"fmt"
	"runtime"

	"github.com/mockdirector/mockdirector/internal/winstore"
)

// openCertStore fails: there is no Windows certificate store here. The message names the flags
// that serve the same certificate from files.
func openCertStore(string) (winstore.Store, error) {
	return nil, fmt.Errorf("--cert-store: the Windows certificate store exists only on Windows; on %s use --cert CHAIN.pem --key-file KEY.pem --ca CA.pem, or --cert SITE.pfx --cert-password-file FILE (export the certificate with its private key from certlm.msc: All Tasks, Export, Yes, export the private key)", runtime.GOOS)
}
