package schemacompat

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// WebClientTag is the tag a released OpenAPI document gave the files of the
// web client (its page, scripts and style sheet). They were listed as
// operations once; they are the page's, not the API's.
const WebClientTag = "web client"

// LeftOut is an operation of a released OpenAPI document that the
// comparison leaves out: it is not a route of the API, and the server still
// serves it or it is a file of the web client.
type LeftOut struct {
	At    Location
	Route string // GET /app.js
	Why   string
}

// String is the operation on one line, like an HTTPChange.
func (l LeftOut) String() string {
	return fmt.Sprintf("%s: HTTP %s: %s: not compared", l.At, l.Route, l.Why)
}

// LeaveOut removes from the released document doc (named name) the
// operations that are not routes of the API: those it tagged WebClientTag,
// and those at the paths in unlisted, which the route table lists as served
// besides the API (the handlers tests check that the server serves them).
// It returns the document without them, and what it removed.
func LeaveOut(name string, doc []byte, unlisted []string) ([]byte, []LeftOut, error) {
	var d map[string]any
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, nil, fmt.Errorf("schemacompat: %s: %w", name, err)
	}
	paths, _ := d["paths"].(map[string]any)
	var out []LeftOut
	for p, item := range paths {
		ops, _ := item.(map[string]any)
		for method, op := range ops {
			o, _ := op.(map[string]any)
			tags, _ := o["tags"].([]any)
			var why string
			switch {
			case slices.Contains(unlisted, p):
				why = "served, listed in the route table as not an API route"
			case slices.Contains(tags, any(WebClientTag)):
				why = "a file of the web client, not an API route"
			default:
				continue
			}
			out = append(out, LeftOut{
				At:    Location{File: name, Pointer: "/paths/" + escape(p) + "/" + method},
				Route: strings.ToUpper(method) + " " + p,
				Why:   why,
			})
			delete(ops, method)
		}
		if len(ops) == 0 {
			delete(paths, p)
		}
	}
	slices.SortFunc(out, func(a, b LeftOut) int { return strings.Compare(a.At.String(), b.At.String()) })
	if len(out) == 0 {
		return doc, nil, nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, nil, err
	}
	return b, out, nil
}
