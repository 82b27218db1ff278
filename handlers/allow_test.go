package handlers_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/liveorders/liveorders/internal/testenv"
)

var templateParam = regexp.MustCompile(`\{[^}]+\}`)

// TestMethodNotAllowed sends, to a concrete path of every path of the
// OpenAPI document, the methods no route takes there: each gets a 405
// problem method_not_allowed whose Allow lists what the document lists for
// that path (HEAD beside GET, and OPTIONS); OPTIONS gets 204 with the same
// Allow. A path no route takes stays 404.
func TestMethodNotAllowed(t *testing.T) {
	s := testenv.Start(t, testenv.Options{})
	_, body := s.Get(t, "/openapi.json")
	type operation struct {
		Parameters []struct {
			Name, In string
			Schema   struct {
				Ref string `json:"$ref"`
			}
		}
	}
	var doc struct {
		Paths map[string]map[string]operation
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	concrete := func(template string) string {
		return templateParam.ReplaceAllStringFunc(template, func(p string) string {
			if strings.Contains(strings.ToLower(p), "category") {
				return "electronics"
			}
			return "A1"
		})
	}
	// matches reports whether op at the document's template takes path,
	// where a parameter takes only what exists: the category electronics,
	// the product A1.
	matches := func(template string, op operation, path string) bool {
		ts, ps := strings.Split(template, "/"), strings.Split(path, "/")
		if len(ts) != len(ps) {
			return false
		}
		for i := range ts {
			if !templateParam.MatchString(ts[i]) {
				if ts[i] != ps[i] {
					return false
				}
				continue
			}
			for _, p := range op.Parameters {
				if p.In != "path" || "{"+p.Name+"}" != ts[i] {
					continue
				}
				switch {
				case strings.HasSuffix(p.Schema.Ref, "/Category") && ps[i] != "electronics",
					strings.HasSuffix(p.Schema.Ref, "/ProductID") && ps[i] != "A1":
					return false
				}
			}
		}
		return true
	}
	for template := range doc.Paths {
		path := concrete(template)
		var want []string
		for other, ops := range doc.Paths {
			for m, op := range ops {
				if !matches(other, op, path) {
					continue
				}
				want = append(want, strings.ToUpper(m))
				if m == "get" {
					want = append(want, http.MethodHead)
				}
			}
		}
		want = append(want, http.MethodOptions)
		slices.Sort(want)
		want = slices.Compact(want)

		t.Run(path, func(t *testing.T) {
			for _, method := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
				if method != http.MethodOptions && slices.Contains(want, method) {
					continue // the path has it
				}
				resp, body := s.Do(t, method, path, "", nil)
				wantStatus := http.StatusMethodNotAllowed
				if method == http.MethodOptions {
					wantStatus = http.StatusNoContent
				}
				if resp.StatusCode != wantStatus {
					t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, wantStatus, body)
				}
				var got []string
				for _, m := range strings.Split(resp.Header.Get("Allow"), ",") {
					got = append(got, strings.TrimSpace(m))
				}
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Errorf("%s %s: Allow %q, want %v", method, path, resp.Header.Get("Allow"), want)
				}
				if method == http.MethodOptions {
					continue
				}
				var p struct {
					Code   string
					Status int
				}
				if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" || json.Unmarshal(body, &p) != nil ||
					p.Code != "method_not_allowed" || p.Status != http.StatusMethodNotAllowed {
					t.Errorf("%s %s: %s %s, want a method_not_allowed problem", method, path, ct, body)
				}
			}
		})
	}

	for _, path := range []string{"/no/such/route/here", "/toys", "/toys/A1"} {
		t.Run("unknown "+path, func(t *testing.T) {
			resp, body := s.Do(t, http.MethodDelete, path, "", nil)
			if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Allow") != "" || !strings.Contains(string(body), `"code":"not_found"`) {
				t.Errorf("DELETE %s: %d, Allow %q: %s", path, resp.StatusCode, resp.Header.Get("Allow"), body)
			}
		})
	}
}
