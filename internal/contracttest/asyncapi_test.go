package contracttest_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/liveorders/liveorders/internal/testenv"
	"github.com/liveorders/liveorders/schema"
)

// served fetches path from s, failing the test unless it answers 200.
func served(t *testing.T, s *testenv.Server, path string) []byte {
	t.Helper()
	resp, body := s.Get(t, path)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	return body
}

// parseResult is what scripts/node/asyncapi-parse.mjs prints of a document.
type parseResult struct {
	Parsed      bool
	Diagnostics []struct {
		Severity int
		Code     string
		Message  string
		Path     []any
	}
	Servers    []struct{ ID, Host, Protocol string }
	Operations map[string]struct {
		Action   string
		Messages []string
		Reply    []string
	}
	Messages map[string]struct {
		SchemaFormat  string
		CorrelationID string `json:"correlationId"`
	}
}

func parseAsyncAPI(t *testing.T, tl tools, files ...string) (map[string]parseResult, error) {
	t.Helper()
	out, stderr, err := tl.script(t, "asyncapi-parse.mjs", files...)
	var res map[string]parseResult
	if jerr := json.Unmarshal(out, &res); jerr != nil {
		t.Fatalf("asyncapi-parse.mjs printed %q (%v): %s", out, jerr, stderr)
	}
	return res, err
}

// TestAsyncAPIParser runs the official AsyncAPI parser on the documents the
// server serves, JSON and YAML, and checks what it reads: no error, no
// warning, the serving host, every reply and correlation id, the payloads'
// schema format (AsyncAPI's default).
func TestAsyncAPIParser(t *testing.T) {
	tl := needTools(t)
	s := testenv.Start(t, testenv.Options{})
	dir := t.TempDir()
	jsonFile, yamlFile := filepath.Join(dir, "asyncapi.json"), filepath.Join(dir, "asyncapi.yaml")
	doc := served(t, s, "/asyncapi.json")
	writeFile(t, jsonFile, doc)
	writeFile(t, yamlFile, served(t, s, "/asyncapi.yaml"))

	res, err := parseAsyncAPI(t, tl, jsonFile, yamlFile)
	if err != nil {
		t.Errorf("the parser refused a document: %v", err)
	}
	for _, file := range []string{jsonFile, yamlFile} {
		r := res[file]
		name := filepath.Base(file)
		if !r.Parsed {
			t.Errorf("%s: not parsed", name)
		}
		for _, d := range r.Diagnostics {
			// The one diagnostic allowed: the information that 3.1.0
			// exists. The document is 3.0.0 on purpose, the latest
			// version model generators (Modelina) read.
			if d.Code == "asyncapi-latest-version" && d.Severity == 2 {
				continue
			}
			t.Errorf("%s: diagnostic %d %s at %v: %s", name, d.Severity, d.Code, d.Path, d.Message)
		}
		if len(r.Servers) != 1 || r.Servers[0].Host != s.Addr || r.Servers[0].Protocol != "ws" {
			t.Errorf("%s: servers %+v, want the serving host %s over ws", name, r.Servers, s.Addr)
		}
		for op, want := range map[string][]string{
			"receiveUpdateCategory": {"Snapshot", "Error"},
			"receivePlaceOrder":     {"Placed", "Error"},
			"sendPing":              {"Pong"},
		} {
			if got := r.Operations[op].Reply; !slices.Equal(got, want) {
				t.Errorf("%s: %s replies with %v, want %v", name, op, got, want)
			}
		}
		// Payloads are AsyncAPI schemas (AsyncAPI 3.0.0's default format),
		// which model generators read, required and all.
		for msg, m := range r.Messages {
			if m.SchemaFormat != "application/vnd.aai.asyncapi;version=3.0.0" {
				t.Errorf("%s: message %s has schema format %q", name, msg, m.SchemaFormat)
			}
		}
		for _, msg := range []string{"UpdateCategory", "PlaceOrder", "Pong", "Snapshot", "Placed", "Error"} {
			if got := r.Messages[msg].CorrelationID; got != "$message.payload#/ref" {
				t.Errorf("%s: message %s has correlation id %q, want $message.payload#/ref", name, msg, got)
			}
		}
		if got := r.Messages["Order"].CorrelationID; got != "" {
			t.Errorf("%s: Order, which answers nothing, has correlation id %q", name, got)
		}
	}

	t.Run("a broken document fails", func(t *testing.T) {
		broken := bytes.Replace(doc, []byte(`"action": "receive"`), []byte(`"action": "publish"`), 1)
		file := filepath.Join(t.TempDir(), "broken.json")
		writeFile(t, file, broken)
		res, err := parseAsyncAPI(t, tl, file)
		if err == nil || len(res[file].Diagnostics) == 0 {
			t.Errorf("the parser accepted an operation with action publish: %+v", res[file])
		}
	})
}

