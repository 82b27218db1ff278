package schemacompat

import (
	"fmt"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oasdiff/oasdiff/checker"
	"github.com/oasdiff/oasdiff/diff"
	"github.com/oasdiff/oasdiff/load"
)

// HTTPChange is one change between two OpenAPI documents that oasdiff
// reports as breaking (an error) or possibly breaking (a warning): a route,
// method, status, parameter or body change an HTTP client may notice.
type HTTPChange struct {
	// At is the operation in the changed document (or the released one,
	// for a removed operation): openapi.json#/paths/~1orders~1{id}/post.
	At Location
	// Route is the method and path: POST /orders/{id}.
	Route string
	// ID is oasdiff's name of the rule: new-required-request-property.
	ID string
	// Text says what changed, in oasdiff's words.
	Text string
	// Breaking is true for oasdiff's errors; its warnings are false.
	Breaking bool
}

// String is the change on one line, like a Finding.
func (c HTTPChange) String() string {
	verdict := "warning"
	if c.Breaking {
		verdict = "BREAKING"
	}
	return fmt.Sprintf("%s: HTTP %s: %s [%s]: %s", c.At, c.Route, c.Text, c.ID, verdict)
}

// DiffOpenAPI compares the released OpenAPI document with the changed one
// with oasdiff's backward-compatibility checks. The names are the files the
// documents come from, as the changes name them.
func DiffOpenAPI(oldName string, old []byte, newName string, new []byte) ([]HTTPChange, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	s1, err := load.NewSpecInfoFromData(loader, old, oldName)
	if err != nil {
		return nil, fmt.Errorf("schemacompat: %s: %w", oldName, err)
	}
	s2, err := load.NewSpecInfoFromData(loader, new, newName)
	if err != nil {
		return nil, fmt.Errorf("schemacompat: %s: %w", newName, err)
	}
	d, sources, err := diff.GetPathsDiff(diff.NewConfig(), []*load.SpecInfo{s1}, []*load.SpecInfo{s2})
	if err != nil {
		return nil, fmt.Errorf("schemacompat: oasdiff: %w", err)
	}
	l := checker.NewDefaultLocalizer()
	var out []HTTPChange
	for _, c := range checker.CheckBackwardCompatibility(checker.NewConfig(checker.GetAllChecks()), d, sources) {
		file := newName // where the operation is; where it was, if it is gone
		if item := s2.Spec.Paths.Value(c.GetPath()); item == nil || (c.GetOperation() != "" && item.GetOperation(c.GetOperation()) == nil) {
			file = oldName
		}
		at := Location{File: file, Pointer: "/paths/" + escape(c.GetPath())}
		if op := c.GetOperation(); op != "" {
			at = at.child(strings.ToLower(op))
		}
		out = append(out, HTTPChange{
			At:       at,
			Route:    strings.TrimSpace(c.GetOperation() + " " + c.GetPath()),
			ID:       c.GetId(),
			Text:     strings.TrimSpace(c.GetUncolorizedText(l)),
			Breaking: c.GetLevel() == checker.ERR,
		})
	}
	slices.SortStableFunc(out, func(a, b HTTPChange) int {
		if c := strings.Compare(a.At.String(), b.At.String()); c != 0 {
			return c
		}
		return strings.Compare(a.ID+a.Text, b.ID+b.Text)
	})
	return out, nil
}
