package handlers_test

import (
	"strings"
	"testing"

	"github.com/liveorders/liveorders/internal/testenv"
)

// FuzzHTTPBodies posts random bodies to the product and order routes: no
// input produces a 5xx, and every refusal is a problem document.
func FuzzHTTPBodies(f *testing.F) {
	for _, seed := range []string{
		`{"name":"Kettle","rrp":"19.50","info":"Boils."}`, `{"amount":3}`, `{`, ``, `[]`, `{"amount":1e309}`,
		`{"name":"` + strings.Repeat("x", 200) + `","rrp":"1","info":""}`,
	} {
		f.Add(seed)
	}
	srv := testenv.Start(f, testenv.Options{})
	f.Fuzz(func(t *testing.T, body string) {
		for _, path := range []string{"/confectionery", "/orders/B1"} {
			resp, b := srv.Post(t, path, body)
			if resp.StatusCode >= 500 {
				t.Fatalf("POST %s %q: %d %s", path, body, resp.StatusCode, b)
			}
			if resp.StatusCode >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("POST %s %q: %d with %s", path, body, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
		}
	})
}
