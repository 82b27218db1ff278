package socket_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	fws "github.com/fasthttp/websocket"
	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/testenv"
)

// FuzzSocketSession sends random frames into a live v1 session: the server
// never panics, answers every frame it reads, and the session stays usable,
// except that a text frame that is not UTF-8 fails it with 1007 (RFC 6455
// §8.1).
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
		if !binary && !utf8.ValidString(frame) {
			if code := c.CloseCode(wait); code != int(api.CloseCodeInvalidData) {
				t.Fatalf("text frame %q that is not UTF-8: close %d, want 1007", frame, code)
			}
			return
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
