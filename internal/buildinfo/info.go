package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Info is what a binary knows of its own build.
type Info struct {
	// Version is the release version, such as 1.4.0 or 0.0.0-SNAPSHOT-3f2a1b4;
	// "devel" for a build that was not stamped.
	Version string
	// Commit is the git commit built, with "-dirty" when the work tree had
	// changes; empty when unknown.
	Commit string
	// Date is when the release was built (RFC 3339); empty when unknown.
	Date string
	// GoVersion is the Go release that built the binary, such as go1.26.8.
	GoVersion string
	// Platform is the binary's os/arch, such as linux/amd64.
	Platform string
}

// Read returns the stamp, falling back on what the Go toolchain recorded
// when the build was not stamped: the module version of a `go install
// …@version`, and the commit of a `go build` in a git work tree.
func Read() Info {
	in := Info{Version: Version, Commit: Commit, Date: Date,
		GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return in
	}
	if in.Version == "devel" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		in.Version = strings.TrimPrefix(bi.Main.Version, "v")
	}
	var revision, modified, vcsTime string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value
		case "vcs.time":
			vcsTime = s.Value
		}
	}
	if in.Commit == "" && revision != "" {
		in.Commit = revision
		if modified == "true" {
			in.Commit += "-dirty"
		}
		if in.Date == "" {
			in.Date = vcsTime
		}
	}
	return in
}

// String is the line `liveorders -version` prints, such as
// "liveorders 1.4.0 (commit 3f2a1b4…, built 2026-12-07T13:15:00Z, go1.26.8 linux/amd64)".
func (in Info) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "liveorders %s (commit ", in.Version)
	if in.Commit == "" {
		b.WriteString("unknown")
	} else {
		b.WriteString(in.Commit)
	}
	if in.Date != "" {
		fmt.Fprintf(&b, ", built %s", in.Date)
	}
	fmt.Fprintf(&b, ", %s %s)", in.GoVersion, in.Platform)
	return b.String()
}
