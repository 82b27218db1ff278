package handlers_test

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/liveorders/liveorders/internal/testenv"
	"github.com/liveorders/liveorders/schema"
	"github.com/liveorders/liveorders/static"
)

// routeTable is what these tests read of schema/routes/routes.json, the
// one table of the server's routes.
type routeTable struct {
	Routes []struct {
		Method, Path, ID string
	}
	Unlisted []struct {
		Method, Path string
	}
}

func readRouteTable(t *testing.T) routeTable {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "schema", "routes", "routes.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rt routeTable
	if err := json.Unmarshal(data, &rt); err != nil {
		t.Fatal(err)
	}
	if len(rt.Routes) == 0 {
		t.Fatal("the route table lists no routes")
	}
	return rt
}

var (
	fiberParam = regexp.MustCompile(`:[A-Za-z]+`)
	oasParam   = regexp.MustCompile(`\{[^}]+\}`)
)

// registered lists the routes s registers, "GET /{}/{}" with parameters
// unnamed, leaving out HEAD, CONNECT and OPTIONS (which every route answers)
// and the web client's files (every file of static/, each at its name).
func registered(t *testing.T, s *testenv.Server) []string {
	t.Helper()
	var out []string
	for _, r := range s.HTTP.App().GetRoutes(true) {
		if r.Method == http.MethodHead || r.Method == http.MethodConnect || r.Method == http.MethodOptions {
			continue
		}
		if r.Path != "/" && isStaticFile(strings.TrimPrefix(r.Path, "/")) {
			continue
		}
		out = append(out, r.Method+" "+fiberParam.ReplaceAllString(r.Path, "{}"))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestRouteTable compares the route table with the routes the server
// registers, both ways: a route registered and not in the table, or in the
// table and not registered, fails. The web client's files are served
// without being listed, each at its name; an unlisted path of the table is
// served (GET answers 200).
func TestRouteTable(t *testing.T) {
	s := testenv.Start(t, testenv.Options{})
	rt := readRouteTable(t)
	var listed []string
	for _, r := range rt.Routes {
		if !strings.Contains(r.Path, "{file}") {
			listed = append(listed, r.Method+" "+oasParam.ReplaceAllString(r.Path, "{}"))
			continue
		}
		names, err := fs.Glob(schema.Files(), "*.schema.json")
		if err != nil || len(names) == 0 {
			t.Fatalf("no schema files: %v", err)
		}
		for _, n := range names {
			listed = append(listed, r.Method+" "+strings.Replace(r.Path, "{file}", n, 1))
		}
	}
	for _, u := range rt.Unlisted {
		listed = append(listed, u.Method+" "+u.Path)
	}
	reg := registered(t, s)
	for _, r := range reg {
		if !slices.Contains(listed, r) {
			t.Errorf("the server registers %s; schema/routes/routes.json does not list it", r)
		}
	}
	for _, r := range rt.Routes {
		if strings.Contains(r.Path, "{file}") {
			continue
		}
		if l := r.Method + " " + oasParam.ReplaceAllString(r.Path, "{}"); !slices.Contains(reg, l) {
			t.Errorf("schema/routes/routes.json lists %s (%s); the server does not register it", l, r.ID)
		}
	}
	for _, u := range rt.Unlisted {
		if resp, _ := s.Get(t, u.Path); resp.StatusCode != http.StatusOK {
			t.Errorf("schema/routes/routes.json lists %s %s as served; it answers %d", u.Method, u.Path, resp.StatusCode)
		}
	}

	t.Run("every file of the web client is served and unlisted", func(t *testing.T) {
		err := fs.WalkDir(static.Files, ".", func(name string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || filepath.Ext(name) == ".go" {
				return err
			}
			if resp, _ := s.Get(t, "/"+name); resp.StatusCode != http.StatusOK {
				t.Errorf("GET /%s: %d", name, resp.StatusCode)
			}
			for _, r := range rt.Routes {
				if r.Path == "/"+name {
					t.Errorf("the route table lists the web client's file /%s as an API route", name)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestOpenAPIRoutes checks that the document lists exactly the table's
// routes: every operation is a registered route, and nothing the table
// leaves unlisted (nor any file of the web client) is an operation.
func TestOpenAPIRoutes(t *testing.T) {
	s := testenv.Start(t, testenv.Options{})
	_, body := openapiValidator(t, s)
	var doc struct {
		Paths map[string]map[string]any
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	reg := registered(t, s)
	rt := readRouteTable(t)
	for p, ops := range doc.Paths {
		if strings.HasSuffix(p, "/") {
			t.Errorf("/openapi.json has the path %s, which ends in a slash", p)
		}
		for method := range ops {
			op := strings.ToUpper(method) + " " + oasParam.ReplaceAllString(p, "{}")
			if !slices.Contains(reg, op) {
				t.Errorf("/openapi.json documents %s; the server does not register it, or it is a file of the web client", op)
			}
			for _, u := range rt.Unlisted {
				if u.Method+" "+u.Path == op {
					t.Errorf("/openapi.json documents %s, which the route table leaves unlisted", op)
				}
			}
		}
	}
	// POST /orders/{id}, as clients write it.
	if _, ok := doc.Paths["/orders/{id}"]["post"]; !ok {
		t.Errorf("/openapi.json has no POST /orders/{id}")
	}
}
