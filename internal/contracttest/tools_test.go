package contracttest_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// root is the repository root, from this package's directory.
var root = filepath.Join("..", "..")

// tools describes the installed npm tools of scripts/node.
type tools struct {
	node    string // the node binary
	npm     string // the npm binary
	dir     string // scripts/node, absolute
	modules string // scripts/node/node_modules, absolute
}

// needTools returns the tools, or skips the test when they are missing
// (fails it under CI=true, where .ci/run installs them).
func needTools(t *testing.T) tools {
	t.Helper()
	missing := func(what string) {
		t.Helper()
		msg := what + ": install Node.js and run `npm ci --prefix scripts/node`"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not on the PATH")
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		missing("npm is not on the PATH")
	}
	dir, err := filepath.Abs(filepath.Join(root, "scripts", "node"))
	if err != nil {
		t.Fatal(err)
	}
	modules := filepath.Join(dir, "node_modules")
	for _, pkg := range []string{"ajv", "@asyncapi/parser", "typescript", "@redocly/cli", "@stoplight/spectral-cli", "@asyncapi/modelina",
		"openapi-typescript", "openapi-fetch", "@arethetypeswrong/cli", "ws", "@types/node"} {
		if _, err := os.Stat(filepath.Join(modules, pkg, "package.json")); err != nil {
			missing("the npm package " + pkg + " is not installed in scripts/node")
		}
	}
	return tools{node: node, npm: npm, dir: dir, modules: modules}
}

// run runs a command in dir and returns its standard output and error;
// err is non-nil when it exits non-zero.
func run(t *testing.T, dir string, env []string, name string, args ...string) (stdout, stderr []byte, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %s: timed out", name, strings.Join(args, " "))
	}
	return out.Bytes(), errb.Bytes(), err
}

// script runs one of the checkers of scripts/node with node.
func (tl tools) script(t *testing.T, name string, args ...string) (stdout, stderr []byte, err error) {
	t.Helper()
	return run(t, tl.dir, nil, tl.node, append([]string{filepath.Join(tl.dir, name)}, args...)...)
}

// linkModules makes dir resolve bare imports to the tools' node_modules, so
// a script written there imports ajv and friends.
func (tl tools) linkModules(t *testing.T, dir string) {
	t.Helper()
	if err := os.Symlink(tl.modules, filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
