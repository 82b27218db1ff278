package schemacompat_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/liveorders/liveorders/internal/schemacompat"
)

var update = flag.Bool("update", false, "rewrite testdata/*/want.txt")

// defaultRoots are the roots of a golden case without a roots.txt.
const defaultRoots = "client→server commands.schema.json#/$defs/Command\nserver→client messages.schema.json#/$defs/Message\n"

// parseRoots reads one root a line: a direction, a space, a location.
func parseRoots(t *testing.T, text string) []schemacompat.Root {
	t.Helper()
	var roots []schemacompat.Root
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		dir, loc, ok := strings.Cut(line, " ")
		if !ok {
			t.Fatalf("roots: bad line %q", line)
		}
		l, err := schemacompat.ParseLocation(loc)
		if err != nil {
			t.Fatal(err)
		}
		d := map[string]schemacompat.Direction{"client→server": schemacompat.ClientToServer, "server→client": schemacompat.ServerToClient}[dir]
		if d == 0 {
			t.Fatalf("roots: bad direction %q", dir)
		}
		roots = append(roots, schemacompat.Root{Def: l, Dir: d, Why: "test root"})
	}
	return roots
}

// goldenCase is one testdata/<name>: old/ and new/ schema files, case.txt
// (what the case changes, then "expect: breaking|compatible|none"), an
// optional roots.txt, and want.txt, the findings.
type goldenCase struct {
	name, dir, expect string
	roots             []schemacompat.Root
}

func goldenCases(t *testing.T) []goldenCase {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join("testdata", "*", "case.txt"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	var cases []goldenCase
	for _, p := range dirs {
		dir := filepath.Dir(p)
		text, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		_, expect, ok := strings.Cut(string(text), "\nexpect: ")
		if !ok {
			t.Fatalf("%s: no expect: line", p)
		}
		roots := defaultRoots
		if b, err := os.ReadFile(filepath.Join(dir, "roots.txt")); err == nil {
			roots = string(b)
		}
		cases = append(cases, goldenCase{name: filepath.Base(dir), dir: dir, expect: strings.TrimSpace(expect), roots: parseRoots(t, roots)})
	}
	return cases
}

// render is a case's findings as want.txt holds them.
func render(t *testing.T, gc goldenCase) ([]byte, *schemacompat.Report) {
	t.Helper()
	old, err := schemacompat.Load(os.DirFS(filepath.Join(gc.dir, "old")), "old")
	if err != nil {
		t.Fatal(err)
	}
	cur, err := schemacompat.Load(os.DirFS(filepath.Join(gc.dir, "new")), "new")
	if err != nil {
		t.Fatal(err)
	}
	r := schemacompat.Compare(old, cur, gc.roots)
	var b bytes.Buffer
	if err := r.Write(&b, true); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(&b, r.Summary())
	return b.Bytes(), r
}

// TestGolden compares each case's findings with its want.txt (-update
// rewrites them), and its verdict with the one case.txt expects, which
// -update does not touch.
func TestGolden(t *testing.T) {
	cases := goldenCases(t)
	if len(cases) < 30 {
		t.Errorf("%d golden cases, want at least 30", len(cases))
	}
	for _, gc := range cases {
		t.Run(gc.name, func(t *testing.T) {
			got, r := render(t, gc)
			verdict := "none"
			switch {
			case len(r.Breaking()) > 0:
				verdict = "breaking"
			case len(r.Findings) > 0:
				verdict = "compatible"
			}
			if verdict != gc.expect {
				t.Errorf("verdict %s, case.txt expects %s:\n%s", verdict, gc.expect, got)
			}
			want := filepath.Join(gc.dir, "want.txt")
			if *update {
				if err := os.WriteFile(want, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			w, err := os.ReadFile(want)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, w) {
				t.Errorf("findings differ from want.txt (go test ./internal/schemacompat -update accepts them)\ngot:\n%s\nwant:\n%s", got, w)
			}
		})
	}
}
