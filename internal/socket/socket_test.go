package socket_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/server"
	"github.com/liveorders/liveorders/internal/testenv"
)

const wait = 5 * time.Second

func TestSeedModeSnapshotSwitchAndLiveUpdates(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{})
	c := srv.Dial(t, "electronics", "")

	for _, want := range []api.OrderTotal{{ID: "A1", Total: 3}, {ID: "A2", Total: 7}} {
		if got := c.NextTotal(wait); got != want {
			t.Fatalf("on connect got %+v, want %+v", got, want)
		}
	}
	c.Send(`{"cmd":"update-category","payload":{"category":"confectionery"}}`)
	if got := c.NextTotal(wait); got != (api.OrderTotal{ID: "B1", Total: 101}) {
		t.Fatalf("after switch got %+v, want B1=101", got)
	}
	// An order of the old category must not arrive; one of the current must.
	srv.Post(t, "/orders/A1", `{"amount":5}`)
	srv.Post(t, "/orders/B1", `{"amount":2}`)
	if got := c.NextTotal(wait); got != (api.OrderTotal{ID: "B1", Total: 103}) {
		t.Fatalf("live update got %+v, want B1=103", got)
	}
}

func TestSeedModeBadCommandGetsErrorAndStaysOpen(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{})
	c := srv.Dial(t, "confectionery", "")
	c.NextTotal(wait)
	c.Send(`not json`)
	var e struct {
		Type string `json:"type"`
		Code string `json:"code"`
		ID   string `json:"id"`
	}
	if err := json.Unmarshal(c.Read(wait), &e); err != nil || e.Type != "error" || e.Code != "invalid_json" || e.ID != "" {
		t.Fatalf("got %+v (%v), want an invalid_json error without id", e, err)
	}
	c.Send(`{"cmd":"update-category","payload":{"category":"electronics"}}`)
	if got := c.NextTotal(wait); got.ID != "A1" {
		t.Fatalf("socket did not survive the bad command: got %+v", got)
	}
}

func TestV1WelcomeSnapshotSwitchAndPlaceOrder(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{})
	c := srv.Dial(t, "electronics", api.Subprotocol)

	w, ok := c.Next(wait).(api.Welcome)
	if !ok || w.Protocol != api.Subprotocol || w.Session == "" || w.HeartbeatMs <= 0 {
		t.Fatalf("first message %+v, want a welcome", w)
	}
	snap, ok := c.Next(wait).(api.Snapshot)
	if !ok || snap.Category != "electronics" || len(snap.Items) != 2 || snap.Items[0] != (api.OrderTotal{ID: "A1", Total: 3}) {
		t.Fatalf("second message %+v, want the electronics snapshot", snap)
	}
	c.Send(`{"cmd":"update-category","payload":{"category":"confectionery"},"ref":"r1"}`)
	snap, ok = c.Next(wait).(api.Snapshot)
	if !ok || snap.Category != "confectionery" || snap.Ref != "r1" || len(snap.Items) != 1 || snap.Items[0].Total != 101 {
		t.Fatalf("got %+v, want the confectionery snapshot answering r1", snap)
	}
	c.Send(`{"cmd":"place-order","payload":{"id":"B1","amount":4},"ref":"r2"}`)
	var placed api.Placed
	var order api.Order
	for placed.Ref == "" || order.ID == "" {
		switch m := c.Next(wait).(type) {
		case api.Placed:
			placed = m
		case api.Order:
			order = m
		default:
			t.Fatalf("unexpected %#v", m)
		}
	}
	if placed.Total != 105 || placed.ID != "B1" || placed.Seq == 0 {
		t.Fatalf("placed %+v, want B1 total 105", placed)
	}
	if order.Total != 105 || order.Category != "confectionery" || order.Seq != placed.Seq || order.Seq <= snap.Seq {
		t.Fatalf("order %+v, want B1 total 105 at seq %d (> snapshot %d)", order, placed.Seq, snap.Seq)
	}
}

