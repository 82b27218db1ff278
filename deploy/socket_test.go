package deploy

import (
	"encoding/json"
	"strings"
	"sync"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/liveorders/liveorders/api"
)

// watcher is a liveorders.v1 client of one category through the load
// balancer, as the web page is: it answers pings, keeps the latest total of
// each product by seq, and when its socket ends it dials again until it is
// back, timing each outage.
type watcher struct {
	ws, category string

	mu      sync.Mutex
	totals  map[string]entry
	drops   int
	outages []time.Duration // from the socket's end to the next snapshot
	err     error           // a message that could not be decoded
	conn    *fws.Conn
	stopped bool
	done    chan struct{}
}

type entry struct {
	total int64
	seq   int64
}

// watch opens a watcher of category through ws (ws://host:port).
func watch(ws, category string) *watcher {
	w := &watcher{ws: ws, category: category, totals: map[string]entry{}, done: make(chan struct{})}
	go w.run()
	return w
}

func (w *watcher) run() {
	defer close(w.done)
	var lost time.Time // when the socket ended; zero while connected
	for {
		conn := w.dial()
		if conn == nil {
			return // stopped
		}
		first := true
		for {
			_, b, err := conn.ReadMessage()
			if err != nil {
				break
			}
			m, err := api.DecodeMessage(b)
			if err != nil {
				w.fail(err)
				continue
			}
			switch m := m.(type) {
			case api.Ping:
				_ = conn.WriteMessage(fws.TextMessage, []byte(`{"cmd":"pong"}`))
			case api.Snapshot:
				w.mu.Lock()
				w.totals = map[string]entry{}
				for _, it := range m.Items {
					w.totals[string(it.ID)] = entry{int64(it.Total), int64(m.Seq)}
				}
				if first && !lost.IsZero() {
					w.outages = append(w.outages, time.Since(lost))
					lost = time.Time{}
				}
				first = false
				w.mu.Unlock()
			case api.Order:
				w.mu.Lock()
				if e := w.totals[string(m.ID)]; int64(m.Seq) > e.seq {
					w.totals[string(m.ID)] = entry{int64(m.Total), int64(m.Seq)}
				}
				w.mu.Unlock()
			}
		}
		_ = conn.Close()
		w.mu.Lock()
		if w.stopped {
			w.mu.Unlock()
			return
		}
		w.drops++
		w.mu.Unlock()
		if lost.IsZero() {
			lost = time.Now()
		}
	}
}

// dial connects, trying again every 100 ms; nil once stopped.
func (w *watcher) dial() *fws.Conn {
	d := fws.Dialer{HandshakeTimeout: 3 * time.Second, Subprotocols: []string{api.Subprotocol}}
	for {
		w.mu.Lock()
		stopped := w.stopped
		w.mu.Unlock()
		if stopped {
			return nil
		}
		conn, _, err := d.Dial(w.ws+"/orders/"+w.category, nil)
		if err == nil {
			w.mu.Lock()
			w.conn = conn
			if w.stopped {
				w.mu.Unlock()
				_ = conn.Close()
				return nil
			}
			w.mu.Unlock()
			return conn
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (w *watcher) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
	}
}

// view returns the totals the watcher shows, product → total.
func (w *watcher) view() map[string]int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	v := make(map[string]int64, len(w.totals))
	for id, e := range w.totals {
		v[id] = e.total
	}
	return v
}

// stats returns how many times the socket ended and the outages timed.
func (w *watcher) stats() (int, []time.Duration, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.drops, append([]time.Duration(nil), w.outages...), w.err
}

// stop closes the socket and waits for the watcher to end.
func (w *watcher) stop() {
	w.mu.Lock()
	w.stopped = true
	if w.conn != nil {
		_ = w.conn.Close()
	}
	w.mu.Unlock()
	<-w.done
}

// snapshot opens a fresh v1 socket and returns its first snapshot's totals.
func snapshot(ws, category string) (map[string]int64, error) {
	d := fws.Dialer{HandshakeTimeout: 3 * time.Second, Subprotocols: []string{api.Subprotocol}}
	conn, _, err := d.Dial(ws+"/orders/"+category, nil)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, b, err := conn.ReadMessage()
		if err != nil {
			return nil, err
		}
		m, err := api.DecodeMessage(b)
		if err != nil {
			return nil, err
		}
		if s, ok := m.(api.Snapshot); ok {
			v := map[string]int64{}
			for _, it := range s.Items {
				v[string(it.ID)] = int64(it.Total)
			}
			return v, nil
		}
	}
}

// seedFrames opens a seed-mode socket (no subprotocol, as the original
// client opens it) and returns a channel of its frames, closed when the
// socket ends, and a function that closes it.
func seedFrames(ws, category string) (<-chan api.OrderTotal, func(), error) {
	d := fws.Dialer{HandshakeTimeout: 3 * time.Second}
	conn, _, err := d.Dial(ws+"/orders/"+category, nil)
	if err != nil {
		return nil, nil, err
	}
	ch := make(chan api.OrderTotal, 1024)
	go func() {
		defer close(ch)
		for {
			_, b, err := conn.ReadMessage()
			if err != nil {
				return
			}
			var ot api.OrderTotal
			if json.NewDecoder(strings.NewReader(string(b))).Decode(&ot) == nil {
				select {
				case ch <- ot:
				default:
				}
			}
		}
	}()
	return ch, func() { _ = conn.Close() }, nil
}
