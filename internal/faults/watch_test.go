package faults

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/testenv"
)

// A watcher is one socket of an instance that reads every frame until the
// test ends: the statuses it is told and when, and any total that goes
// backwards, or any update between a live status and its snapshot.
type watcher struct {
	inst     int
	category string
	v1       bool

	mu        sync.Mutex
	statuses  []statusAt
	faults    []string
	closeCode int
	highest   map[string]int64
	wantSnap  bool // a live status came: the snapshot must come next
}

// statusAt is a status message and when it was read.
type statusAt struct {
	at    time.Time
	live  bool
	cause api.StaleCause
	snap  time.Time // v1: when the snapshot that followed a live status came
}

// watch opens a socket on srv (protocol "" for the seed-compatible mode)
// and reads it until the test ends.
func watch(t *testing.T, h *history, inst int, srv *testenv.Server, category, protocol string) *watcher {
	t.Helper()
	d := dialer
	if protocol != "" {
		d.Subprotocols = []string{protocol}
	}
	conn, _, err := d.Dial(srv.WS+"/orders/"+category, nil)
	if err != nil {
		t.Fatalf("dial instance %d: %v", inst, err)
	}
	w := &watcher{inst: inst, category: category, v1: protocol != "", highest: map[string]int64{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.read(conn)
	}()
	t.Cleanup(func() {
		_ = conn.Close()
		<-done
	})
	return w
}

func (w *watcher) read(conn *fws.Conn) {
	for {
		_, b, err := conn.ReadMessage()
		if err != nil {
			var ce *fws.CloseError
			w.mu.Lock()
			if asClose(err, &ce) {
				w.closeCode = ce.Code
			}
			w.mu.Unlock()
			return
		}
		now := time.Now()
		if !w.v1 {
			var ot api.OrderTotal
			if err := json.Unmarshal(b, &ot); err != nil {
				w.fault("seed-compatible frame %s: %v", b, err)
				continue
			}
			w.total(string(ot.ID), int64(ot.Total), "frame")
			continue
		}
		m, err := api.DecodeMessage(b)
		if err != nil {
			continue // a type this test does not know
		}
		switch m := m.(type) {
		case api.Ping:
			_ = conn.WriteMessage(fws.TextMessage, []byte(`{"cmd":"pong"}`))
		case api.LiveStatus:
			w.mu.Lock()
			w.statuses = append(w.statuses, statusAt{at: now, live: m.Live, cause: m.Cause})
			w.wantSnap = m.Live
			w.mu.Unlock()
		case api.Snapshot:
			w.mu.Lock()
			if w.wantSnap {
				w.statuses[len(w.statuses)-1].snap = now
				w.wantSnap = false
			}
			w.mu.Unlock()
			for _, it := range m.Items {
				w.total(string(it.ID), int64(it.Total), "snapshot")
			}
		case api.Order:
			w.mu.Lock()
			if w.wantSnap {
				w.faults = append(w.faults, fmt.Sprintf("an update of %s before the snapshot that follows live", m.ID))
				w.wantSnap = false
			}
			w.mu.Unlock()
			w.total(string(m.ID), int64(m.Total), "order")
		}
	}
}

// total checks that id's total does not go backwards.
func (w *watcher) total(id string, total int64, what string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if h, ok := w.highest[id]; ok && total < h {
		w.faults = append(w.faults, fmt.Sprintf("%s total went backwards in a %s: %d after %d", id, what, total, h))
	}
	w.highest[id] = max(w.highest[id], total)
}

func (w *watcher) fault(format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.faults = append(w.faults, fmt.Sprintf(format, args...))
}

// check fails the test with the watcher's faults.
func (w *watcher) check(t *testing.T) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, f := range w.faults {
		t.Errorf("instance %d, %s socket on %s: %s", w.inst, mode(w.v1), w.category, f)
	}
}

// signals returns how long after cut the socket was told it is not live,
// and how long after heal it was told it is live again with its snapshot
// (-1: it was not), or whether it was closed with the stale code.
func (w *watcher) signals(cut, heal time.Time) (stale, live time.Duration, closed int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	stale, live = -1, -1
	for _, s := range w.statuses {
		switch {
		case !s.live && stale < 0 && !s.at.Before(cut):
			stale = s.at.Sub(cut)
		case s.live && live < 0 && !s.at.Before(heal) && !s.snap.IsZero():
			live = s.snap.Sub(heal)
		}
	}
	return stale, live, w.closeCode
}

func mode(v1 bool) string {
	if v1 {
		return "v1"
	}
	return "seed-compatible"
}

func asClose(err error, target **fws.CloseError) bool {
	ce, ok := err.(*fws.CloseError)
	if ok {
		*target = ce
	}
	return ok
}
