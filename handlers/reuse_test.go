package handlers_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/server"
	"github.com/liveorders/liveorders/internal/testenv"
)

// TestRequestValuesOutliveTheirRequest: values taken from one request and
// kept (an idempotent order's product id, a metric's method label) are not
// overwritten by the next request on the same keep-alive connection, whose
// bytes fasthttp reads into the same buffers.
func TestRequestValuesOutliveTheirRequest(t *testing.T) {
	s := testenv.Start(t, testenv.Options{})
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}} // one connection
	t.Cleanup(client.CloseIdleConnections)
	send := func(method, path, body string, header http.Header) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = header
		if req.Header == nil {
			req.Header = http.Header{}
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}
	key := http.Header{"Idempotency-Key": {"k-1"}}
	if status, body := send("POST", "/orders/A1", `{"amount":1}`, key); status != 200 {
		t.Fatalf("first order: %d %s", status, body)
	}
	status, body := send("POST", "/orders/B1", `{"amount":1}`, key)
	var p api.Problem
	if status != http.StatusConflict || json.Unmarshal([]byte(body), &p) != nil || p.Code != api.ErrorCodeIdempotencyConflict {
		t.Fatalf("the key again for another product: %d %s, want 409 idempotency_conflict", status, body)
	}
	if status, body := send("POST", "/orders/A1", `{"amount":1}`, key); status != 200 || !strings.Contains(body, `"total":4`) {
		t.Fatalf("a retry of the first order: %d %s, want its first answer, A1 at 4", status, body)
	}
	send("HEAD", "/electronics", "", nil)
	send("PATCH", "/electronics", "", nil)
	if status, body := send("GET", "/metrics", "", nil); status != 200 || !strings.Contains(body, "liveorders_http_requests_total") {
		t.Fatalf("/metrics after requests of several methods: %d %.300s", status, body)
	}
}

// TestLargeHeadersAreProblems: a bearer token as long as tokens get
// (auth.MaxTokenLength) fits the header buffer; a header block past it is
// a 431 problem, not an internal error.
func TestLargeHeadersAreProblems(t *testing.T) {
	s := testenv.Start(t, testenv.Options{})
	resp, body := s.Do(t, "GET", "/electronics", "", http.Header{"Authorization": {"Bearer " + strings.Repeat("a", 8192)}})
	if resp.StatusCode != 200 {
		t.Fatalf("an 8 KiB token on a public read: %d %s", resp.StatusCode, body)
	}
	resp, body = s.Do(t, "GET", "/electronics", "", http.Header{"X-Big": {strings.Repeat("a", 64<<10)}})
	var p api.Problem
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge || json.Unmarshal(body, &p) != nil || p.Code != api.ErrorCodeTooLarge {
		t.Fatalf("64 KiB of headers: %d %s, want a 431 too_large problem", resp.StatusCode, body)
	}
}

// TestTokenRefusalsDoNotQuoteTheToken: a refused token's problem says what
// was wrong with it, not the checking libraries' text, which quotes parts
// of the token's header back.
func TestTokenRefusalsDoNotQuoteTheToken(t *testing.T) {
	iss := testenv.NewIssuer(t)
	s := testenv.Start(t, testenv.Options{Config: func(c *server.Config) { c.Auth = iss.Config() }})
	b64 := func(v string) string { return base64.RawURLEncoding.EncodeToString([]byte(v)) }
	forged := b64(`{"alg":"ES256","typ":"JWT","kid":"kid-from-the-attacker"}`) + "." + b64(`{"sub":"x","exp":4102444800}`) + "." + b64("not a signature")
	resp, body := s.Do(t, "POST", "/orders/A1", `{"amount":1}`, testenv.Bearer(forged))
	var p api.Problem
	if resp.StatusCode != http.StatusUnauthorized || json.Unmarshal(body, &p) != nil || p.Code != api.ErrorCodeInvalidToken {
		t.Fatalf("a token of an unknown key: %d %s, want 401 invalid_token", resp.StatusCode, body)
	}
	if strings.Contains(string(body), "kid-from-the-attacker") || strings.Contains(resp.Header.Get("WWW-Authenticate"), "kid-from-the-attacker") {
		t.Fatalf("the answer quotes the token's header: %s", body)
	}
}
