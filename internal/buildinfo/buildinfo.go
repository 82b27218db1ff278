// Package buildinfo holds the version stamp a release build sets with -ldflags.
package buildinfo

// Version, Commit and Date are set at build time with -ldflags "-X
// github.com/liveorders/liveorders/internal/buildinfo.Version=…" (and .Commit, .Date).
// An unstamped build reports Version "devel".
var (
	Version = "devel"
	Commit  = ""
	Date    = ""
)
