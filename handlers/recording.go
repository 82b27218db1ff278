package handlers

import (
	"github.com/gofiber/fiber/v2"
	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/scenario"
)

// Recording controls: record what the sockets exchange, as a HAR document
// that POST /mock/scenario replays.

func (srv *Server) recordingStatus(c *fiber.Ctx) error {
	srv.recMu.Lock()
	rec, on := srv.rec, srv.recOn
	srv.recMu.Unlock()
	st := api.RecordingStatus{Recording: on}
	if rec != nil {
		s, m, d := rec.Counts()
		st.Sockets, st.Messages, st.Dropped = int64(s), int64(m), int64(d)
	}
	return c.JSON(st)
}

func (srv *Server) recordingStart(c *fiber.Ctx) error {
	rec := scenario.NewRecording()
	srv.recMu.Lock()
	srv.rec, srv.recOn = rec, true
	srv.cfg.Sockets.Record(rec)
	srv.recMu.Unlock()
	return srv.recordingStatus(c)
}

func (srv *Server) recordingStop(c *fiber.Ctx) error {
	srv.recMu.Lock()
	srv.recOn = false
	srv.cfg.Sockets.Record(nil)
	srv.recMu.Unlock()
	return srv.recordingStatus(c)
}

// recordingHAR answers the recording, empty when none was started.
func (srv *Server) recordingHAR(c *fiber.Ctx) error {
	srv.recMu.Lock()
	rec := srv.rec
	srv.recMu.Unlock()
	if rec == nil {
		rec = scenario.NewRecording()
	}
	scheme := "ws://"
	if c.Protocol() == "https" {
		scheme = "wss://"
	}
	return c.JSON(rec.HAR(scheme + c.Hostname()))
}