// branchResult is one line of scripts/node/draft07-branches.mjs.
type branchResult struct {
	Validator, Union, Message, Payload, Example string
	Matches                                     []string
	UnionValid                                  bool `json:"union_valid"`
}

func draft07Branches(t *testing.T, tl tools, args ...string) []branchResult {
	t.Helper()
	out, stderr, err := tl.script(t, "draft07-branches.mjs", args...)
	if err != nil {
		t.Fatalf("draft07-branches.mjs: %v\n%s", err, stderr)
	}
	var res []branchResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("draft07-branches.mjs printed %q: %v", out, err)
	}
	return res
}

// TestDraft07ReadsOneBranch checks, with two draft-07 validators (Ajv, and
// @cfworker/json-schema, which ignores keywords beside a $ref as draft-07
// says), that every example of every message of the served AsyncAPI
// document matches exactly one branch of Message (or Command), its own:
// AsyncAPI tools read payloads as draft-07 unless told otherwise.
func TestDraft07ReadsOneBranch(t *testing.T) {
	tl := needTools(t)
	s := testenv.Start(t, testenv.Options{})
	file := filepath.Join(t.TempDir(), "asyncapi.json")
	writeFile(t, file, served(t, s, "/asyncapi.json"))
	res := draft07Branches(t, tl, file, "Message", "Command")
	if len(res) < 2*9 {
		t.Fatalf("%d checks, want every example of the 9 messages of Message and Command, by both validators", len(res))
	}
	for _, r := range res {
		if !slices.Equal(r.Matches, []string{r.Payload}) || !r.UnionValid {
			t.Errorf("%s: %s example %s matches %v of %s (union valid: %v), want exactly %s",
				r.Validator, r.Message, r.Example, r.Matches, r.Union, r.UnionValid, r.Payload)
		}
	}

	t.Run("the schema files as written are ambiguous to draft-07", func(t *testing.T) {
		// The definitions straight from schema/, where each discriminator's
		// const sits beside its $ref: a draft-07 reader loses it.
		dir, err := filepath.Abs(filepath.Join(root, "schema"))
		if err != nil {
			t.Fatal(err)
		}
		ambiguous := 0
		for _, r := range draft07Branches(t, tl, "--schema-files", dir, file, "Message", "Command") {
			if r.Validator == "cfworker" && len(r.Matches) > 1 {
				ambiguous++
			}
		}
		if ambiguous == 0 {
			t.Error("no example matched two branches: the check cannot tell a const beside a $ref from a written-out one")
		}
	})
}

// TestNothingBesideARef walks the schemas both documents republish: no
// keyword may sit beside a $ref, since draft-07 readers ignore it. The
// schema files themselves have such keywords (a discriminator's const), so
// the walk also shows it finds them.
func TestNothingBesideARef(t *testing.T) {
	s := testenv.Start(t, testenv.Options{})
	for _, path := range []string{"/asyncapi.json", "/openapi.json"} {
		var doc struct {
			Components struct{ Schemas map[string]any }
		}
		if err := json.Unmarshal(served(t, s, path), &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Components.Schemas) == 0 {
			t.Fatalf("%s has no components.schemas", path)
		}
		for _, where := range besideRef(doc.Components.Schemas, "#/components/schemas") {
			t.Errorf("%s: a keyword beside a $ref at %s", path, where)
		}
	}
	var found []string
	for _, name := range []string{"commands.schema.json", "messages.schema.json"} {
		b, err := fs.ReadFile(schema.Files(), name)
		if err != nil {
			t.Fatal(err)
		}
		var f map[string]any
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatal(err)
		}
		found = append(found, besideRef(f, name+"#")...)
	}
	if len(found) == 0 {
		t.Error("the walk found no keyword beside a $ref in the schema files, which have some")
	}
}

// besideRef lists the JSON pointers of objects under v that hold a $ref
// and another keyword. Values of examples, const and enum are data, not
// schemas, and are not walked.
func besideRef(v any, at string) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["$ref"]; ok && len(x) > 1 {
			out = append(out, at)
		}
		for k, e := range x {
			if k == "examples" || k == "const" || k == "enum" || k == "default" {
				continue
			}
			out = append(out, besideRef(e, at+"/"+k)...)
		}
	case []any:
		for i, e := range x {
			out = append(out, besideRef(e, at+"/"+strconv.Itoa(i))...)
		}
	}
	return out
}
