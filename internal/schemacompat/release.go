package schemacompat

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
)

// Release is one released contract kept in the repository: the directory
// vN under the released directory, with the schema files as they were
// released.
type Release struct {
	Version int
	Dir     string
}

var releaseDir = regexp.MustCompile(`^v([1-9][0-9]*)$`)

// Releases returns the releases under dir, oldest first. A missing dir
// holds none.
func Releases(dir string) ([]Release, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("schemacompat: %w", err)
	}
	var rs []Release
	for _, e := range entries {
		m := releaseDir.FindStringSubmatch(e.Name())
		if !e.IsDir() || m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		rs = append(rs, Release{Version: n, Dir: filepath.Join(dir, e.Name())})
	}
	// ReadDir sorts by name: v10 before v2.
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && rs[j].Version < rs[j-1].Version; j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
	return rs, nil
}

// Load reads the release's schema files and checks that their $id names
// the release's version.
func (r Release) Load() (*Contract, error) {
	c, err := Load(os.DirFS(r.Dir), r.Dir)
	if err != nil {
		return nil, err
	}
	v, err := c.Version()
	if err != nil {
		return nil, err
	}
	if v != r.Version {
		return nil, fmt.Errorf("schemacompat: %s holds v%d schemas: a release directory is written only by make release-contract", r.Dir, v)
	}
	return c, nil
}

// Write makes dir hold exactly files (base name → bytes): files written,
// others it holds removed. Unchanged files are left alone.
func Write(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("schemacompat: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("schemacompat: %w", err)
	}
	for _, e := range entries {
		if _, keep := files[e.Name()]; !keep && !e.IsDir() {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("schemacompat: %w", err)
			}
		}
	}
	for _, name := range sortedKeys(files) {
		p := filepath.Join(dir, name)
		if old, err := os.ReadFile(p); err == nil && bytes.Equal(old, files[name]) {
			continue
		}
		if err := os.WriteFile(p, files[name], 0o644); err != nil {
			return fmt.Errorf("schemacompat: %w", err)
		}
	}
	return nil
}
