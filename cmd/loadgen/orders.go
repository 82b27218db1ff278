package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/liveorders/liveorders/api"
)

// catalogue is the server's products, indexed.
type catalogue struct {
	names  []string       // categories in display order
	catIdx map[string]int // category name → index in names
	ids    map[string]int // product id → product index
	prods  []string       // product index → id
	catOf  []int          // product index → category index
	byCat  [][]int        // category index → product indexes
}

// fetchCatalogue reads the categories and their products over HTTP.
func fetchCatalogue(ctx context.Context, c *http.Client, addr string) (*catalogue, error) {
	var names []string
	if err := getJSON(ctx, c, "http://"+addr+"/categories", &names); err != nil {
		return nil, err
	}
	cat := &catalogue{catIdx: make(map[string]int), ids: make(map[string]int)}
	for i, n := range names {
		var ps []api.Product
		if err := getJSON(ctx, c, "http://"+addr+"/"+url.PathEscape(n), &ps); err != nil {
			return nil, err
		}
		cat.names = append(cat.names, n)
		cat.catIdx[n] = i
		var idx []int
		for _, p := range ps {
			cat.ids[string(p.ID)] = len(cat.prods)
			idx = append(idx, len(cat.prods))
			cat.prods = append(cat.prods, string(p.ID))
			cat.catOf = append(cat.catOf, i)
		}
		cat.byCat = append(cat.byCat, idx)
	}
	if len(cat.prods) == 0 {
		return nil, fmt.Errorf("the server at %s has no products", addr)
	}
	return cat, nil
}

func getJSON(ctx context.Context, c *http.Client, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("GET %s: %s: %s", u, resp.Status, b)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// order is one order placed: its product, the total the server answered
// and its scheduled send time (ns since the epoch).
type order struct {
	prod  int32
	total int64
	sched int64
	done  int64
}

// placer places orders at a fixed rate, open loop: each is due at its
// scheduled time whatever happened to the previous ones, and its latency
// counts from then. A send due while every worker is busy is skipped.
type placer struct {
	client *http.Client
	addr   string
	cat    *catalogue
	ep     time.Time

	mu      sync.Mutex
	orders  []order
	errs    map[string]int
	maxSeen []int64 // highest total answered per product

	scheduled, sent, ok, failed, skipped atomic.Int64
}

type job struct {
	prod  int
	sched int64
}

// run places orders from now until end, and returns once every answer is in.
func (p *placer) run(ctx context.Context, rate float64, end time.Time, workers int, seed int64) {
	if rate <= 0 {
		return
	}
	jobs := make(chan job, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				p.place(ctx, j)
			}
		})
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 7))
	period := time.Duration(float64(time.Second) / rate)
	start := time.Now()
loop:
	for i := 0; ; i++ {
		due := start.Add(time.Duration(i) * period)
		if !due.Before(end) {
			break
		}
		if d := time.Until(due); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				break loop
			}
		}
		p.scheduled.Add(1)
		select {
		case jobs <- job{prod: rng.IntN(len(p.cat.prods)), sched: int64(due.Sub(p.ep))}:
		default:
			p.skipped.Add(1)
		}
	}
	close(jobs)
	wg.Wait()
}

func (p *placer) place(ctx context.Context, j job) {
	p.sent.Add(1)
	id := p.cat.prods[j.prod]
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+p.addr+"/orders/"+url.PathEscape(id), bytes.NewReader([]byte(`{"amount":1}`)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		p.fail(err.Error())
		return
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		p.fail(fmt.Sprintf("HTTP %d", resp.StatusCode))
		return
	}
	var ot api.OrderTotal
	if err := json.Unmarshal(body, &ot); err != nil || string(ot.ID) != id {
		p.fail("bad answer: " + string(body))
		return
	}
	p.ok.Add(1)
	p.mu.Lock()
	p.orders = append(p.orders, order{prod: int32(j.prod), total: int64(ot.Total), sched: j.sched, done: int64(time.Since(p.ep))})
	p.maxSeen[j.prod] = max(p.maxSeen[j.prod], int64(ot.Total))
	p.mu.Unlock()
}

func (p *placer) fail(reason string) {
	p.failed.Add(1)
	p.mu.Lock()
	if len(p.errs) < 20 || p.errs[reason] > 0 {
		p.errs[reason]++
	}
	p.mu.Unlock()
}
