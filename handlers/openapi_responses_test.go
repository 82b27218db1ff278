package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/catalogue"
	"github.com/liveorders/liveorders/internal/memstore"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/internal/server"
	"github.com/liveorders/liveorders/internal/testenv"
	validator "github.com/pb33f/libopenapi-validator"
)

// unavailableStore refuses every write, as a store cut from its log does.
type unavailableStore struct{ orders.Store }

func (unavailableStore) PlaceOrder(context.Context, orders.Order) (orders.Update, error) {
	return orders.Update{}, orders.ErrUnavailable
}

func (unavailableStore) AddProduct(context.Context, string, orders.NewProduct) (orders.Update, error) {
	return orders.Update{}, orders.ErrUnavailable
}

// exchange is one request of a test session and the status it must get.
type exchange struct {
	name         string
	method, path string
	body         string
	header       http.Header
	status       int
}

// TestOpenAPIResponses validates real answers of a test session, successes
// and each kind of problem, against the document with pb33f's validator:
// the status must be one the operation lists, and the body must match its
// schema (a problem's code one of those listed for that status).
func TestOpenAPIResponses(t *testing.T) {
	s := testenv.Start(t, testenv.Options{Config: func(c *server.Config) { c.HTTP.MaxSockets = 2 }})
	v, body := openapiValidator(t, s)
	json415 := http.Header{"Content-Type": {"text/xml"}}
	evil := http.Header{"Origin": {"https://evil.example"}}
	etag := respETag(t, s, "/schemas/v1/messages.schema.json")
	cases := []exchange{
		{"list products", "GET", "/electronics", "", nil, 200},
		{"unknown category", "GET", "/toys", "", nil, 404},
		{"not a category", "GET", "/Toys", "", nil, 404},
		{"one product", "GET", "/electronics/A1", "", nil, 200},
		{"unknown product", "GET", "/electronics/Z9", "", nil, 404},
		{"add a product", "POST", "/electronics", `{"name":"Kettle","rrp":"12.50","info":"Boils."}`, nil, 200},
		{"invalid product", "POST", "/electronics", `{"name":"Kettle","rrp":"1.234","info":""}`, nil, 400},
		{"product not JSON", "POST", "/electronics", `{"name":`, nil, 400},
		{"product not application/json", "POST", "/electronics", `<kettle/>`, json415, 415},
		{"product too large", "POST", "/electronics", `{"name":"` + strings.Repeat("k", 20<<10) + `","rrp":"1","info":""}`, nil, 413},
		{"product for an unknown category", "POST", "/toys", `{"name":"Kettle","rrp":"1","info":""}`, nil, 404},
		{"place an order", "POST", "/orders/A1", `{"amount":2}`, nil, 200},
		{"order for an unknown product", "POST", "/orders/Z9", `{"amount":2}`, nil, 404},
		{"invalid order", "POST", "/orders/A1", `{"amount":0}`, nil, 400},
		{"order with a key", "POST", "/orders/A2", `{"amount":1}`, http.Header{"Idempotency-Key": {"k-openapi"}}, 200},
		{"retry of a keyed order", "POST", "/orders/A2", `{"amount":1}`, http.Header{"Idempotency-Key": {"k-openapi"}}, 200},
		{"key given to another order", "POST", "/orders/A2", `{"amount":2}`, http.Header{"Idempotency-Key": {"k-openapi"}}, 409},
		{"malformed key", "POST", "/orders/A2", `{"amount":1}`, http.Header{"Idempotency-Key": {"two words"}}, 400},
		{"socket without an upgrade", "GET", "/orders/electronics", "", nil, 426},
		{"categories", "GET", "/categories", "", nil, 200},
		{"forbidden origin", "GET", "/categories", "", evil, 403},
		{"liveness", "GET", "/healthz", "", nil, 200},
		{"readiness", "GET", "/readyz", "", nil, 200},
		{"metrics", "GET", "/metrics", "", nil, 200},
		{"schema listing", "GET", "/schemas/v1", "", nil, 200},
		{"schema file", "GET", "/schemas/v1/messages.schema.json", "", nil, 200},
		{"schema file unchanged", "GET", "/schemas/v1/messages.schema.json", "", http.Header{"If-None-Match": {etag}}, 304},
		{"asyncapi", "GET", "/asyncapi.json", "", nil, 200},
		{"asyncapi yaml", "GET", "/asyncapi.yaml", "", nil, 200},
		{"openapi yaml", "GET", "/openapi.yaml", "", nil, 200},
		{"docs", "GET", "/docs", "", nil, 200},
		{"simulation state", "GET", "/mock/sim", "", nil, 200},
		{"pause the simulation", "POST", "/mock/sim", `{"paused":true}`, nil, 200},
		{"bad simulation control", "POST", "/mock/sim", `{"interval":"soon"}`, nil, 400},
		{"disconnect nobody", "POST", "/mock/disconnect", `{"session":"s-none"}`, nil, 200},
		{"bad disconnect", "POST", "/mock/disconnect", `{"code":1}`, nil, 400},
		{"latency", "GET", "/mock/latency", "", nil, 200},
		{"set latency", "POST", "/mock/latency", `{"delay":"0"}`, nil, 200},
		{"bad latency", "POST", "/mock/latency", `{"delay":"1h"}`, nil, 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, resp := roundTrip(t, s, tc)
			if resp.StatusCode != tc.status {
				t.Fatalf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.status)
			}
			checkResponse(t, v, body, req, resp)
		})
	}

	t.Run("an undocumented code fails", func(t *testing.T) {
		var doc map[string]any
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatal(err)
		}
		// GET /{category} may answer 404 with unknown_category or
		// not_found; document only the first, and answer the second.
		notFound := doc["paths"].(map[string]any)["/{category}"].(map[string]any)["get"].(map[string]any)["responses"].(map[string]any)["404"].(map[string]any)
		schema := notFound["content"].(map[string]any)["application/problem+json"].(map[string]any)["schema"].(map[string]any)
		schema["allOf"].([]any)[1].(map[string]any)["properties"].(map[string]any)["code"] = map[string]any{"const": "unknown_category"}
		narrowed, _ := json.Marshal(doc)
		req, resp := roundTrip(t, s, exchange{"", "GET", "/Toys", "", nil, 404})
		if ok, _ := mustValidator(t, narrowed).ValidateHttpResponse(req, resp); ok {
			t.Error("a not_found problem validated against a response that lists only unknown_category")
		}
	})

	t.Run("store unavailable", func(t *testing.T) {
		ms, err := memstore.New(catalogue.Default(), memstore.Config{})
		if err != nil {
			t.Fatal(err)
		}
		down := testenv.Start(t, testenv.Options{Store: unavailableStore{ms}})
		for _, tc := range []exchange{
			{"order", "POST", "/orders/A1", `{"amount":1}`, nil, 503},
			{"product", "POST", "/electronics", `{"name":"Kettle","rrp":"1","info":""}`, nil, 503},
		} {
			req, resp := roundTrip(t, down, tc)
			if resp.StatusCode != tc.status {
				t.Fatalf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.status)
			}
			checkResponse(t, v, body, req, resp)
		}
	})

	t.Run("category full", func(t *testing.T) {
		ms, err := memstore.New(catalogue.Default(), memstore.Config{MaxProducts: 1})
		if err != nil {
			t.Fatal(err)
		}
		full := testenv.Start(t, testenv.Options{Store: ms})
		req, resp := roundTrip(t, full, exchange{"", "POST", "/electronics", `{"name":"Kettle","rrp":"1","info":""}`, nil, 409})
		if resp.StatusCode != http.StatusConflict {
			t.Fatalf("POST to a full category: %d, want 409", resp.StatusCode)
		}
		checkResponse(t, v, body, req, resp)
	})

	t.Run("sockets", func(t *testing.T) {
		d := fws.Dialer{HandshakeTimeout: 5 * time.Second, Subprotocols: []string{api.Subprotocol}}
		var open []*fws.Conn
		defer func() {
			for _, c := range open {
				_ = c.Close()
			}
		}()
		for i, want := range []int{101, 101, 503} { // MaxSockets is 2
			c, resp, err := d.Dial(s.WS+"/orders/electronics", nil)
			if c != nil {
				open = append(open, c)
				if i < 2 {
					// Wait for the session to count: its welcome is sent once it is registered.
					_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
					if _, _, err := c.ReadMessage(); err != nil {
						t.Fatalf("socket %d: %v", i, err)
					}
				}
			}
			if resp == nil || resp.StatusCode != want {
				t.Fatalf("dial %d: %v, %v; want %d", i, resp, err, want)
			}
			checkResponse(t, v, body, resp.Request, resp)
		}
		_, resp, _ := d.Dial(s.WS+"/orders/toys", nil)
		if resp == nil || resp.StatusCode != http.StatusNotFound {
			t.Fatalf("dial an unknown category: %v", resp)
		}
		checkResponse(t, v, body, resp.Request, resp)
	})
}

