package scenario

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/orders"
)

// Limits of a scenario beyond what the schema says.
const (
	// maxOffset bounds every at, over and interval.
	maxOffset = time.Hour
	// minInterval is the shortest interval of a running stream.
	minInterval = time.Millisecond
	// maxLatency is the mock controls' bound on the added latency.
	maxLatency = 5 * time.Second
	// maxActions bounds the actions a scenario compiles to (each order of
	// a burst or a stream is one).
	maxActions = 100_000
	// defaultCloseCode is a close step's code when it names none: 4000,
	// reconnect.
	defaultCloseCode = int(api.CloseCodeReconnect)
)

// kind is what an action does.
type kind uint8

const (
	simOrder kind = iota // a simulated order: product and amount drawn when applied
	placeOrder
	raiseTotal
	addProduct
	setLatency
	closeSockets
	expireTokens
	setStatus
	mark // a step with nothing to apply of its own (rate, pause, resume)
)

// action is one thing a plan applies, at its offset.
type action struct {
	at       time.Duration
	step     int // the index of the step it comes from
	kind     kind
	category string
	id       string
	n        int64 // placeOrder: amount; raiseTotal: total; closeSockets: code
	reason   string
	delay    time.Duration
	product  orders.NewProduct
	live     bool
}

// ref is a category or product a plan names, checked against the catalogue
// when it starts.
type ref struct {
	pointer  string
	category string // a category that must exist
	id       string // else a product that must exist or be added before
	step     int
}

// Plan is a compiled scenario: its actions in the order they apply.
type Plan struct {
	Name string
	Seed uint64
	// Steps is the number of steps of the scenario.
	Steps int
	// Duration is the offset of the last action.
	Duration time.Duration
	source   string
	actions  []action
	refs     []ref
}

// Actions returns the number of actions the plan applies.
func (p *Plan) Actions() int { return len(p.actions) }

// stream is the state of a scenario's stream of simulated orders while it
// compiles.
type stream struct {
	interval time.Duration
	category string
	running  bool
	next     time.Duration
	step     int
}

