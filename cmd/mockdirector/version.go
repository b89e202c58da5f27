package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Set at release time with -ldflags "-X main.version=... -X main.commit=... -X main.date=..."
// (.goreleaser.yaml does). A plain `go build` or `go install` leaves them empty and the module
// version and VCS stamp of the build are used instead.
var (
	version string
	commit  string
	date    string
)

// buildInfo is what `mockdirector version` prints.
type buildInfo struct {
	Version, Commit, Date string
	Modified              bool
}

// currentBuild is the -ldflags values, each missing one filled from runtime/debug.ReadBuildInfo.
func currentBuild() buildInfo {
	b := buildInfo{Version: version, Commit: commit, Date: date}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b.orUnknown()
	}
	if b.Version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		b.Version = info.Main.Version
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			if b.Commit == "" {
				b.Commit = s.Value
			}
		case "vcs.time":
			if b.Date == "" {
				b.Date = s.Value
			}
		case "vcs.modified":
			b.Modified = commit == "" && s.Value == "true"
		}
	}
	return b.orUnknown()
}

func (b buildInfo) orUnknown() buildInfo {
	for _, f := range []*string{&b.Version, &b.Commit, &b.Date} {
		if *f == "" {
			*f = "unknown"
		}
	}
	if b.Version == "unknown" {
		b.Version = "dev"
	}
	return b
}

func (b buildInfo) write(w io.Writer) {
	commit := b.Commit
	if b.Modified {
		commit += " (with uncommitted changes)"
	}
	fmt.Fprintf(w, "mockdirector %s\ncommit  %s\ndate    %s\ngo      %s %s/%s\n",
		b.Version, commit, b.Date, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func init() {
	rootCmd.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and build date of this binary",
		Args:  cobra.NoArgs,
		Run:   func(cmd *cobra.Command, _ []string) { currentBuild().write(cmd.OutOrStdout()) },
	})
	rootCmd.Version = currentBuild().Version
}
