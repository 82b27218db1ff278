package faults

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/natsbus"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/internal/server"
	"github.com/liveorders/liveorders/internal/socket"
	"github.com/liveorders/liveorders/internal/testenv"
)

// signal bounds how long after a cut or a heal a socket must hear of it
// (the liveness rule's threshold is 2 s).
const signal = 3 * time.Second

// instanceVia starts an instance whose NATS connection goes through link,
// with staleClose as its -stale-close.
func instanceVia(t *testing.T, link *testenv.Link, staleClose time.Duration) *testenv.Server {
	t.Helper()
	st := storeOn(t, "nats://"+link.Addr, natsbus.Config{})
	return testenv.Start(t, testenv.Options{Store: st, Config: func(c *server.Config) { c.Socket.StaleClose = staleClose }})
}

// nextStatus reads v1 messages until a status, failing after timeout; it
// returns the status and how long it took.
func nextStatus(t *testing.T, c *testenv.Client, timeout time.Duration) (api.LiveStatus, time.Duration) {
	t.Helper()
	start := time.Now()
	for {
		left := timeout - time.Since(start)
		if left <= 0 {
			t.Fatalf("no status within %v", timeout)
		}
		if st, ok := c.Next(left).(api.LiveStatus); ok {
			return st, time.Since(start)
		}
	}
}

// A cut-off instance tells its v1 sockets, its load balancer and its
// writers at once, and on the heal gives every socket its category's
// current totals, which moved meanwhile on another instance.
func TestStatusAcrossACut(t *testing.T) {
	ns := testenv.NATS(t)
	link := testenv.NewLink(t, strings.TrimPrefix(ns.URL, "nats://"))
	srv := instanceVia(t, link, 0)
	other := storeOn(t, ns.URL, natsbus.Config{})

	v1 := srv.Dial(t, "electronics", api.Subprotocol)
	if _, ok := v1.Next(signal).(api.Welcome); !ok {
		t.Fatal("first message is not welcome")
	}
	if _, ok := v1.Next(signal).(api.Snapshot); !ok {
		t.Fatal("a live instance sent something between welcome and the snapshot")
	}
	bare := srv.Dial(t, "electronics", "")
	for range 2 {
		bare.NextTotal(signal)
	}

	link.Cut(true)
	st, took := nextStatus(t, v1, signal+time.Second)
	if st.Live || st.Cause != api.StaleCause(orders.CauseUnreachable) {
		t.Fatalf("status after the cut: %+v, want not live, store_unreachable", st)
	}
	t.Logf("not live %v after the cut: %s", took, st.Message)
	resp, body := srv.Get(t, "/readyz")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "store_unreachable") {
		t.Fatalf("/readyz while cut: %d %s", resp.StatusCode, body)
	}
	if _, body := srv.Get(t, "/metrics"); !strings.Contains(string(body), "\nliveorders_ready 0\n") ||
		!strings.Contains(string(body), "\nliveorders_store_ready 0\n") {
		t.Error("/metrics while cut: liveorders_ready and liveorders_store_ready are not 0")
	}
	resp, body = srv.Post(t, "/orders/A1", `{"amount":1}`)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "unavailable") {
		t.Fatalf("order while cut: %d %s", resp.StatusCode, body)
	}
	// A socket opened now hears it right after welcome.
	late := srv.Dial(t, "electronics", api.Subprotocol)
	if _, ok := late.Next(signal).(api.Welcome); !ok {
		t.Fatal("first message is not welcome")
	}
	if st, ok := late.Next(signal).(api.LiveStatus); !ok || st.Live {
		t.Fatalf("after welcome on a stale instance: %+v, want status not live", st)
	}
	// Meanwhile the log moves on elsewhere.
	u, err := other.PlaceOrder(context.Background(), orders.Order{ID: "A1", Amount: 5})
	if err != nil {
		t.Fatal(err)
	}

	link.Cut(false)
	for _, c := range []*testenv.Client{v1, late} {
		st, took := nextStatus(t, c, signal+2*time.Second)
		if !st.Live {
			t.Fatalf("status after the heal: %+v, want live", st)
		}
		t.Logf("live %v after the heal", took)
		// The snapshot comes before any further update, with the
		// total made elsewhere.
		for {
			m := c.Next(signal)
			if s, ok := m.(api.Snapshot); ok {
				if got := totalOf(s, "A1"); got != u.Total {
					t.Fatalf("snapshot after the heal has A1 %d, want %d", got, u.Total)
				}
				break
			}
			if _, ok := m.(api.Order); !ok {
				t.Fatalf("after live: %T, want the snapshot", m)
			}
		}
	}
	// The seed-compatible socket got no status, and gets A1's new total.
	deadline := time.Now().Add(signal)
	for {
		b := bare.Read(time.Until(deadline))
		var ot api.OrderTotal
		if err := json.Unmarshal(b, &ot); err != nil || ot.ID == "" {
			t.Fatalf("seed-compatible socket got %s", b)
		}
		if ot.ID == "A1" && int64(ot.Total) == u.Total {
			break
		}
	}
	if resp, body := srv.Get(t, "/readyz"); resp.StatusCode != http.StatusOK {
		t.Fatalf("/readyz after the heal: %d %s", resp.StatusCode, body)
	}
}

