package contracttest_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestDocsValidatorsAreCurrent is the drift check of the /docs page's
// validators: Ajv's standalone code, regenerated from schema/ by
// scripts/node/ajv-standalone.mjs, must equal the committed
// handlers/contract/validate.gen.js (make generate writes it).
func TestDocsValidatorsAreCurrent(t *testing.T) {
	tl := needTools(t)
	schemas, err := filepath.Abs(filepath.Join(root, "schema"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "validate.gen.js")
	if _, stderr, err := tl.script(t, "ajv-standalone.mjs", schemas, out); err != nil {
		t.Fatalf("ajv-standalone.mjs: %v\n%s", err, stderr)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(root, "handlers", "contract", "validate.gen.js"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("handlers/contract/validate.gen.js is not what the schemas give: run make generate")
	}
}
