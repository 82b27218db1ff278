package handlers_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/liveorders/liveorders/internal/server"
	"github.com/liveorders/liveorders/internal/testenv"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi/datamodel"
	"go.yaml.in/yaml/v3"
)

// openapiValidator builds pb33f's validator from the document s serves.
func openapiValidator(t *testing.T, s *testenv.Server) (validator.Validator, []byte) {
	t.Helper()
	resp, body := s.Get(t, "/openapi.json")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || resp.Header.Get("ETag") == "" {
		t.Fatalf("GET /openapi.json: %d %q ETag %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("ETag"))
	}
	return mustValidator(t, body), body
}

func mustValidator(t *testing.T, body []byte) validator.Validator {
	t.Helper()
	// The library logs what it cannot build (a broken document, on
	// purpose below) to stdout; the test reports errors itself.
	doc, err := libopenapi.NewDocumentWithConfiguration(body, &datamodel.DocumentConfiguration{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("libopenapi: %v", err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("libopenapi-validator: %v", errs)
	}
	return v
}

// TestOpenAPIDocument validates the served document against the OpenAPI 3.1
// specification with pb33f's validator.
func TestOpenAPIDocument(t *testing.T) {
	// The test is the proxy in front: its forwarded scheme is believed
	// (proxy_test.go checks that an untrusted peer's is not).
	s := testenv.Start(t, testenv.Options{Config: func(c *server.Config) {
		c.HTTP.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	}})
	v, body := openapiValidator(t, s)
	if ok, errs := v.ValidateDocument(); !ok {
		for _, e := range errs {
			t.Errorf("%s: %s (%s)", e.ValidationType, e.Message, e.Reason)
			for _, se := range e.SchemaValidationErrors {
				t.Errorf("  %s %s: %s", se.FieldPath, se.KeywordLocation, se.Reason)
			}
		}
		t.FailNow()
	}

	t.Run("a broken document fails", func(t *testing.T) {
		var doc map[string]any
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatal(err)
		}
		op := doc["paths"].(map[string]any)["/categories"].(map[string]any)["get"].(map[string]any)
		op["responses"] = "none" // responses must be an object
		broken, _ := json.Marshal(doc)
		if ok, _ := mustValidator(t, broken).ValidateDocument(); ok {
			t.Error("a document whose responses are a string validated")
		}
	})

	t.Run("names the serving host", func(t *testing.T) {
		var doc struct{ Servers []struct{ URL string } }
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Servers) != 1 || doc.Servers[0].URL != s.URL {
			t.Errorf("servers = %+v, want the one that served it, %s", doc.Servers, s.URL)
		}
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/openapi.json", nil)
		req.Host = "orders.example:8443"
		req.Header.Set("X-Forwarded-Proto", "https")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		other, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		// Behind a proxy that terminates TLS, the scheme is the forwarded one.
		if err := json.Unmarshal(other, &doc); err != nil || len(doc.Servers) != 1 || doc.Servers[0].URL != "https://orders.example:8443" {
			t.Errorf("asked for orders.example:8443: servers %+v (%v)", doc.Servers, err)
		}
		if resp.Header.Get("ETag") == "" || resp.Header.Get("ETag") == respETag(t, s, "/openapi.json") {
			t.Errorf("the ETag %q does not tell the two documents apart", resp.Header.Get("ETag"))
		}
	})

	t.Run("yaml", func(t *testing.T) {
		resp, yb := s.Get(t, "/openapi.yaml")
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/yaml") {
			t.Fatalf("GET /openapi.yaml: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		var y, j any
		if err := yaml.Unmarshal(yb, &y); err != nil {
			t.Fatal(err)
		}
		jb, _ := json.Marshal(y)
		if err := json.Unmarshal(jb, &y); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(body, &j); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(y, j) {
			t.Error("the YAML document differs from the JSON one")
		}
	})
}

func respETag(t *testing.T, s *testenv.Server, path string) string {
	t.Helper()
	resp, _ := s.Get(t, path)
	return resp.Header.Get("ETag")
}