// Compile checks what the schema cannot (the order of the steps, the
// bounds of durations, close codes) and turns sc into a plan; source names
// it in errors.
func Compile(sc api.Scenario, source string) (*Plan, error) {
	p := &Plan{Name: sc.Name, Seed: uint64(sc.Seed), Steps: len(sc.Steps), source: source}
	var fs faults
	var s stream
	var last time.Duration
	emit := func(until time.Duration) {
		for s.running && s.interval > 0 && s.next < until && len(p.actions) <= maxActions {
			p.actions = append(p.actions, action{at: s.next, step: s.step, kind: simOrder, category: s.category})
			s.next += s.interval
		}
	}
	for i, st := range sc.Steps {
		if st == nil {
			continue // it does not match the schema: Load reports it
		}
		at0 := "/steps/" + strconv.Itoa(i)
		n := len(fs)
		at := offset(&fs, at0+"/at", stepAt(st))
		if at < last && len(fs) == n {
			fs.add(at0+"/at", fmt.Sprintf("is before the at of the step before it (%s): steps are applied in order", last))
		}
		at = max(at, last)
		last = at
		emit(at)
		a := action{at: at, step: i, kind: mark}
		switch st := st.(type) {
		case api.BurstStep:
			over := offset(&fs, at0+"/over", st.Over)
			p.need(at0+"/category", string(st.Category), i)
			p.actions = append(p.actions, a)
			for k := range min(st.Orders, maxActions) {
				a = action{at: at + time.Duration(int64(over)*k/st.Orders), step: i, kind: simOrder, category: string(st.Category)}
				p.actions = append(p.actions, a)
			}
			p.actions = p.actions[:len(p.actions)-1] // appended again below
		case api.RateStep:
			iv := offset(&fs, at0+"/interval", st.Interval)
			if iv > 0 && iv < minInterval {
				fs.add(at0+"/interval", "must be 0 (stop) or at least "+minInterval.String())
			}
			p.need(at0+"/category", string(st.Category), i)
			s = stream{interval: iv, category: string(st.Category), running: iv > 0, next: at, step: i}
		case api.PauseStep:
			s.running = false
		case api.ResumeStep:
			if !s.running && s.interval > 0 {
				s.running, s.next = true, at
			}
		case api.OrderStep:
			a.kind, a.id, a.n = placeOrder, string(st.ID), int64(st.Amount)
			p.refs = append(p.refs, ref{pointer: at0 + "/id", id: a.id, step: i})
		case api.TotalStep:
			a.kind, a.id, a.n = raiseTotal, string(st.ID), int64(st.Total)
			p.refs = append(p.refs, ref{pointer: at0 + "/id", id: a.id, step: i})
		case api.ProductStep:
			a.kind, a.category = addProduct, string(st.Category)
			a.product = orders.NewProduct{Name: st.Product.Name, RRP: string(st.Product.Rrp), Info: st.Product.Info}
			p.need(at0+"/category", a.category, i)
		case api.LatencyStep:
			a.kind, a.delay = setLatency, offset(&fs, at0+"/delay", st.Delay)
			if a.delay > maxLatency {
				fs.add(at0+"/delay", "must be at most "+maxLatency.String())
			}
		case api.CloseStep:
			a.kind, a.category, a.reason, a.n = closeSockets, string(st.Category), st.Reason, int64(defaultCloseCode)
			if st.Code != nil {
				a.n = *st.Code
			}
			if !closeCode(int(a.n)) {
				fs.add(at0+"/code", "must be 1000, a code of the protocol (1001, 1008, 1011, 1012, 1013, 4000-4999) or 3000-4999")
			}
			p.need(at0+"/category", a.category, i)
		case api.ExpireTokensStep:
			a.kind, a.category = expireTokens, string(st.Category)
			p.need(at0+"/category", a.category, i)
		case api.StatusStep:
			a.kind, a.live, a.reason = setStatus, st.Live, string(st.Cause)
			if !st.Live && st.Cause == "" {
				a.reason = string(api.StaleCauseStoreUnreachable)
			}
		}
		p.actions = append(p.actions, a)
		if len(p.actions) > maxActions {
			fs.add(at0, fmt.Sprintf("makes the scenario longer than %d actions (each order of a burst or a rate is one)", maxActions))
			break
		}
	}
	emit(last)
	if len(fs) > 0 {
		return nil, &Error{Source: source, Faults: fs}
	}
	// A burst's orders run past the steps that follow it: order by time,
	// keeping the order of generation for equal times.
	slices.SortStableFunc(p.actions, func(a, b action) int { return int(a.at - b.at) })
	if n := len(p.actions); n > 0 {
		p.Duration = p.actions[n-1].at
	}
	return p, nil
}

// need records that the step names category, when it names one.
func (p *Plan) need(pointer, category string, step int) {
	if category != "" {
		p.refs = append(p.refs, ref{pointer: pointer, category: category, step: step})
	}
}

// offset parses an Offset the schema has checked; "" is 0.
func offset(fs *faults, pointer string, o api.Offset) time.Duration {
	if o == "" || o == "0" {
		return 0
	}
	d, err := time.ParseDuration(string(o))
	if err != nil || d > maxOffset {
		fs.add(pointer, "must be a duration of at most "+maxOffset.String())
		return 0
	}
	return d
}

// stepAt returns a step's at.
func stepAt(st api.Step) api.Offset {
	switch st := st.(type) {
	case api.BurstStep:
		return st.At
	case api.RateStep:
		return st.At
	case api.PauseStep:
		return st.At
	case api.ResumeStep:
		return st.At
	case api.OrderStep:
		return st.At
	case api.TotalStep:
		return st.At
	case api.ProductStep:
		return st.At
	case api.LatencyStep:
		return st.At
	case api.CloseStep:
		return st.At
	case api.ExpireTokensStep:
		return st.At
	case api.StatusStep:
		return st.At
	}
	return ""
}

// closeCode reports whether a close step may use code, as
// POST /mock/disconnect allows.
func closeCode(code int) bool {
	return code == 1000 || (code >= 3000 && code <= 4999) || api.CloseCode(code).Valid()
}
