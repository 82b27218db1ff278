package handlers_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/testenv"
)

func TestCatalogueRoutesKeepTheOriginalShapes(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{})
	resp, body := srv.Get(t, "/electronics")
	want := `[{"id":"A1","name":"Vacuum Cleaner","rrp":"99.99","info":"The suckiest vacuum in the world."},{"id":"A2","name":"Leaf Blower","rrp":"303.33","info":"This product will blow your socks off."}]`
	if resp.StatusCode != 200 || string(body) != want {
		t.Fatalf("GET /electronics: %d %s", resp.StatusCode, body)
	}
	resp, body = srv.Post(t, "/electronics", `{"name":"Robot Arm","rrp":"1299.00","info":"Lends a hand."}`)
	var list []api.Product
	if resp.StatusCode != 200 || json.Unmarshal(body, &list) != nil || len(list) != 3 || list[2].ID != "A3" {
		t.Fatalf("POST /electronics: %d %s", resp.StatusCode, body)
	}
	if loc := resp.Header.Get("Location"); loc != "/electronics/A3" {
		t.Fatalf("Location %q, want /electronics/A3", loc)
	}
	resp, body = srv.Get(t, "/electronics/A3")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"name":"Robot Arm"`) {
		t.Fatalf("GET /electronics/A3: %d %s", resp.StatusCode, body)
	}
	resp, body = srv.Post(t, "/orders/A3", `{"amount":4}`)
	if resp.StatusCode != 200 || string(body) != `{"id":"A3","total":4}` {
		t.Fatalf("POST /orders/A3: %d %s", resp.StatusCode, body)
	}
	resp, body = srv.Get(t, "/categories")
	if resp.StatusCode != 200 || string(body) != `["electronics","confectionery"]` {
		t.Fatalf("GET /categories: %d %s", resp.StatusCode, body)
	}
}

func TestHTTPErrorsAreProblems(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{})
	cases := []struct {
		name, method, path, body string
		status                   int
		code                     api.ErrorCode
		pointer                  string
	}{
		{"unknown category", "GET", "/toys", "", 404, api.ErrorCodeUnknownCategory, ""},
		{"no such route", "GET", "/Not.A.Route", "", 404, api.ErrorCodeNotFound, ""},
		{"unknown product", "GET", "/electronics/A99", "", 404, api.ErrorCodeUnknownProduct, ""},
		{"bad rrp", "POST", "/electronics", `{"name":"X","rrp":"1.234","info":""}`, 400, api.ErrorCodeInvalidPayload, "/rrp"},
		{"body id", "POST", "/electronics", `{"id":"A9","name":"X","rrp":"1","info":""}`, 400, api.ErrorCodeInvalidPayload, "/id"},
		{"not JSON", "POST", "/electronics", `{`, 400, api.ErrorCodeInvalidJSON, ""},
		{"empty body", "POST", "/electronics", ``, 400, api.ErrorCodeInvalidJSON, ""},
		{"order of unknown product", "POST", "/orders/Z1", `{"amount":1}`, 404, api.ErrorCodeUnknownProduct, ""},
		{"order amount zero", "POST", "/orders/A1", `{"amount":0}`, 400, api.ErrorCodeInvalidPayload, "/amount"},
		{"order amount huge", "POST", "/orders/A1", `{"amount":1e12}`, 400, api.ErrorCodeInvalidPayload, "/amount"},
		{"socket route without upgrade", "GET", "/orders/electronics", "", 426, api.ErrorCodeUpgradeRequired, ""},
		{"body too large", "POST", "/electronics", `{"name":"` + strings.Repeat("x", 20000) + `"}`, 413, api.ErrorCodeTooLarge, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := srv.Do(t, tc.method, tc.path, tc.body, nil)
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("content type %q, body %s", ct, body)
			}
			var p api.Problem
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status || int(p.Status) != tc.status || p.Code != tc.code || p.Detail == "" {
				t.Fatalf("%d %s, want %d %s", resp.StatusCode, body, tc.status, tc.code)
			}
			if tc.pointer != "" && (len(p.Errors) == 0 || p.Errors[0].Pointer != tc.pointer) {
				t.Fatalf("errors %+v, want pointer %s", p.Errors, tc.pointer)
			}
		})
	}
	// Nothing was stored by the refused bodies.
	if list, _ := srv.Hub.Products("electronics"); len(list) != 2 {
		t.Fatalf("refused bodies stored products: %+v", list)
	}
}

func TestCORSAndOrigins(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{})
	t.Run("preflight from a local app", func(t *testing.T) {
		resp, _ := srv.Do(t, "OPTIONS", "/electronics", "", http.Header{
			"Origin": {"http://localhost:5050"}, "Access-Control-Request-Method": {"POST"},
			"Access-Control-Request-Headers": {"content-type"},
		})
		if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:5050" ||
			!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") ||
			resp.Header.Get("Access-Control-Allow-Headers") != "content-type" {
			t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
		}
	})
	t.Run("simple request from a local app", func(t *testing.T) {
		resp, _ := srv.Do(t, "GET", "/electronics", "", http.Header{"Origin": {"http://127.0.0.1:5050"}})
		if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "http://127.0.0.1:5050" {
			t.Fatalf("%d %v", resp.StatusCode, resp.Header)
		}
	})
	t.Run("foreign origin is refused with a problem", func(t *testing.T) {
		resp, body := srv.Do(t, "GET", "/electronics", "", http.Header{"Origin": {"https://evil.example"}})
		if resp.StatusCode != 403 || !strings.Contains(string(body), `"code":"forbidden_origin"`) {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("foreign origin socket is refused with 403", func(t *testing.T) {
		_, resp, err := srv.DialErr("electronics", "", http.Header{"Origin": {"https://evil.example"}})
		if err == nil || resp == nil || resp.StatusCode != 403 {
			t.Fatalf("dial from a foreign origin: %v %+v", err, resp)
		}
	})
}

func TestIntegralFloatAmountIsAccepted(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{})
	resp, body := srv.Post(t, "/orders/A1", `{"amount":2.0}`)
	if resp.StatusCode != 200 || string(body) != `{"id":"A1","total":5}` {
		t.Fatalf("POST amount 2.0: %d %s", resp.StatusCode, body)
	}
	c := srv.Dial(t, "electronics", api.Subprotocol)
	c.Next(wait)
	c.Next(wait)
	c.Send(`{"cmd":"place-order","payload":{"id":"A1","amount":1e0},"ref":"f"}`)
	for {
		switch m := c.Next(wait).(type) {
		case api.Placed:
			if m.Total != 6 {
				t.Fatalf("placed %+v, want total 6", m)
			}
			return
		case api.Error:
			t.Fatalf("refused a schema-valid amount: %+v", m)
		}
	}
}

// TestStopRightAfterStart: a server stopped before it accepted anything
// still stops (its listener is closed, not served forever).
func TestStopRightAfterStart(t *testing.T) {
	for range 20 {
		srv := testenv.Start(t, testenv.Options{})
		done := make(chan struct{})
		go func() { srv.Stop(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Stop did not return")
		}
	}
}
