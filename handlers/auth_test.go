package handlers_test

import (
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/catalogue"
	"github.com/liveorders/liveorders/internal/server"
	"github.com/liveorders/liveorders/internal/testenv"
)

// authServer starts a server checking the issuer's tokens.
func authServer(t *testing.T, iss *testenv.Issuer, adjust func(*server.Config)) *testenv.Server {
	t.Helper()
	return testenv.Start(t, testenv.Options{Config: func(c *server.Config) {
		c.Auth = iss.Config()
		if adjust != nil {
			adjust(c)
		}
	}})
}

// wantProblem checks a problem answer: status, code and WWW-Authenticate.
func wantProblem(t *testing.T, resp *http.Response, body []byte, status int, code api.ErrorCode, challenge string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	var p api.Problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem %s: %v", body, err)
	}
	if p.Code != code || p.Status != int64(status) {
		t.Errorf("problem code %q status %d, want %q %d: %s", p.Code, p.Status, code, status, body)
	}
	if got := resp.Header.Get("WWW-Authenticate"); got != challenge {
		t.Errorf("WWW-Authenticate %q, want %q", got, challenge)
	}
}

func TestHTTPAuthRefusals(t *testing.T) {
	iss := testenv.NewIssuer(t)
	srv := authServer(t, iss, nil)
	order := `{"amount":1}`
	product := `{"name":"Kettle","rrp":"12.50","info":"boils"}`
	const (
		bare    = `Bearer realm="liveorders"`
		invalid = `Bearer realm="liveorders", error="invalid_token", error_description="`
	)
	for _, tc := range []struct {
		name, method, path, body string
		header                   http.Header
		status                   int
		code                     api.ErrorCode
		challenge                string
	}{
		{"order without a token", "POST", "/orders/A1", order, nil, 401, api.ErrorCodeTokenRequired, bare},
		{"order with another scheme", "POST", "/orders/A1", order, http.Header{"Authorization": {"Basic YWxpY2U6cw=="}}, 401, api.ErrorCodeTokenRequired, bare},
		{"order with Bearer and nothing", "POST", "/orders/A1", order, http.Header{"Authorization": {"Bearer "}}, 401, api.ErrorCodeInvalidToken, invalid + `malformed token"`},
		{"order with a malformed token", "POST", "/orders/A1", order, testenv.Bearer("not.a.jwt"), 401, api.ErrorCodeInvalidToken, invalid + `malformed token"`},
		{"order with an expired token", "POST", "/orders/A1", order, testenv.Bearer(iss.Sign(t, testenv.Token{Scope: "orders:write", TTL: -time.Hour})), 401, api.ErrorCodeTokenExpired, invalid + `token expired"`},
		{"order for another audience", "POST", "/orders/A1", order, testenv.Bearer(iss.Sign(t, testenv.Token{Scope: "orders:write", Audience: "billing"})), 401, api.ErrorCodeInvalidToken, invalid + `wrong audience"`},
		{"order with HS256 on a JWKS server", "POST", "/orders/A1", order, testenv.Bearer(iss.SignHS256(t, testenv.Token{Scope: "orders:write"})), 401, api.ErrorCodeInvalidToken, invalid + `signing algorithm not accepted"`},
		{"order without orders:write", "POST", "/orders/A1", order, testenv.Bearer(iss.Sign(t, testenv.Token{Scope: "catalogue:write"})), 403, api.ErrorCodeInsufficientScope, `Bearer realm="liveorders", error="insufficient_scope", scope="orders:write"`},
		{"order in a category the token leaves out", "POST", "/orders/A1", order, testenv.Bearer(iss.Sign(t, testenv.Token{Scope: "orders:write", Categories: []string{"confectionery"}})), 403, api.ErrorCodeInsufficientScope, `Bearer realm="liveorders", error="insufficient_scope", error_description="the token's categories claim does not include electronics"`},
		{"product without catalogue:write", "POST", "/electronics", product, testenv.Bearer(iss.Sign(t, testenv.Token{Scope: "orders:write"})), 403, api.ErrorCodeInsufficientScope, `Bearer realm="liveorders", error="insufficient_scope", scope="catalogue:write"`},
		{"product in a category the token leaves out", "POST", "/electronics", product, testenv.Bearer(iss.Sign(t, testenv.Token{Scope: "catalogue:write", Categories: []string{}})), 403, api.ErrorCodeInsufficientScope, `Bearer realm="liveorders", error="insufficient_scope", error_description="the token's categories claim does not include electronics"`},
		{"mock control without a token", "POST", "/mock/sim", `{"paused":true}`, nil, 401, api.ErrorCodeTokenRequired, bare},
		{"mock state without mock:control", "GET", "/mock/sim", "", testenv.Bearer(iss.Sign(t, testenv.Token{Scope: "orders:write catalogue:write"})), 403, api.ErrorCodeInsufficientScope, `Bearer realm="liveorders", error="insufficient_scope", scope="mock:control"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := srv.Do(t, tc.method, tc.path, tc.body, tc.header)
			wantProblem(t, resp, body, tc.status, tc.code, tc.challenge)
		})
	}
	if p, _ := srv.Hub.Product("electronics", "A1"); p.Total != startA1 {
		t.Errorf("A1's total moved to %d: a refused order was stored", p.Total)
	}
}

func TestHTTPAuthAccepts(t *testing.T) {
	iss := testenv.NewIssuer(t)
	srv := authServer(t, iss, func(c *server.Config) { c.Auth.SecretFile = iss.SecretFile })

	resp, body := srv.Post(t, "/orders/A1", `{"amount":2}`)
	if resp.StatusCode != 401 {
		t.Fatalf("an order without a token: %d %s", resp.StatusCode, body)
	}
	for _, tc := range []struct {
		name, method, path, body string
		token                    string
	}{
		{"an order (ES256 from the JWKS)", "POST", "/orders/A1", `{"amount":2}`, iss.Sign(t, testenv.Token{Scope: "orders:write"})},
		{"an order (HS256 from the secret)", "POST", "/orders/B1", `{"amount":2}`, iss.SignHS256(t, testenv.Token{Scope: "orders:write"})},
		{"an order in the token's category", "POST", "/orders/B1", `{"amount":1}`, iss.Sign(t, testenv.Token{Scope: "orders:write", Categories: []string{"confectionery"}})},
		{"a product", "POST", "/confectionery", `{"name":"Fudge","rrp":"3.00","info":"sweet"}`, iss.Sign(t, testenv.Token{Scope: "catalogue:write", Categories: []string{"confectionery"}})},
		{"a mock control", "POST", "/mock/latency", `{"delay":"0"}`, iss.Sign(t, testenv.Token{Scope: "mock:control"})},
		{"a read without a token", "GET", "/electronics", "", ""},
		{"a read with a token of no scope", "GET", "/categories", "", iss.Sign(t, testenv.Token{})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h http.Header
			if tc.token != "" {
				h = testenv.Bearer(tc.token)
			}
			resp, body := srv.Do(t, tc.method, tc.path, tc.body, h)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
		})
	}
	if p, _ := srv.Hub.Product("electronics", "A1"); p.Total != startA1+2 {
		t.Errorf("A1's total %d, want %d after the accepted order", p.Total, startA1+2)
	}
}

func TestHTTPPrivateReads(t *testing.T) {
	iss := testenv.NewIssuer(t)
	srv := authServer(t, iss, func(c *server.Config) { c.Auth.PrivateReads = true })
	for _, path := range []string{"/categories", "/electronics", "/electronics/A1"} {
		resp, body := srv.Get(t, path)
		wantProblem(t, resp, body, 401, api.ErrorCodeTokenRequired, `Bearer realm="liveorders"`)
		resp, body = srv.Do(t, "GET", path, "", testenv.Bearer(iss.Sign(t, testenv.Token{})))
		if resp.StatusCode != 200 {
			t.Errorf("GET %s with a token: %d %s", path, resp.StatusCode, body)
		}
	}
	for _, path := range []string{"/healthz", "/readyz", "/schemas/v1/", "/docs", "/"} {
		if resp, body := srv.Get(t, path); resp.StatusCode != 200 {
			t.Errorf("GET %s needs no token, got %d %s", path, resp.StatusCode, body)
		}
	}
	// An upgrade is refused before the 101.
	_, resp, err := srv.DialErr("electronics", api.Subprotocol, nil)
	if err == nil || resp == nil {
		t.Fatalf("an upgrade without a token was accepted (err %v)", err)
	}
	body := make([]byte, 4096)
	n, _ := resp.Body.Read(body)
	wantProblem(t, resp, body[:n], 401, api.ErrorCodeTokenRequired, `Bearer realm="liveorders"`)
}

// clientFrom is an HTTP client whose connections leave from the loopback
// address local, so that one test can be several client addresses.
func clientFrom(local string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

func post(t *testing.T, c *http.Client, url, token string) *http.Response {
	t.Helper()
	req, err := http.NewRequest("POST", url, strings.NewReader(`{"amount":1}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestHTTPWriteRateLimit(t *testing.T) {
	iss := testenv.NewIssuer(t)
	// 0.1 writes a second: the bucket cannot refill during the test.
	srv := authServer(t, iss, func(c *server.Config) { c.HTTP.WriteRate, c.HTTP.WriteBurst = 0.1, 2 })
	one, two, three := clientFrom("127.0.0.1"), clientFrom("127.0.0.2"), clientFrom("127.0.0.3")
	for _, c := range []*http.Client{one, two, three} {
		t.Cleanup(c.CloseIdleConnections)
	}
	alice := iss.Sign(t, testenv.Token{Subject: "alice", Scope: "orders:write"})
	bob := iss.Sign(t, testenv.Token{Subject: "bob", Scope: "orders:write"})
	url := srv.URL + "/orders/A1"

	for i := range 2 {
		if r := post(t, one, url, alice); r.StatusCode != 200 {
			t.Fatalf("alice's write %d: %d", i+1, r.StatusCode)
		}
	}
	// alice's third write is refused, from her address or another.
	for _, c := range []*http.Client{one, two} {
		resp, body := srv.Do(t, "GET", "/healthz", "", nil) // reads are never limited
		if resp.StatusCode != 200 {
			t.Fatalf("a read was limited: %d %s", resp.StatusCode, body)
		}
		r := post(t, c, url, alice)
		if r.StatusCode != 429 {
			t.Fatalf("alice's third write: %d, want 429", r.StatusCode)
		}
		secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
		if err != nil || secs < 1 || secs > 10 {
			t.Errorf("Retry-After %q, want 1 to 10 seconds (one token at 0.1/s)", r.Header.Get("Retry-After"))
		}
	}
	// bob from a fresh address writes; his second write from 127.0.0.1,
	// which alice emptied, is refused by the address.
	if r := post(t, two, url, bob); r.StatusCode != 200 {
		t.Fatalf("bob from 127.0.0.2: %d", r.StatusCode)
	}
	if r := post(t, one, url, bob); r.StatusCode != 429 {
		t.Errorf("bob from alice's address: %d, want 429", r.StatusCode)
	}
	// The refusals took nothing: 127.0.0.3 still has its whole burst.
	for i := range 2 {
		if r := post(t, three, url, iss.Sign(t, testenv.Token{Subject: "carol-" + strconv.Itoa(i), Scope: "orders:write"})); r.StatusCode != 200 {
			t.Fatalf("write %d from 127.0.0.3: %d", i+1, r.StatusCode)
		}
	}
	resp, body := srv.Do(t, "POST", "/orders/A1", `{"amount":1}`, testenv.Bearer(alice))
	wantProblem(t, resp, body, 429, api.ErrorCodeRateLimited, "")
}

func TestHTTPRateLimitWithoutAuth(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{Config: func(c *server.Config) { c.HTTP.WriteRate, c.HTTP.WriteBurst = 0.1, 1 }})
	if resp, body := srv.Post(t, "/orders/A1", `{"amount":1}`); resp.StatusCode != 200 {
		t.Fatalf("first write: %d %s", resp.StatusCode, body)
	}
	resp, body := srv.Post(t, "/electronics", `{"name":"Kettle","rrp":"12.50","info":""}`)
	wantProblem(t, resp, body, 429, api.ErrorCodeRateLimited, "")
	if resp.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After on the 429")
	}
}

// With auth off, a token is neither needed nor looked at.
func TestHTTPAuthOff(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{})
	for _, h := range []http.Header{nil, testenv.Bearer("garbage")} {
		if resp, body := srv.Do(t, "POST", "/orders/A1", `{"amount":1}`, h); resp.StatusCode != 200 {
			t.Errorf("order with header %v: %d %s", h, resp.StatusCode, body)
		}
	}
}

