package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/scenario"
)

// Scenario controls: play a scenario (schema/scenario.schema.json, in JSON
// or YAML), see how far it got, stop it.

func (srv *Server) scenarioStatus(c *fiber.Ctx) error {
	return c.JSON(srv.cfg.Scenarios.Status())
}

// scenarioStart validates the body, a scenario, and plays it in place of
// the one playing; a scenario that cannot be played is refused with every
// fault and changes nothing.
func (srv *Server) scenarioStart(c *fiber.Ctx) error {
	ct := c.Get(fiber.HeaderContentType)
	if ct != "" && !isJSON(ct) && !isYAML(ct) {
		return problem(http.StatusUnsupportedMediaType, api.ErrorCodeUnsupportedMediaType,
			"a scenario is application/json or application/yaml, not "+ct)
	}
	plan, err := scenario.Load(c.Body(), "")
	if err == nil {
		var st api.ScenarioStatus
		if st, err = srv.cfg.Scenarios.Start(plan); err == nil {
			return c.Status(http.StatusAccepted).JSON(st)
		}
	}
	var se *scenario.Error
	if errors.As(err, &se) {
		return invalid("Scenario", se.Faults)
	}
	return err
}

func (srv *Server) scenarioStop(c *fiber.Ctx) error {
	return c.JSON(srv.cfg.Scenarios.Stop())
}

func isYAML(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	switch strings.TrimSpace(mt) {
	case "application/yaml", "application/x-yaml", "text/yaml":
		return true
	}
	return false
}