func TestV1BadCommandsGetCodedErrors(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{})
	c := srv.Dial(t, "electronics", api.Subprotocol)
	c.Next(wait)
	c.Next(wait)
	cases := []struct {
		name, frame string
		code        api.ErrorCode
		pointer     string
	}{
		{"malformed JSON", `{"cmd":`, api.ErrorCodeInvalidJSON, ""},
		{"not an object", `[1,2]`, api.ErrorCodeInvalidCommand, ""},
		{"unknown cmd", `{"cmd":"dance","ref":"x"}`, api.ErrorCodeUnknownCommand, "/cmd"},
		{"wrong type", `{"cmd":"place-order","payload":{"id":"A1","amount":"3"}}`, api.ErrorCodeInvalidPayload, "/payload/amount"},
		{"malformed category", `{"cmd":"update-category","payload":{"category":"Bad Cat"}}`, api.ErrorCodeInvalidPayload, "/payload/category"},
		{"unknown category", `{"cmd":"update-category","payload":{"category":"toys"}}`, api.ErrorCodeUnknownCategory, "/payload/category"},
		{"unknown product", `{"cmd":"place-order","payload":{"id":"Z9","amount":1}}`, api.ErrorCodeUnknownProduct, "/payload/id"},
		{"extra field", `{"cmd":"pong","x":1}`, api.ErrorCodeInvalidCommand, "/x"},
		{"too large", `{"cmd":"pong","ref":"` + strings.Repeat("x", 5000) + `"}`, api.ErrorCodeTooLarge, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.Send(tc.frame)
			e, ok := c.Next(wait).(api.Error)
			if !ok || e.Code != tc.code || e.Message == "" {
				t.Fatalf("got %+v, want error %s", e, tc.code)
			}
			if tc.pointer != "" && (len(e.Details) == 0 || e.Details[0].Pointer != tc.pointer) {
				t.Fatalf("details %+v, want pointer %s", e.Details, tc.pointer)
			}
		})
	}
	t.Run("binary frame", func(t *testing.T) {
		if err := c.Conn.WriteMessage(2, []byte{1, 2, 3}); err != nil {
			t.Fatal(err)
		}
		if e, ok := c.Next(wait).(api.Error); !ok || e.Code != api.ErrorCodeUnsupportedFrame {
			t.Fatalf("got %+v, want unsupported_frame", e)
		}
	})
	// Still open and working.
	c.Send(`{"cmd":"update-category","payload":{"category":"confectionery"},"ref":"ok"}`)
	if s, ok := c.Next(wait).(api.Snapshot); !ok || s.Ref != "ok" {
		t.Fatalf("socket broken after bad commands: got %+v", s)
	}
}

func TestOversizedFrameClosesWith1009(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{Config: func(c *server.Config) { c.Socket.ReadLimit = 1024 }})
	c := srv.Dial(t, "electronics", api.Subprotocol)
	other := srv.Dial(t, "electronics", api.Subprotocol)
	c.Next(wait)
	c.Send(`{"cmd":"pong","ref":"` + strings.Repeat("x", 2000) + `"}`)
	if code := c.CloseCode(wait); code != int(api.CloseCodeMessageTooBig) {
		t.Fatalf("close code %d, want 1009", code)
	}
	// Only that socket: the other still gets updates.
	other.Next(wait)
	other.Next(wait)
	srv.Post(t, "/orders/A2", `{"amount":1}`)
	if o, ok := other.Next(wait).(api.Order); !ok || o.ID != "A2" || o.Total != 8 {
		t.Fatalf("other socket got %+v, want A2=8", o)
	}
}

func TestShutdownClosesSocketsWith1001(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{})
	var clients []*testenv.Client
	for i := range 5 {
		proto := ""
		if i%2 == 0 {
			proto = api.Subprotocol
		}
		clients = append(clients, srv.Dial(t, "electronics", proto))
	}
	for _, c := range clients {
		c.Read(wait)
	}
	srv.Stop()
	for i, c := range clients {
		if code := c.CloseCode(wait); code != int(api.CloseCodeGoingAway) {
			t.Fatalf("client %d: close code %d, want 1001", i, code)
		}
	}
}

func TestKickClosesWithChosenCode(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{})
	c := srv.Dial(t, "electronics", api.Subprotocol)
	w := c.Next(wait).(api.Welcome)
	resp, body := srv.Post(t, "/mock/disconnect", fmt.Sprintf(`{"session":%q,"code":4500,"reason":"bye"}`, w.Session))
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"closed":1`) {
		t.Fatalf("disconnect: %d %s", resp.StatusCode, body)
	}
	if code := c.CloseCode(wait); code != 4500 {
		t.Fatalf("close code %d, want 4500", code)
	}
}
