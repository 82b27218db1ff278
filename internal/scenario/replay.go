package scenario

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/schema"
)

// seedFrame is the definition of a seed-compatible frame.
const seedFrame = "messages.schema.json#/$defs/OrderTotal"

// seen is a total a recorded frame showed, at a time.
type seen struct {
	at    float64
	id    string
	total int64
}

// FromHAR turns a HAR recording (as Chrome's DevTools, Playwright or
// GET /mock/recording write it) into a scenario that replays it: every
// total its liveorders sockets received becomes a total step at the time
// it was received, from the first message on. Every received frame is
// first checked against the contract; a frame that does not match it is
// reported with its place in the HAR, and nothing is replayed. Frames the
// page sent are the page's own: they are not replayed. source names the
// recording in errors.
func FromHAR(data []byte, source string) (api.Scenario, error) {
	var h HAR
	if err := json.Unmarshal(data, &h); err != nil {
		return api.Scenario{}, &Error{Source: source, Faults: []schema.Violation{{Reason: "not a HAR document: " + err.Error()}}}
	}
	var fs faults
	var totals []seen
	t0 := 0.0
	sockets := 0
	for i, e := range h.Log.Entries {
		if e.ResourceType != "websocket" && len(e.Messages) == 0 {
			continue
		}
		if u, err := url.Parse(e.Request.URL); err != nil || !strings.HasPrefix(u.Path, "/orders/") {
			continue // another socket of the page
		}
		sockets++
		for j, m := range e.Messages {
			if t0 == 0 || m.Time < t0 {
				t0 = m.Time
			}
			if m.Type != "receive" {
				continue
			}
			at := "/log/entries/" + strconv.Itoa(i) + "/_webSocketMessages/" + strconv.Itoa(j)
			if m.Opcode != 1 {
				fs.add(at+"/opcode", fmt.Sprintf("is %d: the contract has only text frames (1)", m.Opcode))
				continue
			}
			for _, ot := range frameTotals(&fs, at+"/data", m.Data) {
				totals = append(totals, seen{at: m.Time, id: string(ot.ID), total: int64(ot.Total)})
			}
		}
	}
	if sockets == 0 {
		fs.add("/log/entries", "holds no socket of /orders/{category} with _webSocketMessages")
	}
	if len(fs) > 0 {
		return api.Scenario{}, &Error{Source: source, Faults: fs}
	}
	slices.SortStableFunc(totals, func(a, b seen) int {
		switch {
		case a.at < b.at:
			return -1
		case a.at > b.at:
			return 1
		}
		return 0
	})
	sc := api.Scenario{Name: "replay of " + source, Steps: []api.Step{}}
	if source == "" {
		sc.Name = "replay of a recording"
	}
	known := map[string]int64{}
	for _, s := range totals {
		if last, ok := known[s.id]; ok && s.total <= last {
			continue // another socket's copy of a total, or an older one
		}
		known[s.id] = s.total
		d := time.Duration((s.at - t0) * float64(time.Second)).Round(time.Millisecond)
		sc.Steps = append(sc.Steps, api.TotalStep{At: api.Offset(d.String()), ID: api.ProductID(s.id), Total: api.Total(s.total)})
	}
	if len(sc.Steps) == 0 {
		return api.Scenario{}, &Error{Source: source, Faults: []schema.Violation{{Pointer: "/log/entries", Reason: "its sockets received no total"}}}
	}
	return sc, nil
}

// frameTotals checks a received frame against the contract and returns the
// totals it carries: a seed-compatible frame's, a snapshot's items, an
// order's or a placed answer's. Frames of types this server does not know
// carry none (clients ignore them too).
func frameTotals(fs *faults, at, data string) []api.OrderTotal {
	var v any
	if err := json.Unmarshal([]byte(data), &v); err != nil {
		fs.add(at, "is not JSON: "+err.Error())
		return nil
	}
	obj, _ := v.(map[string]any)
	typ, isV1 := obj["type"].(string)
	def := seedFrame
	if isV1 {
		ref, ok := api.MessageSchemas[api.MessageType(typ)]
		if !ok {
			return nil
		}
		def = ref
	}
	if vs := schema.Validate(def, v); vs != nil {
		name := def[strings.LastIndex(def, "/")+1:]
		for _, f := range vs {
			fs.add(at, fmt.Sprintf("the frame does not match %s: %s", name, api.Describe(f)))
		}
		return nil
	}
	if !isV1 {
		var ot api.OrderTotal
		_ = json.Unmarshal([]byte(data), &ot)
		return []api.OrderTotal{ot}
	}
	m, err := api.DecodeMessage([]byte(data))
	if err != nil {
		fs.add(at, err.Error())
		return nil
	}
	switch m := m.(type) {
	case api.Snapshot:
		return m.Items
	case api.Order:
		return []api.OrderTotal{{ID: m.ID, Total: m.Total}}
	case api.Placed:
		return []api.OrderTotal{{ID: m.ID, Total: m.Total}}
	}
	return nil
}