// roundTrip makes the request of tc and returns it with its response, the
// body read and put back.
func roundTrip(t *testing.T, s *testenv.Server, tc exchange) (*http.Request, *http.Response) {
	t.Helper()
	req, err := http.NewRequest(tc.method, s.URL+tc.path, strings.NewReader(tc.body))
	if err != nil {
		t.Fatal(err)
	}
	if tc.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range tc.header {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", tc.method, tc.path, err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	// The validator reads the request body again, for the operation's
	// request body; give it back.
	req.Body = io.NopCloser(strings.NewReader(tc.body))
	return req, resp
}

// checkResponse validates resp against the operation of req, and checks
// that the operation lists its status.
func checkResponse(t *testing.T, v validator.Validator, doc []byte, req *http.Request, resp *http.Response) {
	t.Helper()
	b, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(b))
	if !documentsStatus(t, doc, req, resp.StatusCode) {
		t.Errorf("%s %s answered %d, which its operation does not list: %s", req.Method, req.URL.Path, resp.StatusCode, b)
		return
	}
	if ok, errs := v.ValidateHttpResponse(req, resp); !ok {
		for _, e := range errs {
			t.Errorf("%s %s → %d: %s (%s)", req.Method, req.URL.Path, resp.StatusCode, e.Message, e.Reason)
			for _, se := range e.SchemaValidationErrors {
				t.Errorf("  %s %s: %s", se.FieldPath, se.KeywordLocation, se.Reason)
			}
		}
		t.Logf("body: %s", b)
	}
}

