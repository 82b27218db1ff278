package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
)

// stampPackage is the package whose variables -ldflags -X sets; the
// GoReleaser configuration (.goreleaser.yaml) stamps the same ones.
const stampPackage = "github.com/liveorders/liveorders/internal/buildinfo"

// release is a version and its binaries.
type release struct {
	version  string
	binaries []binary
}

// binary is one platform's server binary.
type binary struct {
	goos, goarch string
	path         string
}

// semver is npm's version syntax (semver 2.0.0, no leading v).
var semver = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

// fromDist reads the version and the binaries GoReleaser built into dir.
func fromDist(dir string) (release, error) {
	var meta struct {
		Version string `json:"version"`
	}
	if err := readJSON(filepath.Join(dir, "metadata.json"), &meta); err != nil {
		return release{}, fmt.Errorf("%w (run make dist first)", err)
	}
	var artifacts []struct {
		Type   string `json:"type"`
		Path   string `json:"path"`
		Goos   string `json:"goos"`
		Goarch string `json:"goarch"`
	}
	if err := readJSON(filepath.Join(dir, "artifacts.json"), &artifacts); err != nil {
		return release{}, fmt.Errorf("%w (run make dist first)", err)
	}
	rel := release{version: meta.Version}
	for _, a := range artifacts {
		if a.Type != "Binary" {
			continue
		}
		// GoReleaser records paths relative to the directory it ran in,
		// the one holding dist/.
		p := a.Path
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(filepath.Clean(dir)), p)
		}
		rel.binaries = append(rel.binaries, binary{goos: a.Goos, goarch: a.Goarch, path: p})
	}
	if len(rel.binaries) == 0 {
		return release{}, fmt.Errorf("%s lists no binaries", filepath.Join(dir, "artifacts.json"))
	}
	return rel, rel.check()
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// buildHost builds this machine's binary from the module in dir into out,
// statically and stamped like a release build.
func buildHost(dir, out, version, commit string) (release, error) {
	rel := release{version: version}
	if err := rel.check(); err != nil {
		return release{}, err
	}
	name := "liveorders"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	bin := binary{goos: runtime.GOOS, goarch: runtime.GOARCH, path: filepath.Join(out, name)}
	ldflags := fmt.Sprintf("-s -w -X %[1]s.Version=%[2]s -X %[1]s.Commit=%[3]s", stampPackage, version, commit)
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", ldflags, "-o", bin.path, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return release{}, fmt.Errorf("go build: %w\n%s", err, b)
	}
	rel.binaries = []binary{bin}
	return rel, nil
}

// check reports a release npm could not publish.
func (r release) check() error {
	if !semver.MatchString(r.version) {
		return fmt.Errorf("version %q is not a semver version npm accepts, such as 1.4.0 or 0.0.1-SNAPSHOT-3f2a1b4", r.version)
	}
	seen := map[string]bool{}
	for _, b := range r.binaries {
		if _, _, err := npmPlatform(b.goos, b.goarch); err != nil {
			return err
		}
		key := b.goos + "/" + b.goarch
		if seen[key] {
			return fmt.Errorf("two binaries for %s", key)
		}
		seen[key] = true
	}
	return nil
}

// npmPlatform returns Node's names (process.platform, process.arch) for a
// Go os and architecture.
func npmPlatform(goos, goarch string) (nodeOS, nodeCPU string, err error) {
	oses := map[string]string{"linux": "linux", "darwin": "darwin", "windows": "win32"}
	cpus := map[string]string{"amd64": "x64", "arm64": "arm64"}
	nodeOS, nodeCPU = oses[goos], cpus[goarch]
	if nodeOS == "" || nodeCPU == "" {
		return "", "", fmt.Errorf("no npm platform for %s/%s: the packages cover linux, darwin and windows on amd64 and arm64", goos, goarch)
	}
	return nodeOS, nodeCPU, nil
}

// packageName is the name of the platform package for Node's os and cpu,
// the one the launcher looks for.
func packageName(nodeOS, nodeCPU string) string {
	return "@liveorders/server-" + nodeOS + "-" + nodeCPU
}

// exeName is the binary's file name in a platform package.
func exeName(nodeOS string) string {
	if nodeOS == "win32" {
		return "liveorders.exe"
	}
	return "liveorders"
}

var errNoNPM = errors.New("npm is not installed: the packages are made with npm pack")

// npmPack packs the package in dir into out and returns the tarball's path.
func npmPack(dir, out string) (string, error) {
	if _, err := exec.LookPath("npm"); err != nil {
		return "", errNoNPM
	}
	cmd := exec.Command("npm", "pack", "--json", "--pack-destination", out)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "npm_config_update_notifier=false", "npm_config_fund=false", "npm_config_audit=false")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("npm pack %s: %w\n%s", dir, err, stderr.String())
	}
	var packed []struct {
		Filename string `json:"filename"`
	}
	if err := json.Unmarshal(b, &packed); err != nil || len(packed) != 1 {
		return "", fmt.Errorf("npm pack %s: unexpected output %q", dir, b)
	}
	return filepath.Join(out, packed[0].Filename), nil
}
