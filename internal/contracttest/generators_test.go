package contracttest_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/liveorders/liveorders/internal/testenv"
)

// modelina runs scripts/node/modelina.mjs on the AsyncAPI document at file.
func modelina(t *testing.T, tl tools, file string) map[string]string {
	t.Helper()
	out, stderr, err := tl.script(t, "modelina.mjs", file)
	if err != nil {
		t.Fatalf("modelina.mjs: %v\n%s", err, stderr)
	}
	var models map[string]string
	if err := json.Unmarshal(out, &models); err != nil {
		t.Fatalf("modelina.mjs printed %.400s: %v", out, err)
	}
	return models
}

// narrowing uses Modelina's models as an application would: the union is
// told apart by type, and each branch has its own required fields.
const narrowing = `
export function describe(m: Orders): string {
  switch (m.type) {
    case "snapshot": return m.category + " " + m.items.length;
    case "placed": return m.id + " " + m.total;
    case "error": return m.code + ": " + m.message;
    default: return m.type;
  }
}
`

// TestModelina generates TypeScript models from the served /asyncapi.json
// with Modelina: a named model for each message, the union of the server's
// messages as a union of them, required fields required, no model named
// Error (a global), no any; and the models compile under tsc --strict
// with the union narrowed by type. The check finds the fields made
// optional when a payload is wrapped in a schemaFormat, as it once was.
func TestModelina(t *testing.T) {
	tl := needTools(t)
	s := testenv.Start(t, testenv.Options{})
	doc := served(t, s, "/asyncapi.json")
	file := filepath.Join(t.TempDir(), "asyncapi.json")
	writeFile(t, file, doc)
	models := modelina(t, tl, file)

	const union = "type Orders = Welcome | Snapshot | Order | Placed | ErrorMessage | Authenticated | Ping | LiveStatus;"
	if got := models["Orders"]; got != union {
		t.Errorf("the message union is %q, want %q", got, union)
	}
	for _, name := range []string{"Welcome", "Snapshot", "Order", "Placed", "ErrorMessage", "Authenticated", "Ping", "LiveStatus", "UpdateCategory", "PlaceOrder", "Pong", "Auth"} {
		if !strings.HasPrefix(models[name], "interface "+name+" {") {
			t.Errorf("no interface %s: %q", name, models[name])
		}
	}
	for name, code := range models {
		if name == "Error" || regexp.MustCompile(`\bany\b`).MatchString(strings.ReplaceAll(code, "Record<string, any>", "")) {
			t.Errorf("model %s: %s", name, code)
		}
	}
	required := `'category': string;`
	if !strings.Contains(models["Snapshot"], required) {
		t.Errorf("Snapshot lacks the required %s:\n%s", required, models["Snapshot"])
	}

	t.Run("compiles and narrows", func(t *testing.T) {
		dir := t.TempDir()
		var src strings.Builder
		names := make([]string, 0, len(models))
		for name := range models {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			src.WriteString("export " + models[name] + "\n")
		}
		src.WriteString(narrowing)
		writeFile(t, filepath.Join(dir, "models.ts"), []byte(src.String()))
		tsc := filepath.Join(tl.modules, "typescript", "bin", "tsc")
		out, stderr, err := run(t, dir, nil, tl.node, tsc, "--strict", "--noEmit", "--target", "es2022", "--lib", "es2022", "models.ts")
		if err != nil {
			t.Errorf("tsc: %v\n%s%s", err, out, stderr)
		}
	})

	t.Run("a wrapped payload loses required", func(t *testing.T) {
		wrapped := editDoc(t, doc, func(d map[string]any) {
			for _, m := range d["components"].(map[string]any)["messages"].(map[string]any) {
				msg := m.(map[string]any)
				msg["payload"] = map[string]any{"schemaFormat": "application/vnd.aai.asyncapi+json;version=3.0.0", "schema": msg["payload"]}
			}
		})
		if got := modelina(t, tl, wrapped)["Snapshot"]; strings.Contains(got, required) {
			t.Errorf("the check cannot tell: Snapshot from wrapped payloads still has %s:\n%s", required, got)
		}
	})
}

// openapiClient is a program written as openapi-fetch's documentation
// shows, with the order route as docs and clients write it.
const openapiClient = `import createClient from "openapi-fetch";
import type { paths } from "./api.js";

const client = createClient<paths>({ baseUrl: process.env.SERVER });
const { data, error } = await client.POST("/orders/{id}", {
  params: { path: { id: "A1" } },
  body: { amount: 2 },
});
if (error) throw new Error(error.code);
const categories = await client.GET("/categories");
console.log(JSON.stringify({ id: data.id, total: data.total, categories: categories.data?.length ?? 0 }));
`

