package buildinfo_test

import (
	"runtime"
	"testing"

	"github.com/liveorders/liveorders/internal/buildinfo"
)

func TestInfoString(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   buildinfo.Info
		want string
	}{
		{name: "release", in: buildinfo.Info{Version: "1.4.0", Commit: "3f2a1b4", Date: "2026-12-07T13:15:00Z", GoVersion: "go1.26.8", Platform: "linux/amd64"},
			want: "liveorders 1.4.0 (commit 3f2a1b4, built 2026-12-07T13:15:00Z, go1.26.8 linux/amd64)"},
		{name: "unstamped", in: buildinfo.Info{Version: "devel", GoVersion: "go1.26.8", Platform: "darwin/arm64"},
			want: "liveorders devel (commit unknown, go1.26.8 darwin/arm64)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.in.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestReadFollowsTheStamp reads an unstamped test binary, then the stamp
// -ldflags -X would set.
func TestReadFollowsTheStamp(t *testing.T) {
	in := buildinfo.Read()
	if in.Version != "devel" || in.GoVersion != runtime.Version() || in.Platform != runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("unstamped: %+v, want version devel and this toolchain and platform", in)
	}

	version, commit, date := buildinfo.Version, buildinfo.Commit, buildinfo.Date
	t.Cleanup(func() { buildinfo.Version, buildinfo.Commit, buildinfo.Date = version, commit, date })
	buildinfo.Version, buildinfo.Commit, buildinfo.Date = "2.0.1", "abcdef", "2026-12-07T13:15:00Z"
	in = buildinfo.Read()
	if in.Version != "2.0.1" || in.Commit != "abcdef" || in.Date != "2026-12-07T13:15:00Z" {
		t.Errorf("stamped: %+v, want 2.0.1, abcdef, 2026-12-07T13:15:00Z", in)
	}
}
