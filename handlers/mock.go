package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/auth"
)

// Mock controls let frontend developers make the server misbehave on
// purpose. They exist only outside production mode.

type simControl struct {
	Interval *string `json:"interval"` // a Go duration, "0" stops
	Paused   *bool   `json:"paused"`
	Seed     *uint64 `json:"seed"`
	Step     int     `json:"step"` // place this many orders now
}

type disconnectControl struct {
	Session string `json:"session"` // "" closes every socket
	Code    int    `json:"code"`
	Reason  string `json:"reason"`
}

type latencyControl struct {
	Delay string `json:"delay"` // a Go duration; "0" turns it off
}

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
}

func (srv *Server) latencyState(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"delay": srv.cfg.Sockets.Latency().String()})
}

// latencySet delays every socket's outgoing frames by the given duration,
// as a slow network would.
func (srv *Server) latencySet(c *fiber.Ctx) error {
	var in latencyControl
	if err := strictJSON(c.Body(), &in); err != nil {
		return err
	}
	d, err := time.ParseDuration(in.Delay)
	if in.Delay == "0" {
		d, err = 0, nil
	}
	if err != nil || d < 0 || d > maxLatency {
		return badControl("/delay", "must be a duration from 0 to "+maxLatency.String()+", such as \"250ms\"")
	}
	srv.cfg.Sockets.SetLatency(d)
	return srv.latencyState(c)
}

func (srv *Server) simState(c *fiber.Ctx) error {
	st := srv.cfg.Sim.State()
	return c.JSON(fiber.Map{"interval": st.Interval.String(), "paused": st.Paused})
}

func (srv *Server) simSet(c *fiber.Ctx) error {
	var in simControl
	if err := strictJSON(c.Body(), &in); err != nil {
		return err
	}
	if in.Interval != nil {
		d, err := time.ParseDuration(*in.Interval)
		if err != nil || d < 0 {
			return badControl("/interval", "must be a non-negative duration such as \"500ms\"")
		}
		srv.cfg.Sim.SetInterval(d)
	}
	if in.Seed != nil {
		srv.cfg.Sim.Reseed(*in.Seed)
	}
	if in.Paused != nil {
		if *in.Paused {
			srv.cfg.Sim.Pause()
		} else {
			srv.cfg.Sim.Resume()
		}
	}
	if in.Step < 0 || in.Step > 1000 {
		return badControl("/step", "must be between 0 and 1000")
	}
	for range in.Step {
		srv.cfg.Sim.Step(c.UserContext())
	}
	return srv.simState(c)
}

func (srv *Server) disconnect(c *fiber.Ctx) error {
	in := disconnectControl{Code: int(api.CloseCodeReconnect)}
	if err := strictJSON(c.Body(), &in); err != nil {
		return err
	}
	if in.Code != 1000 && (in.Code < 3000 || in.Code > 4999) && !api.CloseCode(in.Code).Valid() {
		return badControl("/code", "must be 1000, a code of the protocol, or 3000-4999")
	}
	n := srv.cfg.Sockets.Kick(in.Session, in.Code, in.Reason)
	return c.JSON(fiber.Map{"closed": n})
}

func strictJSON(body []byte, dst any) error {
	if len(body) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return problem(http.StatusBadRequest, api.ErrorCodeInvalidPayload, fmt.Sprintf("invalid control body: %v", err))
	}
	return nil
}

func badControl(pointer, reason string) error {
	p := problem(http.StatusBadRequest, api.ErrorCodeInvalidPayload, pointer+": "+reason)
	p.details = []api.ErrorDetail{{Pointer: pointer, Reason: reason}}
	return p
}
