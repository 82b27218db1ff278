package schemacompat_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/liveorders/liveorders/internal/schemacompat"
)

func mustLocation(t *testing.T, s string) schemacompat.Location {
	t.Helper()
	l, err := schemacompat.ParseLocation(s)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestDirectionsOfTheRepository derives the directions of the repository's
// definitions from the two socket unions and two HTTP bodies: shared
// definitions travel both ways, and one a root does not reach has none.
func TestDirectionsOfTheRepository(t *testing.T) {
	c, err := schemacompat.Load(os.DirFS(filepath.Join("..", "..", "schema")), "schema")
	if err != nil {
		t.Fatal(err)
	}
	roots := []schemacompat.Root{
		{Def: mustLocation(t, "commands.schema.json#/$defs/Command"), Dir: schemacompat.ClientToServer},
		{Def: mustLocation(t, "messages.schema.json#/$defs/Message"), Dir: schemacompat.ServerToClient},
		{Def: mustLocation(t, "catalogue.schema.json#/$defs/NewProduct"), Dir: schemacompat.ClientToServer},
		{Def: mustLocation(t, "catalogue.schema.json#/$defs/Product"), Dir: schemacompat.ServerToClient},
	}
	dirs := schemacompat.Directions(c, roots)
	for def, want := range map[string]schemacompat.Direction{
		"commands.schema.json#/$defs/PlaceOrderPayload": schemacompat.ClientToServer,
		"commands.schema.json#/$defs/CommandName":       schemacompat.ClientToServer,
		"catalogue.schema.json#/$defs/Amount":           schemacompat.ClientToServer,
		"catalogue.schema.json#/$defs/NewProduct":       schemacompat.ClientToServer,
		"messages.schema.json#/$defs/ErrorCode":         schemacompat.ServerToClient,
		"messages.schema.json#/$defs/Snapshot":          schemacompat.ServerToClient,
		"catalogue.schema.json#/$defs/Product":          schemacompat.ServerToClient,
		"catalogue.schema.json#/$defs/Category":         schemacompat.Both, // UpdateCategoryPayload and Snapshot
		"catalogue.schema.json#/$defs/ProductID":        schemacompat.Both, // PlaceOrderPayload and Order
		"catalogue.schema.json#/$defs/Price":            schemacompat.Both, // NewProduct and Product
		"commands.schema.json#/$defs/Ref":               schemacompat.Both, // commands and their answers
		"catalogue.schema.json#/$defs/Problem":          0,                 // no root here
		"messages.schema.json#/$defs/CloseCode":         0,
	} {
		if got := dirs[mustLocation(t, def)]; got != want {
			t.Errorf("%s: direction %s, want %s", def, got, want)
		}
	}
	unreached := schemacompat.Unreached(c, roots)
	var names []string
	for _, err := range unreached {
		names = append(names, strings.SplitN(err.Error(), ":", 2)[0])
	}
	for _, want := range []string{"catalogue.schema.json#/$defs/Problem", "messages.schema.json#/$defs/CloseCode", "catalogue.schema.json#/$defs/CatalogueFile"} {
		if !strings.Contains(strings.Join(names, " "), want) {
			t.Errorf("Unreached = %v, want it to name %s", names, want)
		}
	}
}

func TestOpen(t *testing.T) {
	for desc, want := range map[string]bool{
		"A message type. Open enumeration: new types may be added.": true,
		"Open enumeration: clients accept values they do not know.": true,
		"A tag.":                       false,
		"An open enumeration of tags.": false, // the marker is a sentence of its own
		"A tag; see Open enumeration: rules elsewhere.": false,
		"Codes. open enumeration: lower case.":          false,
	} {
		if got := schemacompat.Open(desc); got != want {
			t.Errorf("Open(%q) = %v, want %v", desc, got, want)
		}
	}
}

func schemaFile(id string) *fstest.MapFile {
	return &fstest.MapFile{Data: []byte(`{"$id": "` + id + `", "$defs": {}}`)}
}

func TestVersion(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files fstest.MapFS
		want  int
		err   string
	}{
		{"one version", fstest.MapFS{"a.schema.json": schemaFile("/schemas/v3/a.schema.json"), "b.schema.json": schemaFile("/schemas/v3/b.schema.json")}, 3, ""},
		{"two versions", fstest.MapFS{"a.schema.json": schemaFile("/schemas/v1/a.schema.json"), "b.schema.json": schemaFile("/schemas/v2/b.schema.json")}, 0, "bump every file together"},
		{"no version", fstest.MapFS{"a.schema.json": schemaFile("/schemas/a.schema.json")}, 0, "names no version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := schemacompat.Load(tc.files, "x")
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Version()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Version() = %d, %v; want an error containing %q", got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Version() = %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

func TestLoadRefusesBadFiles(t *testing.T) {
	for name, files := range map[string]fstest.MapFS{
		"none":        {},
		"not JSON":    {"a.schema.json": {Data: []byte(`{"$defs": `)}},
		"not object":  {"a.schema.json": {Data: []byte(`[]`)}},
		"trailing":    {"a.schema.json": {Data: []byte(`{} {}`)}},
		"only others": {"a.json": {Data: []byte(`{}`)}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := schemacompat.Load(files, "x"); err == nil {
				t.Fatal("Load succeeded")
			}
		})
	}
}

// TestReleases orders release directories by number, not by name, and
// ignores anything else in the directory.
func TestReleases(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"v10", "v2", "v1", "draft", "v0"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "README.md"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	rs, err := schemacompat.Releases(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, r := range rs {
		got = append(got, r.Version)
	}
	if len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 10 {
		t.Errorf("versions %v, want [1 2 10]", got)
	}
	if rs, err := schemacompat.Releases(filepath.Join(dir, "missing")); err != nil || len(rs) != 0 {
		t.Errorf("missing directory: %v, %v; want none and no error", rs, err)
	}
}

// TestReleaseLoadChecksVersion: a release directory holds the schemas of
// its own version only.
func TestReleaseLoadChecksVersion(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "v2")
	if err := schemacompat.Write(dir, map[string][]byte{"a.schema.json": []byte(`{"$id": "/schemas/v1/a.schema.json", "$defs": {}}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := (schemacompat.Release{Version: 2, Dir: dir}).Load(); err == nil || !strings.Contains(err.Error(), "holds v1 schemas") {
		t.Fatalf("Load = %v, want a version mismatch", err)
	}
}

// TestWriteReplacesTheDirectory: stale files go, unchanged ones stay.
func TestWriteReplacesTheDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := schemacompat.Write(dir, map[string][]byte{"a": []byte("1"), "b": []byte("2")}); err != nil {
		t.Fatal(err)
	}
	if err := schemacompat.Write(dir, map[string][]byte{"a": []byte("1"), "c": []byte("3")}); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "a,c" {
		t.Errorf("files %v, want [a c]", names)
	}
}

func TestParseLocation(t *testing.T) {
	for _, bad := range []string{"", "commands.schema.json", "#/$defs/X", "commands.schema.json#$defs"} {
		if _, err := schemacompat.ParseLocation(bad); err == nil {
			t.Errorf("ParseLocation(%q) succeeded", bad)
		}
	}
	l := mustLocation(t, "a.schema.json#/$defs/X/properties/y~1z")
	if d, ok := l.Def(); !ok || d.String() != "a.schema.json#/$defs/X" {
		t.Errorf("Def() = %v, %v", d, ok)
	}
	if l.Name() != "y/z" {
		t.Errorf("Name() = %q, want y/z", l.Name())
	}
}