// startA1 is A1's total in the original catalogue.
var startA1 = func() int64 {
	for _, c := range catalogue.Default().Categories {
		for _, p := range c.Products {
			if p.ID == "A1" {
				return p.Total
			}
		}
	}
	panic("no A1 in the original catalogue")
}()

// With authentication on, an idempotency key belongs to the token's
// subject: two users choosing the same key place two orders, each retry
// gets its own user's answer, and a conflict names the key as sent.
func TestHTTPKeysPerSubject(t *testing.T) {
	iss := testenv.NewIssuer(t)
	srv := authServer(t, iss, nil)
	post := func(subject, body string) (int, api.OrderTotal, []byte) {
		t.Helper()
		h := testenv.Bearer(iss.Sign(t, testenv.Token{Subject: subject, Scope: "orders:write"}))
		h.Set("Idempotency-Key", "checkout-1")
		resp, b := srv.Do(t, "POST", "/orders/A1", body, h)
		var ot api.OrderTotal
		if resp.StatusCode == http.StatusOK {
			if err := json.Unmarshal(b, &ot); err != nil {
				t.Fatal(err)
			}
		}
		return resp.StatusCode, ot, b
	}
	_, alice, _ := post("alice", `{"amount":1}`)
	status, bob, body := post("bob", `{"amount":1}`)
	if status != http.StatusOK || bob.Total != alice.Total+1 {
		t.Fatalf("bob's order under alice's key: %d %s, want a new order (total %d)", status, body, alice.Total+1)
	}
	if _, again, _ := post("alice", `{"amount":1}`); again != alice {
		t.Errorf("alice's retry: %+v, want her first answer %+v", again, alice)
	}
	if _, again, _ := post("bob", `{"amount":1}`); again != bob {
		t.Errorf("bob's retry: %+v, want his first answer %+v", again, bob)
	}
	if status, _, body := post("carol", `{"amount":5}`); status != http.StatusOK {
		t.Errorf("carol's order of another amount under the key: %d %s, want it placed", status, body)
	}
	status, _, body = post("bob", `{"amount":2}`)
	if status != http.StatusConflict || !strings.Contains(string(body), `\"checkout-1\"`) {
		t.Errorf("bob's key for another order: %d %s, want 409 naming the key checkout-1", status, body)
	}
}
