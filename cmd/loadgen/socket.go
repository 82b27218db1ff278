package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/liveorders/liveorders/api"
)

// rec is one product total a socket received: a live frame or an item of a
// snapshot. at is nanoseconds since the run's epoch.
type rec struct {
	at    int64
	total int64
	prod  int32
	snap  bool
}

// interval is a span during which a socket followed one category: from
// the arrival of its snapshot to the sending of the next switch (or the
// end of the run). Its records are recs[from:to].
type interval struct {
	cat        int
	start, end int64
	from, to   int
}

// counters are updated by every reader; the progress line reads them.
type counters struct {
	frames, updates  atomic.Int64
	lastFrame        atomic.Int64 // ns since epoch
	connErrors       atomic.Int64
	serverErrors     atomic.Int64
	switchesSent     atomic.Int64
	switchesAnswered atomic.Int64
	open             atomic.Int64
	wrongCategory    atomic.Int64
	malformed        atomic.Int64
	backwards, dupes atomic.Int64
}

// sock is one client socket. Its reader goroutine owns every field below
// wmu except those wmu guards.
type sock struct {
	idx  int
	v1   bool
	conn *websocket.Conn
	cat  *catalogue
	cnt  *counters
	ep   time.Time

	recs   []rec
	ivals  []interval
	last   []int64 // last total per product of the current interval; -1: none yet
	closed error   // why reading ended early; nil: ended by loadgen
	code   int     // close code received, if any
	ready  chan struct{}
	gotSnp bool

	wmu       sync.Mutex // serialises writes; guards the fields below
	pending   string     // ref of the switch waiting for its snapshot
	pendSent  int64
	pendCat   int
	switchSeq int
	switchLat []int64
}

// dialer opens sockets; with kernelStamps, frames are timed by when the
// kernel received them (see stampConn), else by when they were read.
func dialer(ep time.Time, kernelStamps bool) *websocket.Dialer {
	nd := &net.Dialer{Timeout: 10 * time.Second}
	dial := nd.DialContext
	if kernelStamps {
		dial = dialStamped(nd, ep)
	}
	return &websocket.Dialer{
		NetDialContext:   dial,
		HandshakeTimeout: 15 * time.Second,
		ReadBufferSize:   2048,
		WriteBufferSize:  512,
	}
}

// dial opens the socket on category cat.
func (s *sock) dial(ctx context.Context, d *websocket.Dialer, addr string, cat int) error {
	h := http.Header{}
	if s.v1 {
		h.Set("Sec-WebSocket-Protocol", api.Subprotocol)
	}
	conn, resp, err := d.DialContext(ctx, "ws://"+addr+"/orders/"+s.cat.names[cat], h)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		if resp != nil {
			return errors.New(err.Error() + ": HTTP " + strconv.Itoa(resp.StatusCode))
		}
		return err
	}
	if s.v1 && conn.Subprotocol() != api.Subprotocol {
		conn.Close()
		return errors.New("server did not accept subprotocol " + api.Subprotocol)
	}
	s.conn = conn
	s.last = make([]int64, len(s.cat.ids))
	if !s.v1 {
		// A bare socket has no snapshot message: its first frames are one per
		// product, and it follows cat from the start.
		s.openInterval(cat, s.now())
		s.gotSnp = true
		close(s.ready)
	}
	return nil
}

func (s *sock) now() int64 { return int64(time.Since(s.ep)) }

// arrival is when the frame just read arrived: its kernel receive stamp
// when the connection has one, else now.
func (s *sock) arrival() int64 {
	now := s.now()
	if sc, ok := s.conn.NetConn().(*stampConn); ok && sc.stamp > 0 {
		return min(sc.stamp, now)
	}
	return now
}

func (s *sock) openInterval(cat int, at int64) {
	if n := len(s.ivals); n > 0 {
		s.ivals[n-1].to = len(s.recs)
	}
	for _, p := range s.cat.byCat[cat] {
		s.last[p] = -1
	}
	s.ivals = append(s.ivals, interval{cat: cat, start: at, end: -1, from: len(s.recs)})
}

// read is the socket's reader; it returns when the connection ends.
func (s *sock) read(stopping *atomic.Bool) {
	defer func() {
		if n := len(s.ivals); n > 0 {
			s.ivals[n-1].to = len(s.recs)
		}
	}()
	s.conn.SetPingHandler(func(data string) error {
		s.wmu.Lock()
		defer s.wmu.Unlock()
		return s.conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(5*time.Second))
	})
	var buf []byte // reused: a frame is parsed before the next is read
	for {
		data, err := readMessage(s.conn, buf[:0])
		buf = data[:0]
		if err != nil {
			if !stopping.Load() {
				var ce *websocket.CloseError
				if errors.As(err, &ce) {
					s.code = ce.Code
				}
				s.closed = err
				s.cnt.connErrors.Add(1)
			}
			return
		}
		at := s.arrival()
		s.cnt.frames.Add(1)
		s.cnt.lastFrame.Store(at)
		s.frame(data, at)
	}
}

