package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// platformManifest is the package.json of a platform package
// (deploy/npm/platform/package.json, with {os} and {cpu} filled in).
type platformManifest struct {
	Name            string   `json:"name"`
	Version         string   `json:"version"`
	Description     string   `json:"description"`
	License         string   `json:"license"`
	Repository      string   `json:"repository"`
	PreferUnplugged bool     `json:"preferUnplugged"`
	Files           []string `json:"files"`
	OS              []string `json:"os"`
	CPU             []string `json:"cpu"`
}

// serverManifest is the package.json of @liveorders/server
// (deploy/npm/server/package.json), whose optional dependencies are the
// platform packages made.
type serverManifest struct {
	Name                 string            `json:"name"`
	Version              string            `json:"version"`
	Description          string            `json:"description"`
	License              string            `json:"license"`
	Repository           string            `json:"repository"`
	Bin                  map[string]string `json:"bin"`
	Files                []string          `json:"files"`
	Engines              map[string]string `json:"engines"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
}

// pack makes one package per binary of rel and the launcher package from
// the templates, and writes their tarballs to out; it returns their paths,
// the launcher's last.
func pack(templates, out string, rel release) ([]string, error) {
	if err := rel.check(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	out, err := filepath.Abs(out)
	if err != nil {
		return nil, err
	}
	stage, err := os.MkdirTemp("", "npmpack-stage-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage)

	var tarballs []string
	deps := map[string]string{}
	for _, b := range rel.binaries {
		nodeOS, nodeCPU, _ := npmPlatform(b.goos, b.goarch)
		dir := filepath.Join(stage, nodeOS+"-"+nodeCPU)
		name, err := stagePlatform(filepath.Join(templates, "platform"), dir, rel.version, b)
		if err != nil {
			return nil, err
		}
		tgz, err := npmPack(dir, out)
		if err != nil {
			return nil, err
		}
		tarballs = append(tarballs, tgz)
		deps[name] = rel.version
	}
	sort.Strings(tarballs)

	dir := filepath.Join(stage, "server")
	if err := stageServer(filepath.Join(templates, "server"), dir, rel.version, deps); err != nil {
		return nil, err
	}
	tgz, err := npmPack(dir, out)
	if err != nil {
		return nil, err
	}
	return append(tarballs, tgz), nil
}

// stagePlatform writes the package of binary b into dir and returns its
// name.
func stagePlatform(template, dir, version string, b binary) (string, error) {
	nodeOS, nodeCPU, err := npmPlatform(b.goos, b.goarch)
	if err != nil {
		return "", err
	}
	fill := strings.NewReplacer("{os}", nodeOS, "{cpu}", nodeCPU)
	raw, err := os.ReadFile(filepath.Join(template, "package.json"))
	if err != nil {
		return "", err
	}
	var m platformManifest
	if err := decodeStrict([]byte(fill.Replace(string(raw))), &m); err != nil {
		return "", fmt.Errorf("%s: %w", filepath.Join(template, "package.json"), err)
	}
	if m.Name != packageName(nodeOS, nodeCPU) {
		return "", fmt.Errorf("%s: name %q, but the launcher looks for %q", filepath.Join(template, "package.json"), m.Name, packageName(nodeOS, nodeCPU))
	}
	m.Version = version
	readme, err := os.ReadFile(filepath.Join(template, "README.md"))
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		return "", err
	}
	if err := writeJSON(filepath.Join(dir, "package.json"), m); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte(fill.Replace(string(readme))), 0o644); err != nil {
		return "", err
	}
	return m.Name, copyFile(b.path, filepath.Join(dir, "bin", exeName(nodeOS)), 0o755)
}

// stageServer writes the launcher package into dir, depending optionally
// on deps (name to version).
func stageServer(template, dir, version string, deps map[string]string) error {
	raw, err := os.ReadFile(filepath.Join(template, "package.json"))
	if err != nil {
		return err
	}
	var m serverManifest
	if err := decodeStrict(raw, &m); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(template, "package.json"), err)
	}
	m.Version = version
	m.OptionalDependencies = deps
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(dir, "package.json"), m); err != nil {
		return err
	}
	if err := copyFile(filepath.Join(template, "README.md"), filepath.Join(dir, "README.md"), 0o644); err != nil {
		return err
	}
	return copyFile(filepath.Join(template, "bin", "liveorders"), filepath.Join(dir, "bin", "liveorders"), 0o755)
}

// decodeStrict decodes a template, refusing fields the manifest types do
// not know, which would otherwise be dropped from the package silently.
func decodeStrict(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

func writeJSON(path string, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // ">=18", not "\u003e=18"
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func copyFile(from, to string, mode os.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
