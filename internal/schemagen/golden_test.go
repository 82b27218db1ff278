package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/*/out")

// generateInto runs the generator on the schemas in dir and writes its
// outputs under out, laid out like the repository: out/api/*.gen.go,
// out/static/protocol.gen.{js,d.ts} and out/handlers/contract/*.gen.*.
func generateInto(t *testing.T, dir, out string) {
	t.Helper()
	args := []string{"-schemas", dir, "-go", filepath.Join(out, "api"), "-js", filepath.Join(out, "static", "protocol.gen.js"),
		"-ts", filepath.Join(out, "static", "protocol.gen.d.ts"), "-contract", filepath.Join(out, "handlers", "contract")}
	if err := run(args, io.Discard); err != nil {
		t.Fatalf("schemagen %s: %v", strings.Join(args, " "), err)
	}
}

// readTree returns every file under root by slash-separated relative path.
func readTree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = data
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// compareTrees reports every file missing from, extra in, or different in got.
func compareTrees(t *testing.T, got, want map[string][]byte, hint string) {
	t.Helper()
	for name, w := range want {
		g, ok := got[name]
		switch {
		case !ok:
			t.Errorf("%s: not generated (%s)", name, hint)
		case !bytes.Equal(g, w):
			t.Errorf("%s differs from the expected output (%s):\n%s", name, hint, firstDiff(g, w))
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: generated but not expected (%s)", name, hint)
		}
	}
}

// firstDiff shows the first differing line of two texts.
func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + strconv.Itoa(i+1) + ":\n  got:  " + gl + "\n  want: " + wl
		}
	}
	return "(same lines)"
}

func goldenCases(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join("testdata", "*", "in"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases under testdata: %v", err)
	}
	var cases []string
	for _, d := range dirs {
		cases = append(cases, filepath.Base(filepath.Dir(d)))
	}
	return cases
}

// TestGolden runs the generator on each testdata/<case>/in and compares the
// result with testdata/<case>/out. Run with -update to rewrite out/.
func TestGolden(t *testing.T) {
	for _, name := range goldenCases(t) {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", name)
			tmp := t.TempDir()
			generateInto(t, filepath.Join(dir, "in"), tmp)
			got := readTree(t, tmp)
			want := filepath.Join(dir, "out")
			if *update {
				if err := os.RemoveAll(want); err != nil {
					t.Fatal(err)
				}
				if err := os.CopyFS(want, os.DirFS(tmp)); err != nil {
					t.Fatal(err)
				}
				return
			}
			compareTrees(t, got, readTree(t, want), "run go test ./internal/schemagen -update to accept")
		})
	}
}

// TestOptionalFieldChangesOnlyItsType shows that adding one optional
// property to a schema (testdata/optional-field is testdata/basic plus
// Item.label) changes the Go struct and the JavaScript typedef of that
// definition, and the published documents that list every definition
// (the AsyncAPI components and the reference page), the strict decoder of
// that definition, and nothing else.
func TestOptionalFieldChangesOnlyItsType(t *testing.T) {
	basic := readTree(t, filepath.Join("testdata", "basic", "out"))
	opt := readTree(t, filepath.Join("testdata", "optional-field", "out"))

	var changed []string
	for name := range basic {
		if !bytes.Equal(basic[name], opt[name]) {
			changed = append(changed, name)
		}
	}
	slices.Sort(changed)
	want := []string{
		"api/items.gen.go", "api/validate.gen.go",
		"handlers/contract/asyncapi.gen.json", "handlers/contract/asyncapi.gen.yaml", "handlers/contract/docs.gen.html",
		"handlers/contract/openapi.gen.json", "handlers/contract/openapi.gen.yaml",
		"static/protocol.gen.d.ts", "static/protocol.gen.js",
	}
	if !slices.Equal(changed, want) {
		t.Errorf("changed outputs = %v, want %v", changed, want)
	}
	goField := "Label string `json:\"label,omitempty\"`"
	jsProp := "@property {string} [label] A name shown to people."
	tsProp := "label?: string;"
	docsRow := "<tr><td><code>label</code></td><td>string</td><td>no</td><td>A name shown to people.</td></tr>"
	for name, want := range map[string]string{"api/items.gen.go": goField, "static/protocol.gen.js": jsProp, "static/protocol.gen.d.ts": tsProp, "handlers/contract/docs.gen.html": docsRow} {
		if !bytes.Contains(opt[name], []byte(want)) {
			t.Errorf("%s lacks %q", name, want)
		}
		if bytes.Contains(basic[name], []byte(want)) {
			t.Errorf("basic %s already has %q", name, want)
		}
		// Only lines are added: every line of basic is still there, in order.
		if extra := addedLines(basic[name], opt[name]); len(extra) == 0 || len(extra) > 3 {
			t.Errorf("%s: added lines %q, want the field and its comment only", name, extra)
		}
	}
}

// addedLines returns the lines of b that are not matched, in order, by lines of a;
// nil if a is not a subsequence of b.
func addedLines(a, b []byte) []string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	var extra []string
	i := 0
	for _, l := range bl {
		if i < len(al) && strings.TrimSpace(al[i]) == strings.TrimSpace(l) {
			i++
			continue
		}
		extra = append(extra, l)
	}
	if i != len(al) {
		return nil
	}
	return extra
}

// TestStable runs the generator twice over the same directory: the second
// run must produce the same bytes and leave every file untouched.
func TestStable(t *testing.T) {
	in := filepath.Join("testdata", "basic", "in")
	tmp := t.TempDir()
	generateInto(t, in, tmp)
	first := readTree(t, tmp)
	stamps := map[string]time.Time{}
	for name := range first {
		fi, err := os.Stat(filepath.Join(tmp, name))
		if err != nil {
			t.Fatal(err)
		}
		stamps[name] = fi.ModTime()
	}
	generateInto(t, in, tmp)
	compareTrees(t, readTree(t, tmp), first, "second run")
	for name, stamp := range stamps {
		fi, err := os.Stat(filepath.Join(tmp, name))
		if err != nil {
			t.Fatal(err)
		}
		if !fi.ModTime().Equal(stamp) {
			t.Errorf("%s was rewritten although its bytes did not change", name)
		}
	}

	other := t.TempDir()
	generateInto(t, in, other)
	compareTrees(t, readTree(t, other), first, "run into another directory")
}

// TestCommittedOutputIsCurrent is the drift check: the generator's output for
// the real schema/ equals the committed api/*.gen.go, static/protocol.gen.js
// and .d.ts, and handlers/contract/*.gen.*.
func TestCommittedOutputIsCurrent(t *testing.T) {
	root := filepath.Join("..", "..")
	tmp := t.TempDir()
	generateInto(t, filepath.Join(root, "schema"), tmp)

	committed := map[string][]byte{}
	gens, err := filepath.Glob(filepath.Join(root, "api", "*.gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range gens {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.HasPrefix(data, []byte(goHeaderPrefix)) {
			committed["api/"+filepath.Base(p)] = data
		}
	}
	for _, name := range []string{"protocol.gen.js", "protocol.gen.d.ts"} {
		data, err := os.ReadFile(filepath.Join(root, "static", name))
		if err != nil {
			t.Fatal(err)
		}
		committed["static/"+name] = data
	}
	for _, name := range []string{asyncapiJSON, asyncapiYAML, openapiJSON, openapiYAML, docsHTML} {
		data, err := os.ReadFile(filepath.Join(root, "handlers", "contract", name))
		if err != nil {
			t.Fatal(err)
		}
		committed["handlers/contract/"+name] = data
	}
	compareTrees(t, readTree(t, tmp), committed, "run go generate ./... from the repository root")
}

// TestGoldenGoCompiles type-checks the generated Go of every golden case,
// with api/scan.go, the reader the generated decoders share.
func TestGoldenGoCompiles(t *testing.T) {
	for _, name := range goldenCases(t) {
		t.Run(name, func(t *testing.T) {
			paths, err := filepath.Glob(filepath.Join("testdata", name, "out", "api", "*.go"))
			if err != nil || len(paths) == 0 {
				t.Fatalf("no Go files: %v", err)
			}
			// The generated decoders use the hand-written JSON reader.
			paths = append(paths, filepath.Join("..", "..", "api", "scan.go"))
			fset := token.NewFileSet()
			var files []*ast.File
			for _, p := range paths {
				f, err := parser.ParseFile(fset, p, nil, parser.ParseComments)
				if err != nil {
					t.Fatal(err)
				}
				files = append(files, f)
			}
			conf := types.Config{Importer: importer.Default()}
			if _, err := conf.Check("api", fset, files, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestJSModuleLoads imports each generated module with node, when node is
// installed, and checks its exports: one per enumeration and constant
// definition, and one pattern per string definition with a pattern.
func TestJSModuleLoads(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	for _, dir := range []string{filepath.Join("testdata", "basic"), filepath.Join("..", "..")} {
		t.Run(dir, func(t *testing.T) {
			schemas := filepath.Join(dir, "in")
			module := filepath.Join(dir, "out", "static", "protocol.gen.js")
			if dir == filepath.Join("..", "..") {
				schemas, module = filepath.Join(dir, "schema"), filepath.Join(dir, "static", "protocol.gen.js")
			}
			m, err := load(schemas)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, d := range m.Defs {
				switch {
				case d.Kind == KindConst || d.Kind == KindEnum || d.Kind == KindIntEnum:
					want = append(want, tsName(d))
				case d.Kind == KindString && d.Schema.Pattern != "":
					want = append(want, tsName(d)+"Pattern")
				}
			}
			slices.Sort(want)

			abs, err := filepath.Abs(module)
			if err != nil {
				t.Fatal(err)
			}
			script := `const m = await import(process.argv[1]); console.log(JSON.stringify(Object.keys(m).sort()));`
			out, err := exec.Command(node, "--input-type=module", "-e", script, abs).CombinedOutput()
			if err != nil {
				t.Fatalf("node: %v\n%s", err, out)
			}
			var got []string
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("node printed %q: %v", out, err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("exports = %v, want %v", got, want)
			}
		})
	}
}