// readMessage reads the next data message into buf, growing it as needed:
// unlike the library's ReadMessage it does not allocate one per message.
func readMessage(c *websocket.Conn, buf []byte) ([]byte, error) {
	_, r, err := c.NextReader()
	if err != nil {
		return buf, err
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

var (
	v1OrderPrefix = []byte(`{"type":"order",`)
	barePrefix    = []byte(`{"id":"`)
	idKey         = []byte(`"id":"`)
	totalKey      = []byte(`"total":`)
)

// frame records one received frame.
func (s *sock) frame(data []byte, at int64) {
	switch {
	case s.v1 && bytes.HasPrefix(data, v1OrderPrefix), !s.v1 && bytes.HasPrefix(data, barePrefix):
		id, total, ok := parseIDTotal(data)
		if !ok {
			s.cnt.malformed.Add(1)
			return
		}
		s.update(id, total, at)
		return
	}
	msg, err := api.DecodeMessage(data)
	if err != nil {
		s.cnt.malformed.Add(1)
		return
	}
	switch m := msg.(type) {
	case api.Snapshot:
		s.snapshot(m, at)
	case api.Ping:
		s.write([]byte(`{"cmd":"pong"}`))
	case api.Error:
		s.cnt.serverErrors.Add(1)
	case api.Order:
		s.update([]byte(m.ID), int64(m.Total), at)
	}
}

// parseIDTotal finds the id and total of an order frame without decoding
// it: the server writes them in a fixed form (api.AppendOrder).
func parseIDTotal(data []byte) (id []byte, total int64, ok bool) {
	i := bytes.Index(data, idKey)
	if i < 0 {
		return nil, 0, false
	}
	rest := data[i+len(idKey):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return nil, 0, false
	}
	id = rest[:j]
	k := bytes.Index(rest, totalKey)
	if k < 0 {
		return nil, 0, false
	}
	num := rest[k+len(totalKey):]
	n := 0
	for n < len(num) && num[n] >= '0' && num[n] <= '9' {
		n++
	}
	total, err := strconv.ParseInt(string(num[:n]), 10, 64)
	return id, total, err == nil && n > 0
}

func (s *sock) update(id []byte, total int64, at int64) {
	p, ok := s.cat.ids[string(id)]
	if !ok {
		s.cnt.malformed.Add(1)
		return
	}
	if len(s.ivals) == 0 {
		s.cnt.wrongCategory.Add(1) // an update before the first snapshot
		return
	}
	cur := s.ivals[len(s.ivals)-1].cat
	if s.cat.catOf[p] != cur {
		s.wmu.Lock()
		switching := s.pending != ""
		s.wmu.Unlock()
		if !switching {
			// A frame of another category after the snapshot of this one.
			s.cnt.wrongCategory.Add(1)
		}
		return
	}
	s.cnt.updates.Add(1)
	switch prev := s.last[p]; {
	case total < prev:
		s.cnt.backwards.Add(1)
	case total == prev:
		s.cnt.dupes.Add(1)
	default:
		s.last[p] = total
	}
	s.recs = append(s.recs, rec{at: at, total: total, prod: int32(p)})
}

func (s *sock) snapshot(m api.Snapshot, at int64) {
	cat, ok := s.cat.catIdx[string(m.Category)]
	if !ok {
		s.cnt.malformed.Add(1)
		return
	}
	if m.Ref != "" {
		s.wmu.Lock()
		if string(m.Ref) == s.pending {
			s.switchLat = append(s.switchLat, at-s.pendSent)
			s.pending = ""
			s.cnt.switchesAnswered.Add(1)
			if n := len(s.ivals); n > 0 {
				s.ivals[n-1].end = s.pendSent
			}
		}
		s.wmu.Unlock()
	}
	s.openInterval(cat, at)
	for _, it := range m.Items {
		p, ok := s.cat.ids[string(it.ID)]
		if !ok {
			continue
		}
		s.last[p] = int64(it.Total)
		s.recs = append(s.recs, rec{at: at, total: int64(it.Total), prod: int32(p), snap: true})
	}
	if !s.gotSnp {
		s.gotSnp = true
		close(s.ready)
	}
}

// switchCategory asks for the next category; it is a no-op while a switch
// is still unanswered.
func (s *sock) switchCategory(ep time.Time) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.pending != "" || !s.gotSnp {
		return
	}
	s.switchSeq++
	s.pendCat = (s.pendCat + 1) % len(s.cat.names)
	ref := strconv.Itoa(s.idx) + "-" + strconv.Itoa(s.switchSeq)
	cmd := `{"cmd":"update-category","payload":{"category":"` + s.cat.names[s.pendCat] + `"},"ref":"` + ref + `"}`
	s.pending, s.pendSent = ref, int64(time.Since(ep))
	_ = s.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := s.conn.WriteMessage(websocket.TextMessage, []byte(cmd)); err != nil {
		s.pending = ""
		return
	}
	s.cnt.switchesSent.Add(1)
}

func (s *sock) write(b []byte) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_ = s.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_ = s.conn.WriteMessage(websocket.TextMessage, b)
}

// close sends a normal close frame and closes the connection, which ends
// the reader.
func (s *sock) close() {
	if s.conn == nil {
		return
	}
	s.wmu.Lock()
	_ = s.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	s.wmu.Unlock()
	s.conn.Close()
}
