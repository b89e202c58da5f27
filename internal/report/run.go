package report

import (
	"os"
	"os/user"
	"runtime/debug"
	"strings"
)

// CurrentRun describes this process: the user, the host and the build (runtime/debug's
// module version, VCS revision and time, and whether the tree was modified).
func CurrentRun(command string) *Run {
	r := &Run{User: "unknown", Host: "unknown", Version: Version(), Command: command}
	if u, err := user.Current(); err == nil && u.Username != "" {
		r.User = u.Username
	} else if v := os.Getenv("USER"); v != "" {
		r.User = v
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		r.Host = h
	}
	return r
}

// Version is the tool's build: "mockdirector (devel) rev 0dacc4e 2026-12-01T23:00:00Z, modified, go1.26".
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "mockdirector (no build information)"
	}
	parts := []string{"mockdirector " + bi.Main.Version}
	var rev, when, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		parts = append(parts, "rev "+rev)
	}
	if rev == "" {
		parts = append(parts, "built without VCS stamping")
	}
	if when != "" {
		parts = append(parts, when)
	}
	if modified == "true" {
		parts = append(parts, "modified tree")
	}
	parts = append(parts, bi.GoVersion)
	return strings.Join(parts, ", ")
}