// An instance stale for -stale-close closes its v1 sockets with 4002 and
// keeps its seed-compatible ones.
func TestStaleClose(t *testing.T) {
	ns := testenv.NATS(t)
	link := testenv.NewLink(t, strings.TrimPrefix(ns.URL, "nats://"))
	srv := instanceVia(t, link, time.Second)
	v1 := srv.Dial(t, "electronics", api.Subprotocol)
	bare := srv.Dial(t, "electronics", "")
	for range 2 {
		bare.NextTotal(signal)
	}
	link.BlackHole(true)
	if code := v1.CloseCode(signal + 2*time.Second); code != socket.CloseStale {
		t.Fatalf("v1 socket closed with %d, want %d", code, socket.CloseStale)
	}
	// A socket opened later in the same outage stays open, told it is
	// not live.
	late := srv.Dial(t, "electronics", api.Subprotocol)
	late.Next(signal) // welcome
	if st, ok := late.Next(signal).(api.LiveStatus); !ok || st.Live {
		t.Fatalf("after welcome: %+v, want status not live", st)
	}
	// The closed socket's session ends once its client has closed too.
	deadline := time.Now().Add(signal)
	for srv.Sockets.Count() != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d sockets open after the stale close, want 2 (the seed-compatible one and the late one)", srv.Sockets.Count())
		}
		time.Sleep(10 * time.Millisecond) // polling with a deadline
	}
	// The seed-compatible socket is still served: a ping frame is
	// answered.
	if err := bare.Conn.WriteControl(9, []byte("x"), time.Now().Add(time.Second)); err != nil {
		t.Fatalf("seed-compatible socket: %v", err)
	}
	link.BlackHole(false)
	if st, _ := nextStatus(t, late, signal+2*time.Second); !st.Live {
		t.Fatalf("after the heal: %+v, want live", st)
	}
}

func totalOf(s api.Snapshot, id string) int64 {
	for _, it := range s.Items {
		if string(it.ID) == id {
			return int64(it.Total)
		}
	}
	return -1
}

// A v1 socket hears that its instance is shutting down before its 1001.
func TestShutdownSaysSo(t *testing.T) {
	srv := testenv.Start(t, testenv.Options{})
	v1 := srv.Dial(t, "electronics", api.Subprotocol)
	v1.Next(signal) // welcome
	v1.Next(signal) // snapshot
	go srv.Stop()
	st, _ := nextStatus(t, v1, signal)
	if st.Live || st.Cause != api.StaleCause(orders.CauseShuttingDown) {
		t.Fatalf("status at shutdown: %+v, want not live, shutting_down", st)
	}
	if code := v1.CloseCode(signal); code != 1001 {
		t.Fatalf("closed with %d, want 1001", code)
	}
}
