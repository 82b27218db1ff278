package contracttest_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/liveorders/liveorders/internal/testenv"
)

// offline keeps the linters from looking for updates or sending telemetry:
// CI has no network but the registries at install time.
var offline = []string{"REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true", "NO_UPDATE_NOTIFIER=1"}

// toFile runs node with args, its standard output into a file (a tool that
// exits 1 on a finding may cut a pipe's output), and returns what it wrote.
func (tl tools) toFile(t *testing.T, args ...string) []byte {
	t.Helper()
	file := filepath.Join(t.TempDir(), "out.json")
	env := append([]string{"NODE=" + tl.node, "OUT=" + file}, offline...)
	_, stderr, _ := run(t, tl.dir, env, "sh", append([]string{"-c", `"$NODE" "$@" > "$OUT"`, "sh"}, args...)...)
	out, err := os.ReadFile(file)
	if err != nil || len(out) == 0 {
		t.Fatalf("node %s wrote nothing: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return out
}

type redoclyProblem struct {
	RuleID, Severity, Message string
}

// redocly lints the OpenAPI document at file with handlers/contract/redocly.yaml.
func redocly(t *testing.T, tl tools, file string) []redoclyProblem {
	t.Helper()
	config, err := filepath.Abs(filepath.Join(root, "handlers", "contract", "redocly.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out := tl.toFile(t, filepath.Join(tl.modules, "@redocly", "cli", "bin", "cli.js"), "lint", "--config", config, "--format", "json", file)
	var res struct{ Problems []redoclyProblem }
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("redocly printed %.400s: %v", out, err)
	}
	return res.Problems
}

// editDoc rewrites a served JSON document through change into a new file.
func editDoc(t *testing.T, doc []byte, change func(d map[string]any)) string {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	change(d)
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "doc.json")
	writeFile(t, file, b)
	return file
}

func pathOp(d map[string]any, path, method string) map[string]any {
	return d["paths"].(map[string]any)[path].(map[string]any)[method].(map[string]any)
}

// TestRedoclyLint lints the served OpenAPI document with Redocly CLI's
// recommended rules: no error. The check finds the two kinds of error the
// document once had: a public operation without security, and a path
// ending in a slash.
func TestRedoclyLint(t *testing.T) {
	tl := needTools(t)
	s := testenv.Start(t, testenv.Options{})
	doc := served(t, s, "/openapi.json")
	file := filepath.Join(t.TempDir(), "openapi.json")
	writeFile(t, file, doc)
	for _, p := range redocly(t, tl, file) {
		if p.Severity == "error" {
			t.Errorf("redocly: %s: %s", p.RuleID, p.Message)
		}
	}

	t.Run("finds what it should", func(t *testing.T) {
		broken := editDoc(t, doc, func(d map[string]any) {
			delete(pathOp(d, "/healthz", "get"), "security")
			paths := d["paths"].(map[string]any)
			paths["/categories/"] = paths["/categories"]
			delete(paths, "/categories")
		})
		var errs []string
		for _, p := range redocly(t, tl, broken) {
			if p.Severity == "error" {
				errs = append(errs, p.RuleID)
			}
		}
		for _, want := range []string{"security-defined", "no-path-trailing-slash"} {
			if !slices.Contains(errs, want) {
				t.Errorf("redocly reported %v, not %s", errs, want)
			}
		}
	})
}

type spectralProblem struct {
	Code, Message string
	Path          []any
	Severity      int // 0 error, 1 warning, 2 information, 3 hint
}

// spectral lints file with handlers/contract/.spectral.yaml.
func spectral(t *testing.T, tl tools, file string) []spectralProblem {
	t.Helper()
	ruleset, err := filepath.Abs(filepath.Join(root, "handlers", "contract", ".spectral.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out := tl.toFile(t, filepath.Join(tl.modules, "@stoplight", "spectral-cli", "dist", "index.js"), "lint", "--ruleset", ruleset, "--format", "json", "--quiet", file)
	var res []spectralProblem
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("spectral printed %.400s: %v", out, err)
	}
	return res
}

// TestSpectralLint lints both served documents with Spectral's oas and
// asyncapi rulesets (handlers/contract/.spectral.yaml): no error, and so
// every operation described; every AsyncAPI message has a description too.
// The check finds an operation stripped of its description in each.
func TestSpectralLint(t *testing.T) {
	tl := needTools(t)
	s := testenv.Start(t, testenv.Options{})
	for _, path := range []string{"/openapi.json", "/asyncapi.json"} {
		doc := served(t, s, path)
		file := filepath.Join(t.TempDir(), filepath.Base(path))
		writeFile(t, file, doc)
		for _, p := range spectral(t, tl, file) {
			if p.Severity == 0 {
				t.Errorf("spectral %s: %s at %v: %s", path, p.Code, p.Path, p.Message)
			}
		}
		if path == "/asyncapi.json" {
			var d struct {
				Components struct {
					Messages map[string]struct{ Description string }
				}
			}
			if err := json.Unmarshal(doc, &d); err != nil || len(d.Components.Messages) == 0 {
				t.Fatalf("%s: no messages (%v)", path, err)
			}
			for name, m := range d.Components.Messages {
				if m.Description == "" {
					t.Errorf("%s: message %s has no description", path, name)
				}
			}
		}

		t.Run(path+" finds an undescribed operation", func(t *testing.T) {
			broken := editDoc(t, doc, func(d map[string]any) {
				if path == "/openapi.json" {
					delete(pathOp(d, "/categories", "get"), "description")
					return
				}
				delete(d["operations"].(map[string]any)["receivePlaceOrder"].(map[string]any), "description")
			})
			var codes []string
			for _, p := range spectral(t, tl, broken) {
				if p.Severity == 0 {
					codes = append(codes, p.Code)
				}
			}
			if !slices.Contains(codes, "operation-description") && !slices.Contains(codes, "asyncapi-3-operation-description") {
				t.Errorf("spectral reported %v, no missing description", codes)
			}
		})
	}
}
