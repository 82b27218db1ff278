package socket

import (
	"time"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/hub"
	"github.com/liveorders/liveorders/internal/ws"
)

// heartbeat pings every session each Heartbeat, one goroutine for all:
// seed-compatible clients with a protocol ping (browsers answer it; their
// scripts cannot see it), v1 clients with a ping message, which their
// scripts answer with pong. Any frame from the client renews its
// session's read deadline.
func (e *Engine) heartbeat() {
	defer close(e.beatDone)
	msg, _ := (api.Ping{}).MarshalJSON()
	v1Ping := ws.AppendText(nil, msg)
	barePing := ws.AppendFrame(nil, ws.OpPing, nil)
	t := time.NewTicker(e.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-e.stopBeat:
			return
		case <-t.C:
		}
		e.each(func(s *Session) {
			frame := barePing
			if s.mode == hub.V1 {
				frame = v1Ping
				e.metrics.MessageSent(api.MessageTypePing)
			}
			s.queue(frame)
		})
	}
}
