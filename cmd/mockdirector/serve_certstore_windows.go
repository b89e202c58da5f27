//go:build windows

package main

import "github.com/mockdirector/mockdirector/internal/winstore"

// openCertStore opens the machine store --cert-store names.
func openCertStore(name string) (winstore.Store, error) { return winstore.Open(name) }
