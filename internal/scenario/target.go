package scenario

import (
	"context"
	"time"

	"github.com/liveorders/liveorders/internal/orders"
)

// Target is what a scenario drives: the server's store, sockets and
// simulated stream. internal/server provides one.
type Target interface {
	// PlaceOrder and AddProduct change the store, as the HTTP routes do.
	PlaceOrder(ctx context.Context, o orders.Order) (orders.Update, error)
	AddProduct(ctx context.Context, category string, p orders.NewProduct) (orders.Update, error)
	// Products returns the product ids of category in display order,
	// every product's when category is "", and false when there is no
	// such category.
	Products(category string) ([]string, bool)
	// Total returns the total of product id, and false when there is no
	// such product.
	Total(id string) (int64, bool)
	// Latency and SetLatency read and set the latency added to sockets.
	Latency() time.Duration
	SetLatency(d time.Duration)
	// CloseSockets closes the sockets following category (all for "")
	// with code and reason; ExpireTokens expires their tokens.
	CloseSockets(category string, code int, reason string) int
	ExpireTokens(category string) int
	// SetLiveness tells the sockets whether their totals are live.
	SetLiveness(l orders.Liveness)
	// PauseSim pauses the server's own simulated orders and returns the
	// function that puts them back as they were.
	PauseSim() (restore func())
	// Settle returns once the update at log position seq has reached
	// every socket's outbox and, when no latency is added, every socket
	// has written what it has pending, or when ctx ends.
	Settle(ctx context.Context, seq uint64)
}
