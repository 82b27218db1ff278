package schemacompat_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/liveorders/liveorders/internal/schemacompat"
)

func readOpenAPI(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "openapi", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestOpenAPIRoots: parameters and request bodies travel client→server,
// response bodies and headers server→client; a component schema that is
// no definition is left to the OpenAPI comparison.
func TestOpenAPIRoots(t *testing.T) {
	c, err := schemacompat.Load(os.DirFS(filepath.Join("testdata", "openapi")), "openapi")
	if err != nil {
		t.Fatal(err)
	}
	roots, others, err := schemacompat.OpenAPIRoots(readOpenAPI(t, "released.json"), c)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range roots {
		got = append(got, r.String())
	}
	want := []string{
		"things.schema.json#/$defs/NewThing: client→server: body of POST /things",
		"things.schema.json#/$defs/Thing: server→client: answer 200 of GET /things",
		"things.schema.json#/$defs/Problem: server→client: answer 400 of POST /things",
		"things.schema.json#/$defs/ThingID: client→server: parameter id of GET /things/{id}",
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("roots lack %q; got:\n%s", w, strings.Join(got, "\n"))
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d roots, want %d (one per definition and direction):\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	if !slices.Equal(others, []string{"Etag"}) {
		t.Errorf("others = %v, want [Etag]", others)
	}
	if errs := schemacompat.Unreached(c, roots); len(errs) != 0 {
		t.Errorf("definitions without a direction: %v", errs)
	}
}

func TestOpenAPIRootsRefusesForeignRefs(t *testing.T) {
	c, err := schemacompat.Load(os.DirFS(filepath.Join("testdata", "openapi")), "openapi")
	if err != nil {
		t.Fatal(err)
	}
	doc := `{"openapi":"3.1.0","paths":{"/x":{"get":{"responses":{"200":{"content":{"application/json":{"schema":{"$ref":"other.json#/X"}}}}}}}}}`
	if _, _, err := schemacompat.OpenAPIRoots([]byte(doc), c); err == nil || !strings.Contains(err.Error(), "is not a component schema") {
		t.Fatalf("OpenAPIRoots = %v, want an error about the $ref", err)
	}
	if _, _, err := schemacompat.OpenAPIRoots([]byte(`[]`), c); err == nil {
		t.Fatal("OpenAPIRoots accepted a document that is not an object")
	}
}

// TestDiffOpenAPI runs oasdiff on two documents: a removed operation and a new
// required request property are breaking; a new optional query parameter
// is not reported.
func TestDiffOpenAPI(t *testing.T) {
	changes, err := schemacompat.DiffOpenAPI("released.json", readOpenAPI(t, "released.json"), "changed.json", readOpenAPI(t, "changed.json"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, c := range changes {
		lines = append(lines, c.String())
	}
	text := strings.Join(lines, "\n")
	for _, want := range []string{
		"released.json#/paths/~1things/get: HTTP GET /things: API removed without deprecation [api-removed-without-deprecation]: BREAKING",
		"changed.json#/paths/~1things/post: HTTP POST /things: added the new required request property `kind` [new-required-request-property]: BREAKING",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("changes lack %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "verbose") {
		t.Errorf("an optional query parameter is reported:\n%s", text)
	}

	same, err := schemacompat.DiffOpenAPI("released.json", readOpenAPI(t, "released.json"), "again.json", readOpenAPI(t, "released.json"))
	if err != nil || len(same) != 0 {
		t.Errorf("the same document: %v, %v; want no change", same, err)
	}
	if _, err := schemacompat.DiffOpenAPI("bad.json", []byte("{"), "changed.json", readOpenAPI(t, "changed.json")); err == nil {
		t.Error("DiffOpenAPI accepted a broken document")
	}
}
