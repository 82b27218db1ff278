package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// placer places orders through the load balancer, each with an
// idempotency key, and counts the first answer of each by the phase it was
// placed in: acknowledged (200), refused (an answer from an instance, such
// as 503 unavailable) or ambiguous (no answer from an instance: a broken
// connection, a timeout, or the load balancer's own 502 or 504). An order
// not acknowledged is tried again later with its key.
type placer struct {
	lb     string
	client *http.Client
	phase  atomic.Value // string

	mu       sync.Mutex
	orders   []*order
	outcomes map[string]*outcomes
	phases   []string
	reasons  map[string]int // refusals and ambiguities by status and code
}

type order struct {
	key, id string
	amount  int64
	acked   bool
}

type outcomes struct{ acknowledged, refused, ambiguous int }

func (o outcomes) String() string {
	return fmt.Sprintf("%d acknowledged, %d refused, %d ambiguous", o.acknowledged, o.refused, o.ambiguous)
}

func newPlacer(lb string) *placer {
	p := &placer{lb: lb, outcomes: map[string]*outcomes{}, reasons: map[string]int{},
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}}
	p.setPhase("baseline")
	return p
}

// setPhase names the phase the orders placed from now on count in.
func (p *placer) setPhase(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.outcomes[name] == nil {
		p.outcomes[name] = &outcomes{}
		p.phases = append(p.phases, name)
	}
	p.phase.Store(name)
}

// run places an order every interval on the products in turn, until ctx
// ends, with at most inFlight orders waiting for their answers; it
// returns once every order placed has its first answer.
func (p *placer) run(ctx context.Context, products []string, interval time.Duration, inFlight int) {
	sem := make(chan struct{}, inFlight)
	var wg sync.WaitGroup
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-tick.C:
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		o := &order{key: fmt.Sprintf("stack-%d-%d", time.Now().UnixNano(), n), id: products[n%len(products)], amount: int64(1 + n%5)}
		phase := p.phase.Load().(string)
		p.mu.Lock()
		p.orders = append(p.orders, o)
		p.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			res := p.place(o)
			p.mu.Lock()
			defer p.mu.Unlock()
			switch res {
			case acknowledged:
				o.acked = true
				p.outcomes[phase].acknowledged++
			case refused:
				p.outcomes[phase].refused++
			default:
				p.outcomes[phase].ambiguous++
			}
		}()
	}
}

type result int

const (
	acknowledged result = iota
	refused
	ambiguous
)

// place sends o once.
func (p *placer) place(o *order) result {
	req, err := http.NewRequest(http.MethodPost, p.lb+"/orders/"+o.id, strings.NewReader(fmt.Sprintf(`{"amount":%d}`, o.amount)))
	if err != nil {
		panic(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", o.key)
	resp, err := p.client.Do(req)
	if err != nil {
		p.reason("no answer")
		return ambiguous
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var answer struct{ ID, Code string }
	_ = json.Unmarshal(body, &answer)
	switch {
	case resp.StatusCode == http.StatusOK && answer.ID == o.id:
		return acknowledged
	case resp.StatusCode == http.StatusOK:
		p.reason("200 without the order")
		return ambiguous
	case resp.StatusCode == http.StatusBadGateway || resp.StatusCode == http.StatusGatewayTimeout:
		// The load balancer's own answer: the instance did not answer.
		p.reason(resp.Status + " from the load balancer")
		return ambiguous
	}
	p.reason(fmt.Sprintf("%d %s", resp.StatusCode, answer.Code))
	return refused
}

func (p *placer) reason(r string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reasons[r]++
}

// settle tries every order not yet acknowledged again, with its key,
// until each is or the deadline passes; it returns how many were tried
// again and how many are still not acknowledged.
func (p *placer) settle(deadline time.Time) (retried, left int) {
	p.mu.Lock()
	var todo []*order
	for _, o := range p.orders {
		if !o.acked {
			todo = append(todo, o)
		}
	}
	p.mu.Unlock()
	retried = len(todo)
	for len(todo) > 0 && time.Now().Before(deadline) {
		var next []*order
		for _, o := range todo {
			if p.place(o) == acknowledged {
				p.mu.Lock()
				o.acked = true
				p.mu.Unlock()
			} else {
				next = append(next, o)
			}
		}
		if todo = next; len(todo) > 0 {
			time.Sleep(500 * time.Millisecond)
		}
	}
	return retried, len(todo)
}

// sums returns the amount of the orders placed, by product, and their
// count.
func (p *placer) sums() (map[string]int64, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := map[string]int64{}
	for _, o := range p.orders {
		s[o.id] += o.amount
	}
	return s, len(p.orders)
}

// report returns the outcomes of each phase, in order.
func (p *placer) report() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	for _, name := range p.phases {
		fmt.Fprintf(&b, "%s: %v\n", name, *p.outcomes[name])
	}
	fmt.Fprintf(&b, "answers other than 200, retries included: %v", p.reasons)
	return b.String()
}
