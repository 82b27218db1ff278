package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRouteTableFaults: a route table that breaks its schema or itself is
// refused, each fault named by its JSON pointer in the table.
func TestRouteTableFaults(t *testing.T) {
	real, err := os.ReadFile(filepath.Join("..", "..", "schema", "routes", "routes.json"))
	if err != nil {
		t.Fatal(err)
	}
	schemaPath, err := filepath.Abs(filepath.Join("..", "..", "schema", "routes", routesSchema))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, old, new string
		want           []string
	}{
		{"unknown member", `"tag": "catalogue",`, `"tag": "catalogue", "tags": ["x"],`, []string{"routes.json#/routes/0: ", "tags"}},
		{"no note", `"note": "The category's products; an unknown category is 404."`, `"etag": false`, []string{"routes.json#/routes/0: ", "note"}},
		{"not a status", `"404": ["unknown_category", "not_found"]`, `"499": ["unknown_category"]`, []string{"routes.json#/routes/0/problems/499: 499 is not an HTTP status"}},
		{"unknown parameter", `"path": "/{category}/{id}"`, `"path": "/{category}/{sku}"`, []string{"routes.json#/routes/2/path: the parameter {sku} is not in params"}},
		{"same route twice", `"path": "/{category}/{id}"`, `"path": "/{category}"`, []string{"routes.json#/routes/2: GET /{category} is the same route as /routes/0"}},
		{"unknown header", `"headers": ["Idempotency-Key"]`, `"headers": ["Idempotency-Token"]`, []string{"routes.json#/routes/3/headers/0: the header Idempotency-Token is not in headers"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(string(real), tc.old) {
				t.Fatalf("schema/routes/routes.json lacks %q", tc.old)
			}
			dir := t.TempDir()
			table := strings.Replace(string(real), tc.old, tc.new, 1)
			table = strings.Replace(table, `"$schema": "./routes.schema.json"`, `"$schema": "`+filepath.ToSlash(mustRel(t, dir, schemaPath))+`"`, 1)
			p := filepath.Join(dir, "routes.json")
			if err := os.WriteFile(p, []byte(table), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := loadProtocol(p)
			if err == nil {
				t.Fatal("loaded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}

	t.Run("the real table loads", func(t *testing.T) {
		p, err := loadProtocol(filepath.Join("..", "..", "schema", "routes", "routes.json"))
		if err != nil {
			t.Fatal(err)
		}
		if p.Param != "category" || p.ParamDef != "Category" || len(p.Routes) == 0 || len(p.Unlisted) == 0 {
			t.Errorf("loaded %+v", p)
		}
	})
}

func mustRel(t *testing.T, from, to string) string {
	t.Helper()
	r, err := filepath.Rel(from, to)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