// documentsStatus reports whether the operation of req lists status.
func documentsStatus(t *testing.T, doc []byte, req *http.Request, status int) bool {
	t.Helper()
	var d struct {
		Paths map[string]map[string]struct {
			Responses map[string]any
		}
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	segs := strings.Split(req.URL.Path, "/")
	best, bestLiteral := "", -1
	for p := range d.Paths {
		ps := strings.Split(p, "/")
		if len(ps) != len(segs) {
			continue
		}
		literal, ok := 0, true
		for i := range ps {
			switch {
			case oasParam.MatchString(ps[i]) && segs[i] != "":
			case ps[i] == segs[i]:
				literal++
			default:
				ok = false
			}
		}
		if ok && literal > bestLiteral {
			best, bestLiteral = p, literal
		}
	}
	op, ok := d.Paths[best][strings.ToLower(req.Method)]
	if !ok {
		t.Fatalf("no operation of the document matches %s %s", req.Method, req.URL.Path)
	}
	_, ok = op.Responses[strconvItoa(status)]
	return ok
}

func strconvItoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestOpenAPIResponsesWithTokens validates the answers of a server that
// checks tokens and limits writes: each refusal (401, 403, 429) is a status
// its operation lists, with a problem code listed for it.
func TestOpenAPIResponsesWithTokens(t *testing.T) {
	iss := testenv.NewIssuer(t)
	s := testenv.Start(t, testenv.Options{Config: func(c *server.Config) {
		c.Auth = iss.Config()
		c.Auth.PrivateReads = true
		c.HTTP.WriteRate, c.HTTP.WriteBurst = 0.001, 2
	}})
	v, body := openapiValidator(t, s)
	writer := testenv.Bearer(iss.Sign(t, testenv.Token{Subject: "w", Scope: "orders:write"}))
	reader := testenv.Bearer(iss.Sign(t, testenv.Token{Subject: "r"}))
	expired := testenv.Bearer(iss.Sign(t, testenv.Token{Scope: "orders:write", TTL: -time.Hour}))
	order := `{"amount":1}`
	for _, tc := range []exchange{
		{"a read without a token", "GET", "/electronics", "", nil, 401},
		{"a read with a token", "GET", "/electronics", "", reader, 200},
		{"an order without a token", "POST", "/orders/A1", order, nil, 401},
		{"an order with an expired token", "POST", "/orders/A1", order, expired, 401},
		{"an order without the scope", "POST", "/orders/A1", order, reader, 403},
		{"a product without the scope", "POST", "/electronics", `{"name":"Kettle","rrp":"1.00","info":""}`, writer, 403},
		{"an order", "POST", "/orders/A1", order, writer, 200},
		{"another order", "POST", "/orders/A1", order, writer, 200},
		{"one order past the limit", "POST", "/orders/A1", order, writer, 429},
		{"the mock controls without the scope", "GET", "/mock/sim", "", writer, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, resp := roundTrip(t, s, tc)
			if resp.StatusCode != tc.status {
				b, _ := io.ReadAll(resp.Body)
				t.Fatalf("%s %s: %d %s, want %d", tc.method, tc.path, resp.StatusCode, b, tc.status)
			}
			checkResponse(t, v, body, req, resp)
		})
	}
}
