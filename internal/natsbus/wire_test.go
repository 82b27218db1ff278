package natsbus_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/testenv"
)

// order posts {amount} to /orders/id on s, with key as its
// Idempotency-Key unless empty, and returns the status and the answer.
func order(t *testing.T, s *testenv.Server, id string, amount int, key string) (int, []byte) {
	t.Helper()
	h := http.Header{"Content-Type": {"application/json"}}
	if key != "" {
		h.Set("Idempotency-Key", key)
	}
	resp, body := s.Do(t, http.MethodPost, "/orders/"+id, fmt.Sprintf(`{"amount":%d}`, amount), h)
	return resp.StatusCode, body
}

func total(t *testing.T, body []byte) int64 {
	t.Helper()
	var ot api.OrderTotal
	if err := json.Unmarshal(body, &ot); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	return int64(ot.Total)
}

func problemCode(t *testing.T, body []byte) string {
	t.Helper()
	var p struct {
		Code string `json:"code"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	return p.Code
}

// An order posted with an Idempotency-Key on one instance and retried on
// another, and after both were replaced by a new one, is placed once and
// answered with its first total; the key with another body is a 409
// idempotency_conflict problem on any of them.
func TestIdempotencyKeyHeaderAcrossInstances(t *testing.T) {
	n := testenv.NATS(t)
	a, b := instance(t, n), instance(t, n)
	status, body := order(t, a, "A1", 3, "checkout-7")
	if status != http.StatusOK {
		t.Fatalf("first POST: %d %s", status, body)
	}
	first := total(t, body)
	if status, body := order(t, b, "A1", 1, ""); status != http.StatusOK { // the total moves on
		t.Fatalf("POST without a key: %d %s", status, body)
	}
	for _, s := range []*testenv.Server{a, b} {
		status, body := order(t, s, "A1", 3, "checkout-7")
		if status != http.StatusOK || total(t, body) != first {
			t.Fatalf("retry: %d %s, want 200 with the first total %d", status, body, first)
		}
		status, body = order(t, s, "A1", 4, "checkout-7")
		if status != http.StatusConflict || problemCode(t, body) != string(api.ErrorCodeIdempotencyConflict) {
			t.Fatalf("another amount under the key: %d %s, want 409 idempotency_conflict", status, body)
		}
	}
	a.Stop()
	b.Stop()
	n.Restart()
	c := instance(t, n)
	if status, body := order(t, c, "A1", 3, "checkout-7"); status != http.StatusOK || total(t, body) != first {
		t.Fatalf("retry after the restarts: %d %s, want 200 with %d", status, body, first)
	}
	p, ok := c.Hub.Product("electronics", "A1")
	if !ok || int64(p.Total) != first+1 {
		t.Fatalf("A1 total %d, want %d: the keyed order counted once and the other once", p.Total, first+1)
	}
	if status, body := order(t, c, "A1", 1, "two words"); status != http.StatusBadRequest || problemCode(t, body) != string(api.ErrorCodeInvalidPayload) {
		t.Fatalf("a malformed key: %d %s, want 400 invalid_payload", status, body)
	}
}

// place-order with a key on one instance's socket and again on another's
// gets the same placed answer; the key with another amount is an
// idempotency_conflict error naming /payload/key, and the socket stays
// open.
func TestPlaceOrderKeyAcrossSockets(t *testing.T) {
	n := testenv.NATS(t)
	a, b := instance(t, n), instance(t, n)
	dial := func(s *testenv.Server) *testenv.Client {
		c := s.Dial(t, "confectionery", api.Subprotocol)
		c.Next(wait) // welcome
		c.Next(wait) // snapshot
		return c
	}
	placed := func(c *testenv.Client, ref string) api.Placed {
		t.Helper()
		for {
			switch m := c.Next(wait).(type) {
			case api.Placed:
				if string(m.Ref) != ref {
					t.Fatalf("placed for ref %q, want %q", m.Ref, ref)
				}
				return m
			case api.Error:
				t.Fatalf("error %+v, want placed", m)
			}
		}
	}
	ca, cb := dial(a), dial(b)
	ca.Send(`{"cmd":"place-order","payload":{"id":"B1","amount":5,"key":"sock-1"},"ref":"1"}`)
	first := placed(ca, "1")
	cb.Send(`{"cmd":"place-order","payload":{"id":"B1","amount":2},"ref":"2"}`)
	placed(cb, "2")
	cb.Send(`{"cmd":"place-order","payload":{"id":"B1","amount":5,"key":"sock-1"},"ref":"3"}`)
	again := placed(cb, "3")
	if again.Seq != first.Seq || again.Total != first.Total {
		t.Fatalf("retry on b = seq %d total %d, want the first: seq %d total %d", again.Seq, again.Total, first.Seq, first.Total)
	}
	cb.Send(`{"cmd":"place-order","payload":{"id":"B1","amount":6,"key":"sock-1"},"ref":"4"}`)
	for {
		m := cb.Next(wait)
		if e, ok := m.(api.Error); ok {
			if e.Code != api.ErrorCodeIdempotencyConflict || string(e.Ref) != "4" || len(e.Details) != 1 || e.Details[0].Pointer != "/payload/key" {
				t.Fatalf("error %+v, want idempotency_conflict for ref 4 naming /payload/key", e)
			}
			break
		}
		if _, ok := m.(api.Placed); ok {
			t.Fatalf("the reused key placed an order: %+v", m)
		}
	}
	cb.Send(`{"cmd":"place-order","payload":{"id":"B1","amount":1,"key":"sock-2"},"ref":"5"}`)
	if p := placed(cb, "5"); p.Total != first.Total+2+1 {
		t.Fatalf("after the conflict: total %d, want %d", p.Total, first.Total+3)
	}
}

// /readyz answers 503 with the cause once the instance's log was reset
// under it, and keeps answering reads.
func TestReadyzReportsResetLog(t *testing.T) {
	n := testenv.NATS(t)
	a := instance(t, n)
	if resp, body := a.Get(t, "/readyz"); resp.StatusCode != http.StatusOK {
		t.Fatalf("/readyz: %d %s", resp.StatusCode, body)
	}
	deleteStream(t, n.URL, "LIVEORDERS")
	instance(t, n) // creates the stream again
	eventually(t, func() error {
		resp, body := a.Get(t, "/readyz")
		var r struct {
			Status string `json:"status"`
			Cause  string `json:"cause"`
		}
		if err := json.Unmarshal(body, &r); err != nil {
			return fmt.Errorf("%s: %v", body, err)
		}
		if resp.StatusCode != http.StatusServiceUnavailable || r.Status != "not ready" || !strings.Contains(r.Cause, "log reset") {
			return fmt.Errorf("/readyz: %d %s, want 503 not ready with the cause", resp.StatusCode, body)
		}
		return nil
	})
	if resp, body := a.Get(t, "/electronics"); resp.StatusCode != http.StatusOK {
		t.Fatalf("a read after the reset: %d %s", resp.StatusCode, body)
	}
	if status, body := order(t, a, "A1", 1, ""); status != http.StatusServiceUnavailable {
		t.Fatalf("a write after the reset: %d %s, want 503", status, body)
	}
}
