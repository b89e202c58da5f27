//go:build !windows

package certs

import "io/fs"

// restrictFile has nothing to add where the mode bits are the access control.
func restrictFile(string, fs.FileMode) error { return nil }
