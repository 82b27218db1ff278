package scenario

import (
	"sync"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/socket"
)

// maxRecorded bounds the messages a Recording keeps; later ones are
// counted as dropped.
const maxRecorded = 200_000

// Recording collects what sockets exchange, as a HAR document. It is a
// socket.Recorder; its methods are safe for concurrent use.
type Recording struct {
	mu       sync.Mutex
	sessions map[string]*recorded
	order    []string // session ids in the order first seen
	n        int
	dropped  int
}

type recorded struct {
	category string
	v1       bool
	entry    HAREntry
}

var _ socket.Recorder = (*Recording)(nil)

// NewRecording returns an empty Recording.
func NewRecording() *Recording { return &Recording{sessions: map[string]*recorded{}} }

// Record keeps m.
func (r *Recording) Record(m socket.Recorded) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n >= maxRecorded {
		r.dropped++
		return
	}
	s := r.sessions[m.Session]
	if s == nil {
		s = &recorded{category: m.Category, v1: m.V1}
		protocol := ""
		if m.V1 {
			protocol = api.Subprotocol
		}
		s.entry = wsEntry("/orders/"+m.Category, protocol, m.At)
		r.sessions[m.Session] = s
		r.order = append(r.order, m.Session)
	}
	typ := "receive"
	if m.Sent {
		typ = "send"
	}
	s.entry.Messages = append(s.entry.Messages, HARMessage{Type: typ, Time: epoch(m.At), Opcode: int(m.Op), Data: string(m.Data)})
	r.n++
}

// Counts returns how many sockets and messages were recorded, and how many
// messages were dropped past maxRecorded.
func (r *Recording) Counts() (sockets, messages, dropped int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.order), r.n, r.dropped
}

// HAR returns what was recorded, one entry per socket in the order they
// were first seen; base (such as ws://localhost:3000) starts each URL.
func (r *Recording) HAR(base string) HAR {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := HAR{Log: HARLog{Version: "1.2", Creator: HARCreator{Name: "liveorders", Version: "1"}, Entries: []HAREntry{}}}
	for _, id := range r.order {
		e := r.sessions[id].entry
		e.Request.URL = base + e.Request.URL
		e.Messages = append([]HARMessage(nil), e.Messages...)
		h.Log.Entries = append(h.Log.Entries, e)
	}
	return h
}
