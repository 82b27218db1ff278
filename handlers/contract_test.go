package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io/fs"
	"net/http"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/liveorders/liveorders/internal/testenv"
	"github.com/liveorders/liveorders/schema"
	"github.com/liveorders/liveorders/static"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

func schemaNames(t *testing.T) []string {
	t.Helper()
	names, err := fs.Glob(schema.Files(), "*.schema.json")
	if err != nil || len(names) == 0 {
		t.Fatalf("no schema files: %v", err)
	}
	return names
}

func TestSchemasServed(t *testing.T) {
	s := testenv.Start(t, testenv.Options{})
	for _, name := range schemaNames(t) {
		t.Run(name, func(t *testing.T) {
			want, err := fs.ReadFile(schema.Files(), name)
			if err != nil {
				t.Fatal(err)
			}
			url := schema.Base + name
			// Any origin may read the contract, even one the API refuses.
			resp, body := s.Do(t, http.MethodGet, url, "", http.Header{"Origin": {"https://tools.example"}})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d", url, resp.StatusCode)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/schema+json" {
				t.Errorf("Content-Type = %q, want application/schema+json", ct)
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" {
				t.Errorf("Access-Control-Allow-Origin = %q", got)
			}
			// The file as in schema/, without its $id (its base is the
			// URL it was fetched from), and nothing else changed.
			var served, file map[string]any
			if err := json.Unmarshal(body, &served); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(want, &file); err != nil {
				t.Fatal(err)
			}
			if id, ok := served["$id"]; ok {
				t.Errorf("served with $id %v; want none", id)
			}
			if file["$id"] != url {
				t.Errorf("schema/%s: $id = %v, want %s", name, file["$id"], url)
			}
			delete(file, "$id")
			if !reflect.DeepEqual(served, file) {
				t.Errorf("served body differs from schema/%s beyond its $id", name)
			}
			// Byte for byte but for the $id line.
			idLine := []byte("\n  \"$id\": \"" + url + "\",")
			if !bytes.Equal(body, bytes.Replace(want, idLine, nil, 1)) {
				t.Errorf("served body is not schema/%s without its $id line", name)
			}
			etag := resp.Header.Get("ETag")
			if etag == "" {
				t.Fatal("no ETag")
			}
			again, _ := s.Do(t, http.MethodGet, url, "", http.Header{"If-None-Match": {etag}})
			if again.StatusCode != http.StatusNotModified {
				t.Errorf("If-None-Match: %d, want 304", again.StatusCode)
			}
		})
	}

	t.Run("preflight", func(t *testing.T) {
		resp, _ := s.Do(t, http.MethodOptions, schema.Base+"messages.schema.json", "", http.Header{
			"Origin": {"http://localhost:5173"}, "Access-Control-Request-Method": {"GET"},
		})
		if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("preflight: %d, Access-Control-Allow-Origin %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
		}
	})

	t.Run("listing", func(t *testing.T) {
		resp, body := s.Get(t, schema.Base)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", schema.Base, resp.StatusCode)
		}
		var list []struct {
			ID          string `json:"$id"`
			Name, Title string
		}
		if err := json.Unmarshal(body, &list); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range list {
			got = append(got, e.Name)
			if e.ID != schema.Base+e.Name || e.Title == "" {
				t.Errorf("entry %+v", e)
			}
		}
		if want := schemaNames(t); !slices.Equal(got, want) {
			t.Errorf("listed %v, want %v", got, want)
		}
	})

	t.Run("unknown file", func(t *testing.T) {
		resp, _ := s.Get(t, schema.Base+"nope.schema.json")
		if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("GET unknown schema: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	})
}

// httpLoader loads schemas with HTTP GETs only, and records what it fetched.
type httpLoader struct {
	mu      sync.Mutex
	fetched []string
}

func (l *httpLoader) Load(url string) (any, error) {
	l.mu.Lock()
	l.fetched = append(l.fetched, url)
	l.mu.Unlock()
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/schema+json" {
		return nil, fmt.Errorf("GET %s: Content-Type %q", url, ct)
	}
	return jsonschema.UnmarshalJSON(resp.Body)
}

// TestSchemasResolveOverHTTP compiles the published schemas from the served
// URLs alone: the references between files must resolve against the server.
func TestSchemasResolveOverHTTP(t *testing.T) {
	s := testenv.Start(t, testenv.Options{})
	loader := &httpLoader{}
	c := jsonschema.NewCompiler()
	c.UseLoader(jsonschema.SchemeURLLoader{"http": loader})
	c.AssertFormat()

	cases := []struct {
		def     string // file#/$defs/Name
		valid   []string
		invalid []string
	}{
		{"messages.schema.json#/$defs/Snapshot",
			[]string{`{"type":"snapshot","category":"electronics","seq":1,"items":[{"id":"A1","total":3}],"ref":"1"}`},
			[]string{`{"type":"snapshot","category":"Toys!","seq":1,"items":[]}`, `{"type":"snapshot","category":"a","seq":1,"items":[{"id":"a1","total":3}]}`}},
		{"commands.schema.json#/$defs/PlaceOrder",
			[]string{`{"cmd":"place-order","payload":{"id":"A1","amount":2},"ref":"7"}`},
			[]string{`{"cmd":"place-order","payload":{"id":"A1","amount":0}}`, `{"cmd":"place-order","payload":{"id":"A1","amount":2},"extra":1}`}},
		{"commands.schema.json#/$defs/Command",
			[]string{`{"cmd":"pong"}`, `{"cmd":"update-category","payload":{"category":"confectionery"}}`},
			[]string{`{"cmd":"dance"}`, `{"cmd":"update-category","payload":{"category":""}}`}},
		{"catalogue.schema.json#/$defs/Problem",
			[]string{`{"type":"/docs#error-not_found","title":"Not Found","status":404,"code":"not_found"}`},
			[]string{`{"type":"x","title":"x","status":404,"code":"nope"}`}},
		{"operations.schema.json#/$defs/MockSim",
			[]string{`{"interval":"1.5s","paused":false}`},
			[]string{`{"interval":"soon","paused":false}`, `{"interval":"1s"}`}},
		{"scenario.schema.json#/$defs/Scenario",
			[]string{`{"name":"n","seed":1,"steps":[{"do":"burst","at":"0","orders":5,"category":"electronics"}]}`},
			[]string{`{"name":"n","seed":1,"steps":[{"do":"burst","at":"0","orders":5,"category":"Toys!"}]}`, `{"name":"n","seed":1,"steps":[]}`}},
	}
	for _, tc := range cases {
		t.Run(tc.def, func(t *testing.T) {
			sch, err := c.Compile(s.URL + schema.Base + tc.def)
			if err != nil {
				t.Fatalf("compile from %s: %v", s.URL, err)
			}
			for _, v := range tc.valid {
				if err := sch.Validate(mustJSON(t, v)); err != nil {
					t.Errorf("%s: %v", v, err)
				}
			}
			for _, v := range tc.invalid {
				if err := sch.Validate(mustJSON(t, v)); err == nil {
					t.Errorf("%s: valid, want invalid", v)
				}
			}
		})
	}
	var want []string
	for _, name := range schemaNames(t) {
		want = append(want, s.URL+schema.Base+name)
	}
	slices.Sort(loader.fetched)
	if !slices.Equal(loader.fetched, want) {
		t.Errorf("fetched %v, want every file once: %v", loader.fetched, want)
	}
}

func mustJSON(t *testing.T, s string) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// schemaExamples returns every value listed under "examples" anywhere in
// the schema files.
func schemaExamples(t *testing.T) []any {
	t.Helper()
	var out []any
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if list, ok := e.([]any); ok && k == "examples" {
					out = append(out, list...)
					continue
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	for _, name := range schemaNames(t) {
		b, err := fs.ReadFile(schema.Files(), name)
		if err != nil {
			t.Fatal(err)
		}
		walk(mustJSON(t, string(b)))
	}
	if len(out) == 0 {
		t.Fatal("no examples in the schemas")
	}
	return out
}

var exampleBlock = regexp.MustCompile(`(?s)<pre class="example">(.*?)</pre>`)

// TestExamplesPublished checks that every example of the schemas is shown on
// /docs and appears in the AsyncAPI document.
func TestExamplesPublished(t *testing.T) {
	s := testenv.Start(t, testenv.Options{})
	_, page := s.Get(t, "/docs")
	var shown []any
	for _, m := range exampleBlock.FindAllSubmatch(page, -1) {
		shown = append(shown, mustJSON(t, html.UnescapeString(string(m[1]))))
	}
	_, body := s.Get(t, "/asyncapi.json")
	var inDoc []any
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if list, ok := e.([]any); ok && k == "examples" {
					for _, ex := range list {
						inDoc = append(inDoc, ex)
						if m, ok := ex.(map[string]any); ok && m["payload"] != nil {
							inDoc = append(inDoc, m["payload"])
						}
					}
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(mustJSON(t, string(body)))
	has := func(list []any, v any) bool {
		return slices.ContainsFunc(list, func(e any) bool { return reflect.DeepEqual(e, v) })
	}
	for _, ex := range schemaExamples(t) {
		b, _ := json.Marshal(ex)
		if !has(shown, ex) {
			t.Errorf("/docs does not show the example %s", b)
		}
		if !has(inDoc, ex) {
			t.Errorf("/asyncapi.json lacks the example %s", b)
		}
	}
}

func TestDocsPage(t *testing.T) {
	s := testenv.Start(t, testenv.Options{})
	resp, page := s.Get(t, "/docs")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || resp.Header.Get("ETag") == "" {
		t.Fatalf("GET /docs: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	doc := string(page)
	for _, bad := range []string{"<link", `href="http`, `src="http`, `="//`, "url("} {
		if strings.Contains(doc, bad) {
			t.Errorf("/docs contains %q: it must load nothing from elsewhere", bad)
		}
	}
	// Its scripts are the Try it panel's and the scenario panel's, from
	// this server, and so is what they import.
	scripts := regexp.MustCompile(`<script[^>]*>`).FindAllString(doc, -1)
	if want := []string{`<script type="module" src="/docs/try.js">`, `<script type="module" src="/docs/scenario.js">`}; !slices.Equal(scripts, want) {
		t.Errorf("/docs loads the scripts %v, want %v", scripts, want)
	}
	for _, path := range []string{"/docs/try.js", "/docs/scenario.js", "/docs/validate.gen.js"} {
		resp, body := s.Get(t, path)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
			t.Errorf("GET %s: %d %q", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		for _, imp := range regexp.MustCompile(`(?m)^import .* from "([^"]+)"`).FindAllSubmatch(body, -1) {
			if !strings.HasPrefix(string(imp[1]), "./") {
				t.Errorf("%s imports %s, from elsewhere", path, imp[1])
			}
		}
	}

	t.Run("problem types link to anchors", func(t *testing.T) {
		_, body := s.Get(t, "/electronics/Z9")
		var p struct{ Type, Code string }
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatal(err)
		}
		anchor, ok := strings.CutPrefix(p.Type, "/docs#")
		if !ok || !strings.Contains(doc, `id="`+anchor+`"`) {
			t.Errorf("problem type %q has no anchor on /docs", p.Type)
		}
	})

	t.Run("every error and close code", func(t *testing.T) {
		b, _ := fs.ReadFile(schema.Files(), "messages.schema.json")
		var f struct {
			Defs map[string]struct {
				OneOf []struct{ Const any } `json:"oneOf"`
			} `json:"$defs"`
		}
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatal(err)
		}
		for def, prefix := range map[string]string{"ErrorCode": "error-", "CloseCode": "close-"} {
			if len(f.Defs[def].OneOf) == 0 {
				t.Fatalf("no values of %s", def)
			}
			for _, v := range f.Defs[def].OneOf {
				if id := fmt.Sprintf(`id="%s%v"`, prefix, v.Const); !strings.Contains(doc, id) {
					t.Errorf("/docs lacks %s", id)
				}
			}
		}
	})

	t.Run("seed-compatible mode", func(t *testing.T) {
		for _, want := range []string{`id="seed"`, "no subprotocol", "update-category"} {
			if !strings.Contains(doc, want) {
				t.Errorf("/docs lacks %q", want)
			}
		}
	})

	t.Run("every route", func(t *testing.T) {
		params := regexp.MustCompile(`:([a-z]+)`)
		for _, r := range s.HTTP.App().GetRoutes(true) {
			p := r.Path
			switch {
			case r.Method == http.MethodHead || r.Method == http.MethodConnect || r.Method == http.MethodOptions:
				continue
			case p != "/" && isStaticFile(strings.TrimPrefix(p, "/")):
				continue
			case strings.HasPrefix(p, schema.Base) && strings.HasSuffix(p, ".schema.json"):
				p = schema.Base + "{file}"
			}
			p = params.ReplaceAllString(p, "{$1}")
			if want := "<code>" + r.Method + " " + p + "</code>"; !strings.Contains(doc, want) {
				t.Errorf("/docs does not document %s %s (%s)", r.Method, r.Path, want)
			}
		}
	})
}

func isStaticFile(name string) bool {
	if path.Ext(name) == "" {
		return false
	}
	_, err := fs.Stat(static.Files, name)
	return err == nil
}
