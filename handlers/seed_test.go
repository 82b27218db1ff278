package handlers_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/testenv"
)

// TestOriginalClientFlow replays, request by request, what the original
// tutorial client (shared/original/client/app.js) does when served from
// another origin (it ran on port 5050) and pointed at this server with
// ?api=: list, add a product, one socket, switch with update-category.
func TestOriginalClientFlow(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{})
	origin := http.Header{"Origin": {"http://127.0.0.1:5050"}}

	// populateProducts("electronics")
	resp, body := srv.Do(t, "GET", "/electronics", "", origin)
	var list []map[string]string
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") == "" || json.Unmarshal(body, &list) != nil || len(list) != 2 {
		t.Fatalf("GET /electronics: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	// realtimeOrders("electronics"): the socket, from the app's origin.
	conn, _, err := srv.DialErr("electronics", "", origin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := testenv.Wrap(t, conn)
	got := map[string]int64{}
	for range 2 {
		ot := c.NextTotal(wait)
		got[string(ot.ID)] = int64(ot.Total)
	}
	if got["A1"] != 3 || got["A2"] != 7 {
		t.Fatalf("initial totals %v, want A1=3 A2=7", got)
	}
	// The add form: a preflighted POST with {name, rrp, info}, all strings.
	pre := http.Header{"Origin": origin["Origin"], "Access-Control-Request-Method": {"POST"}, "Access-Control-Request-Headers": {"content-type"}}
	if resp, _ := srv.Do(t, "OPTIONS", "/electronics", "", pre); resp.StatusCode != 204 {
		t.Fatalf("preflight: %d", resp.StatusCode)
	}
	resp, body = srv.Do(t, "POST", "/electronics", `{"name":"Kettle","rrp":"19.5","info":"Boils."}`, origin)
	if resp.StatusCode != 200 || json.Unmarshal(body, &list) != nil || len(list) != 3 || list[2]["id"] != "A3" || list[2]["name"] != "Kettle" {
		t.Fatalf("POST /electronics: %d %s", resp.StatusCode, body)
	}
	// The app then calls realtimeOrders again: update-category on the same
	// socket. The new product comes with its total 0 (as an update, then in
	// the resent snapshot).
	c.Send(`{"cmd":"update-category","payload":{"category":"electronics"}}`)
	seen := map[string]bool{}
	for !seen["A1"] || !seen["A2"] || !seen["A3"] {
		ot := c.NextTotal(wait)
		seen[string(ot.ID)] = true
		if ot.ID == "A3" && ot.Total != 0 {
			t.Fatalf("new product total %d, want 0", ot.Total)
		}
	}
	// Switch category on the same socket; live totals follow.
	c.Send(`{"cmd":"update-category","payload":{"category":"confectionery"}}`)
	for {
		if ot := c.NextTotal(wait); ot.ID == "B1" {
			if ot.Total != 101 {
				t.Fatalf("B1 total %d, want 101", ot.Total)
			}
			break
		}
	}
	srv.Post(t, "/orders/B1", `{"amount":3}`)
	if ot := c.NextTotal(wait); ot != (api.OrderTotal{ID: "B1", Total: 104}) {
		t.Fatalf("live total %+v, want B1=104", ot)
	}
}
