package handlers

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/auth"
)

// Mock controls let frontend developers make the server misbehave on
// purpose. They exist only outside production mode. Their bodies are the
// Mock* definitions of schema/operations.schema.json; an empty body
// changes nothing.

// maxLatency bounds the added latency: below the write deadline's default,
// so a delayed socket is never taken for a stalled one.
const maxLatency = 5 * time.Second

// mockRoutes registers the controls; when auth is on, each needs a token
// with mock:control, and the changes count as writes.
func (srv *Server) mockRoutes() {
	change := srv.write(auth.ScopeMockControl)
	srv.app.Get("/mock/sim", srv.mockControl, srv.simState)
	srv.app.Post("/mock/sim", change, srv.simSet)
	srv.app.Post("/mock/disconnect", change, srv.disconnect)
	srv.app.Get("/mock/latency", srv.mockControl, srv.latencyState)
	srv.app.Post("/mock/latency", change, srv.latencySet)
	if srv.cfg.Scenarios != nil {
		srv.app.Get("/mock/scenario", srv.mockControl, srv.scenarioStatus)
		srv.app.Post("/mock/scenario", change, srv.scenarioStart)
		srv.app.Delete("/mock/scenario", change, srv.scenarioStop)
	}
	srv.app.Post("/mock/recording", change, srv.recordingStart)
	srv.app.Get("/mock/recording", srv.mockControl, srv.recordingHAR)
	srv.app.Delete("/mock/recording", change, srv.recordingStop)
}

func (srv *Server) latencyState(c *fiber.Ctx) error {
	return c.JSON(api.MockLatency{Delay: api.Duration(srv.cfg.Sockets.Latency().String())})
}

// latencySet delays every socket's outgoing frames by the given duration,
// as a slow network would.
func (srv *Server) latencySet(c *fiber.Ctx) error {
	var in api.MockLatencyControl
	if empty, err := decodeControl(c, "MockLatencyControl", &in); empty || err != nil {
		if err != nil {
			return err
		}
		return srv.latencyState(c)
	}
	d, err := parseDuration(in.Delay)
	if err != nil || d > maxLatency {
		return badControl("/delay", "must be a duration from 0 to "+maxLatency.String()+", such as \"250ms\"")
	}
	srv.cfg.Sockets.SetLatency(d)
	return srv.latencyState(c)
}

func (srv *Server) simState(c *fiber.Ctx) error {
	st := srv.cfg.Sim.State()
	return c.JSON(api.MockSim{Interval: api.Duration(st.Interval.String()), Paused: st.Paused})
}

func (srv *Server) simSet(c *fiber.Ctx) error {
	var in api.MockSimControl
	if _, err := decodeControl(c, "MockSimControl", &in); err != nil {
		return err
	}
	if in.Interval != "" {
		d, err := parseDuration(in.Interval)
		if err != nil {
			return badControl("/interval", "must be a non-negative duration such as \"500ms\"")
		}
		srv.cfg.Sim.SetInterval(d)
	}
	if in.Seed != nil {
		srv.cfg.Sim.Reseed(uint64(*in.Seed))
	}
	if in.Paused != nil {
		if *in.Paused {
			srv.cfg.Sim.Pause()
		} else {
			srv.cfg.Sim.Resume()
		}
	}
	if in.Step != nil {
		for range *in.Step {
			srv.cfg.Sim.Step(c.UserContext())
		}
	}
	return srv.simState(c)
}

func (srv *Server) disconnect(c *fiber.Ctx) error {
	in := api.MockDisconnect{Code: ptr(int64(api.CloseCodeReconnect))}
	if _, err := decodeControl(c, "MockDisconnect", &in); err != nil {
		return err
	}
	code := int(*in.Code)
	if code != 1000 && (code < 3000 || code > 4999) && !api.CloseCode(code).Valid() {
		return badControl("/code", "must be 1000, a code of the protocol, or 3000-4999")
	}
	n := srv.cfg.Sockets.Kick(in.Session, code, in.Reason)
	return c.JSON(api.MockDisconnected{Closed: int64(n)})
}

// decodeControl validates a control's body against its definition and
// decodes it into dst; an empty body is no change (empty true).
func decodeControl(c *fiber.Ctx, def string, dst any) (empty bool, err error) {
	if len(c.Body()) == 0 {
		return true, nil
	}
	return false, decodeBody(c, "operations.schema.json#/$defs/"+def, def, dst)
}

// parseDuration reads a non-negative Go duration; "0" alone is zero.
func parseDuration(s string) (time.Duration, error) {
	if s == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err == nil && d < 0 {
		err = fmt.Errorf("negative duration %s", s)
	}
	return d, err
}

func ptr[T any](v T) *T { return &v }

func badControl(pointer, reason string) error {
	p := problem(http.StatusBadRequest, api.ErrorCodeInvalidPayload, pointer+": "+reason)
	p.details = []api.ErrorDetail{{Pointer: pointer, Reason: reason}}
	return p
}
