package handlers_test

import (
	"strings"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/testenv"
)

// FuzzSocketSession sends random frames into a live v1 session: the server
// never panics, answers every text frame it reads, and the session stays
// usable (or closes with 1009 for a frame over the read limit).
func FuzzSocketSession(f *testing.F) {
	for _, seed := range []string{
		`{"cmd":"update-category","payload":{"category":"confectionery"},"ref":"1"}`,
		`{"cmd":"place-order","payload":{"id":"A1","amount":2}}`,
		`{"cmd":"pong"}`, `{"cmd":`, `[]`, `null`, `{"cmd":"pong","payload":{"x":1}}`,
		`{"cmd":"update-category","payload":{"category":"toys"}}`, "\x00\xff",
	} {
		f.Add(seed, false)
	}
	f.Add("binary", true)
	srv := testenv.Start(f, testenv.Options{})
	f.Fuzz(func(t *testing.T, frame string, binary bool) {
		c := srv.Dial(t, "electronics", api.Subprotocol)
		c.Next(wait) // welcome
		c.Next(wait) // snapshot
		kind := fws.TextMessage
		if binary {
			kind = fws.BinaryMessage
		}
		if err := c.Conn.WriteMessage(kind, []byte(frame)); err != nil {
			t.Fatal(err)
		}
		// A sentinel command must still be answered.
		c.Send(`{"cmd":"update-category","payload":{"category":"electronics"},"ref":"sentinel"}`)
		_ = c.Conn.SetReadDeadline(time.Now().Add(wait))
		for {
			_, b, err := c.Conn.ReadMessage()
			if err != nil {
				t.Fatalf("session broken by %q: %v", frame, err)
			}
			if strings.Contains(string(b), `"ref":"sentinel"`) {
				return
			}
		}
	})
}

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
