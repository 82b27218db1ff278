package server

import (
	"context"
	"time"

	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/internal/scenario"
)

// settlePoll is how often bench.Settle looks whether the sockets have
// written everything: far below the gap between two actions of a scenario
// anyone writes, far above the cost of a look.
const settlePoll = 200 * time.Microsecond

// bench is the instance as a scenario's target.
type bench struct{ s *Server }

var _ scenario.Target = bench{}

func (b bench) PlaceOrder(ctx context.Context, o orders.Order) (orders.Update, error) {
	return b.s.Store.PlaceOrder(ctx, o)
}

func (b bench) AddProduct(ctx context.Context, category string, p orders.NewProduct) (orders.Update, error) {
	return b.s.Store.AddProduct(ctx, category, p)
}

func (b bench) Products(category string) ([]string, bool) {
	if category == "" {
		return b.s.Hub.ProductIDs(), true
	}
	ps, ok := b.s.Hub.Products(category)
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	return ids, ok
}

func (b bench) Total(id string) (int64, bool) {
	category, ok := b.s.Hub.CategoryOf(id)
	if !ok {
		return 0, false
	}
	p, ok := b.s.Hub.Product(category, id)
	return p.Total, ok
}

func (b bench) Latency() time.Duration     { return b.s.Sockets.Latency() }
func (b bench) SetLatency(d time.Duration) { b.s.Sockets.SetLatency(d) }

func (b bench) CloseSockets(category string, code int, reason string) int {
	return b.s.Sockets.CloseCategory(category, code, reason)
}

func (b bench) ExpireTokens(category string) int { return b.s.Sockets.ExpireTokens(category) }

func (b bench) SetLiveness(l orders.Liveness) { b.s.Sockets.SetLiveness(l) }

func (b bench) PauseSim() func() { return b.s.Sim.Hold() }

func (b bench) Settle(ctx context.Context, seq uint64) {
	if b.s.Hub.Wait(ctx, seq) != nil || b.s.Sockets.Latency() > 0 {
		return
	}
	t := time.NewTicker(settlePoll)
	defer t.Stop()
	for !b.s.Sockets.Settled() {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
