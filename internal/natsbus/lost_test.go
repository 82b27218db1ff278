package natsbus_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/liveorders/liveorders/internal/natsbus"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/internal/orders/orderstest"
	"github.com/liveorders/liveorders/internal/testenv"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// lossy is a nats-server that can leave some requests of a store
// unanswered, as replies lost during an election are: its user "store"
// may not publish to the subjects denied, so the server drops those
// requests (telling the connection why, asynchronously), while the user
// "test" may do anything.
type lossy struct {
	*testenv.NATSServer
	store, free string // the URLs of the users
}

func newLossy(t *testing.T, deny ...string) *lossy {
	t.Helper()
	n := testenv.NATSWith(t, func(o *server.Options) { o.Users = users(deny) })
	return &lossy{NATSServer: n,
		store: strings.Replace(n.URL, "nats://", "nats://store:store@", 1),
		free:  strings.Replace(n.URL, "nats://", "nats://test:test@", 1)}
}

func users(deny []string) []*server.User {
	var perms *server.Permissions
	if len(deny) > 0 {
		perms = &server.Permissions{Publish: &server.SubjectPermission{Deny: deny}}
	}
	return []*server.User{
		{Username: "store", Password: "store", Permissions: perms},
		{Username: "test", Password: "test"},
	}
}

// deny replaces the subjects the store may not publish to; none: every
// request is answered again.
func (l *lossy) deny(subjects ...string) {
	l.Reload(func(o *server.Options) { o.Users = users(subjects) })
}

// open starts a store as the user "store". Each request the server drops
// sends the subject on the channel returned.
func (l *lossy) open(t *testing.T, cfg natsbus.Config) (*natsbus.Store, <-chan string) {
	t.Helper()
	dropped := make(chan string, 64)
	nc, err := natsbus.Dial(l.store, t.Name(), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		if errors.Is(err, nats.ErrPermissionViolation) {
			select {
			case dropped <- err.Error():
			default:
			}
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	s, err := natsbus.New(ctx, nc, orderstest.State(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, dropped
}

// await waits for a request to subject to be dropped.
func awaitDropped(t *testing.T, dropped <-chan string, subject string) {
	t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case msg := <-dropped:
			if strings.Contains(msg, subject) {
				return
			}
		case <-timeout:
			t.Fatalf("no request to %s was made", subject)
		}
	}
}

// A request of the snapshot writer that gets no answer, as one lost during
// an election, holds up neither snapshots nor retention: the writer asks
// again, and goes on once the stream answers.
func TestSnapshotWriterLosesAReply(t *testing.T) {
	const byTime = "$JS.API.STREAM.MSG.GET.LIVEORDERS" // retention's look for the first young event
	l := newLossy(t, byTime)
	js := jsOf(t, l.free)
	s, dropped := l.open(t, natsbus.Config{DuplicateWindow: time.Second, Retention: time.Second,
		SnapshotEvents: 1, SnapshotInterval: time.Hour, Logger: testLogger(t)})
	place := func() (orders.Update, error) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		return s.PlaceOrder(ctx, orders.Order{ID: "A1", Amount: 1})
	}
	first, err := place()
	if err != nil {
		t.Fatal(err)
	}
	awaitDropped(t, dropped, byTime)
	l.deny()
	eventually(t, func() error {
		if _, err := place(); err != nil {
			return err
		}
		h, err := snapshotHeader(t.Context(), js, "LIVEORDERS")
		if err != nil {
			return err
		}
		if f := strings.Fields(h); len(f) < 3 || f[2] == "" || f[2] == strconv.FormatUint(first.Seq, 10) {
			return fmt.Errorf("snapshot %q: none written after seq %d", h, first.Seq)
		}
		if info := streamInfo(t, js, "LIVEORDERS"); info.State.FirstSeq <= first.Seq {
			return fmt.Errorf("stream starts at %d: nothing purged", info.State.FirstSeq)
		}
		return nil
	})
}
