package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/liveorders/liveorders/internal/testenv"
)

// listed reports whether the comma-separated header value lists name, as
// a browser reads it (case-insensitive).
func listed(value, name string) bool {
	for _, v := range strings.Split(value, ",") {
		if strings.EqualFold(strings.TrimSpace(v), name) {
			return true
		}
	}
	return false
}

// TestCORSHeadersForRevalidation checks what a page on another origin needs
// to cache the contract and the API's answers: a preflight that asks to
// send If-None-Match is granted it, and the ETag and Location of answers
// are readable.
func TestCORSHeadersForRevalidation(t *testing.T) {
	s := testenv.Start(t, testenv.Options{})
	const app = "http://localhost:5173"

	t.Run("preflight", func(t *testing.T) {
		for _, path := range []string{"/schemas/v1/messages.schema.json", "/openapi.json", "/asyncapi.json", "/electronics"} {
			resp, _ := s.Do(t, http.MethodOptions, path, "", http.Header{
				"Origin": {app}, "Access-Control-Request-Method": {"GET"},
				"Access-Control-Request-Headers": {"if-none-match"},
			})
			if resp.StatusCode != http.StatusNoContent {
				t.Errorf("OPTIONS %s: %d, want 204", path, resp.StatusCode)
			}
			if got := resp.Header.Get("Access-Control-Allow-Headers"); !listed(got, "If-None-Match") {
				t.Errorf("OPTIONS %s: Access-Control-Allow-Headers %q does not allow If-None-Match", path, got)
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" && got != app {
				t.Errorf("OPTIONS %s: Access-Control-Allow-Origin %q", path, got)
			}
		}
	})

	t.Run("ETag readable", func(t *testing.T) {
		for _, path := range []string{"/schemas/v1/messages.schema.json", "/openapi.json", "/openapi.yaml", "/docs", "/orders-client.js"} {
			resp, _ := s.Do(t, http.MethodGet, path, "", http.Header{"Origin": {app}})
			if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") == "" {
				t.Fatalf("GET %s: %d, ETag %q", path, resp.StatusCode, resp.Header.Get("ETag"))
			}
			if got := resp.Header.Get("Access-Control-Expose-Headers"); !listed(got, "ETag") {
				t.Errorf("GET %s: Access-Control-Expose-Headers %q does not expose ETag", path, got)
			}
		}
	})

	t.Run("Location readable", func(t *testing.T) {
		resp, body := s.Do(t, http.MethodPost, "/electronics", `{"name":"Kettle","rrp":"12.50","info":""}`, http.Header{"Origin": {app}})
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Location") == "" {
			t.Fatalf("POST /electronics: %d, Location %q: %s", resp.StatusCode, resp.Header.Get("Location"), body)
		}
		if got := resp.Header.Get("Access-Control-Expose-Headers"); !listed(got, "Location") || !listed(got, "ETag") {
			t.Errorf("Access-Control-Expose-Headers %q, want Location and ETag", got)
		}
	})
}