// TestOpenAPITypeScript generates types from the served /openapi.json with
// openapi-typescript, compiles a client of them with openapi-fetch under
// tsc --strict, and runs it against the server: POST /orders/{id} as the
// docs write it places an order. The check finds the path the document
// once had instead, /orders/{idOrCategory}, refused by the compiler.
func TestOpenAPITypeScript(t *testing.T) {
	tl := needTools(t)
	s := testenv.Start(t, testenv.Options{})
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "openapi.json"), served(t, s, "/openapi.json"))
	writeFile(t, filepath.Join(dir, "package.json"), []byte(`{"type":"module"}`))
	tl.linkModules(t, dir)
	if out, stderr, err := run(t, dir, nil, tl.node, filepath.Join(tl.modules, "openapi-typescript", "bin", "cli.js"), "openapi.json", "-o", "api.d.ts"); err != nil {
		t.Fatalf("openapi-typescript: %v\n%s%s", err, out, stderr)
	}
	tsc := filepath.Join(tl.modules, "typescript", "bin", "tsc")
	compile := func(t *testing.T, source string) (string, error) {
		t.Helper()
		writeFile(t, filepath.Join(dir, "client.ts"), []byte(source))
		out, stderr, err := run(t, dir, nil, tl.node, tsc, "--strict", "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext",
			"--lib", "es2022,dom", "--types", "node", "--skipLibCheck", "false", "client.ts")
		return string(out) + string(stderr), err
	}
	if out, err := compile(t, openapiClient); err != nil {
		t.Fatalf("tsc: %v\n%s", err, out)
	}
	out, stderr, err := run(t, dir, []string{"SERVER=" + s.URL}, tl.node, "client.js")
	if err != nil {
		t.Fatalf("node client.js: %v\n%s%s", err, out, stderr)
	}
	var got struct {
		ID                string
		Total, Categories int
	}
	if err := json.Unmarshal(out, &got); err != nil || got.ID != "A1" || got.Total < 2 || got.Categories == 0 {
		t.Errorf("the client printed %s (%v)", out, err)
	}

	t.Run("the old path does not compile", func(t *testing.T) {
		old := strings.Replace(openapiClient, `"/orders/{id}"`, `"/orders/{idOrCategory}"`, 1)
		out, err := compile(t, old)
		if err == nil || !strings.Contains(out, "/orders/{idOrCategory}") {
			t.Errorf("tsc accepted /orders/{idOrCategory} or failed otherwise (%v):\n%s", err, out)
		}
		if err := os.Remove(filepath.Join(dir, "client.js")); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	})
}

// jsonSchemaToTS compiles the schema file name from dir with
// json-schema-to-typescript, as its documentation shows.
const jsonSchemaToTS = `import { compileFromFile } from "json-schema-to-typescript";
console.log(await compileFromFile(process.argv[2], { cwd: process.argv[3], unreachableDefinitions: true, bannerComment: "" }));
`

// TestJSONSchemaToTypeScript compiles each schema file with
// json-schema-to-typescript: the types compile under tsc --strict, the
// union Message lists its members by name, and no interface is called
// Error (the global): the error message's definition has the title
// ErrorMessage. The check finds an Error when the title is taken away.
func TestJSONSchemaToTypeScript(t *testing.T) {
	tl := needTools(t)
	schemas, err := filepath.Abs(filepath.Join(root, "schema"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tl.linkModules(t, dir)
	writeFile(t, filepath.Join(dir, "j2ts.mjs"), []byte(jsonSchemaToTS))
	compile := func(t *testing.T, schemaDir, name string) string {
		t.Helper()
		out, stderr, err := run(t, dir, nil, tl.node, "j2ts.mjs", filepath.Join(schemaDir, name), schemaDir)
		if err != nil {
			t.Fatalf("json-schema-to-typescript %s: %v\n%s", name, err, stderr)
		}
		return string(out)
	}
	globalError := regexp.MustCompile(`(?m)^export (interface|type) Error\b`)
	names, err := filepath.Glob(filepath.Join(schemas, "*.schema.json"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no schema files: %v", err)
	}
	for _, path := range names {
		name := filepath.Base(path)
		ts := compile(t, schemas, name)
		if m := globalError.FindString(ts); m != "" {
			t.Errorf("%s: %s", name, m)
		}
		if name == "messages.schema.json" && !strings.Contains(ts, "export type Message = Welcome | Snapshot | Order | Placed | ErrorMessage | Authenticated | Ping | LiveStatus;") {
			t.Errorf("%s: no union Message of the named messages:\n%.2000s", name, ts)
		}
		file := filepath.Join(dir, strings.TrimSuffix(name, ".schema.json")+".ts")
		writeFile(t, file, []byte(ts))
		tsc := filepath.Join(tl.modules, "typescript", "bin", "tsc")
		if out, stderr, err := run(t, dir, nil, tl.node, tsc, "--strict", "--noEmit", "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext", file); err != nil {
			t.Errorf("tsc %s: %v\n%s%s", name, err, out, stderr)
		}
	}

	t.Run("without the title, Error", func(t *testing.T) {
		other := filepath.Join(t.TempDir(), "schema")
		if err := os.CopyFS(other, os.DirFS(schemas)); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(other, "messages.schema.json")
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		untitled := strings.Replace(string(b), `"title": "ErrorMessage",`, "", 1)
		if untitled == string(b) {
			t.Fatal(`messages.schema.json has no "title": "ErrorMessage"`)
		}
		writeFile(t, p, []byte(untitled))
		if !globalError.MatchString(compile(t, other, "messages.schema.json")) {
			t.Error("json-schema-to-typescript made no Error without the title: the check cannot tell")
		}
	})
}
