package natsbus

import (
	"context"
	"fmt"
	"sync"

	"github.com/liveorders/liveorders/internal/orders"
	"github.com/nats-io/nats.go"
)

// link is the NATS connection as a Store sees it: a context that ends
// when the connection is lost and is renewed when it is back, and a signal
// on back each time it is. Its goroutine is run, which follows the
// connection's status; the connection itself belongs to whoever made it.
type link struct {
	nc     *nats.Conn
	status chan nats.Status
	back   chan struct{} // signalled when the connection is back

	mu   sync.Mutex
	conn context.Context // ends when the connection is lost
	lose context.CancelFunc
}

// newLink listens to nc's status from now on.
func newLink(nc *nats.Conn) *link {
	l := &link{
		nc:     nc,
		status: nc.StatusChanged(nats.CONNECTED, nats.RECONNECTING, nats.DISCONNECTED, nats.CLOSED),
		back:   make(chan struct{}, 1),
	}
	l.conn, l.lose = context.WithCancel(context.Background())
	return l
}

// run keeps l.conn until ctx ends, then stops listening and ends l.conn.
func (l *link) run(ctx context.Context) {
	defer func() {
		l.nc.RemoveStatusListener(l.status)
		l.mu.Lock()
		l.lose()
		l.mu.Unlock()
	}()
	status := l.status
	for {
		select {
		case <-ctx.Done():
			return
		case st, ok := <-status:
			if !ok {
				status = nil // closed by someone else: wait for ctx
				continue
			}
			l.set(st)
		}
	}
}

func (l *link) set(st nats.Status) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if st != nats.CONNECTED {
		l.lose()
		return
	}
	if l.conn.Err() != nil {
		l.conn, l.lose = context.WithCancel(context.Background())
		select {
		case l.back <- struct{}{}:
		default:
		}
	}
}

// up returns a context that ends when the connection is lost, or
// orders.ErrUnavailable when it is not connected now.
func (l *link) up() (context.Context, error) {
	l.mu.Lock()
	conn := l.conn
	l.mu.Unlock()
	if st := l.nc.Status(); st != nats.CONNECTED || conn.Err() != nil {
		return nil, fmt.Errorf("%w: nats connection %s", orders.ErrUnavailable, st)
	}
	return conn, nil
}
