package natsbus_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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

// logLines returns a logger of warnings and errors that logs with the
// test's and sends each line on the channel returned, as long as it has
// room.
func logLines(t *testing.T) (*slog.Logger, <-chan string) {
	lines := make(chan string, 256)
	return slog.New(slog.NewTextHandler(tee{t, lines}, &slog.HandlerOptions{Level: slog.LevelWarn})), lines
}

type tee struct {
	t     *testing.T
	lines chan string
}

func (w tee) Write(b []byte) (int, error) {
	w.t.Log(string(b))
	select {
	case w.lines <- string(b):
	default:
	}
	return len(b), nil
}

// awaitLine waits for a line holding text.
func awaitLine(t *testing.T, lines <-chan string, within time.Duration, text string) {
	t.Helper()
	timeout := time.After(within)
	for {
		select {
		case l := <-lines:
			if strings.Contains(l, text) {
				return
			}
		case <-timeout:
			t.Fatalf("nothing logged said %q within %v", text, within)
		}
	}
}

// A store that meets an event written for an earlier stream looks at the
// stream to decide whether its own was replaced. When the stream cannot be
// looked at (a long election, a reconnection), nothing is decided: the
// store reads the event again later and skips it once the stream answers,
// instead of taking its log for reset.
func TestStaleEventWhileStreamUnanswered(t *testing.T) {
	const info = "$JS.API.STREAM.INFO.LIVEORDERS"
	l := newLossy(t)
	js := jsOf(t, l.free)
	logger, lines := logLines(t)
	s, _ := l.open(t, natsbus.Config{SnapshotInterval: -1, Logger: logger})
	l.deny(info)
	ctx, cancel := context.WithTimeout(t.Context(), 2*wait)
	defer cancel()
	stale := `{"kind":"order","id":"A1","amount":1000,"log":"2001-01-01T00:00:00Z"}`
	if _, err := js.Publish(ctx, "liveorders.log.order.A", []byte(stale)); err != nil {
		t.Fatal(err)
	}
	awaitLine(t, lines, 2*wait, "cannot be looked at")
	if err := s.Ready(); err != nil {
		t.Fatalf("Ready() = %v while the stream could not be looked at, want nil", err)
	}
	l.deny()
	u, err := s.PlaceOrder(ctx, orders.Order{ID: "A1", Amount: 1})
	if err != nil {
		t.Fatal(err)
	}
	if u.Seq != 2 || u.Total != 3+1 {
		t.Fatalf("order after the stale event: %+v, want seq 2 and total 4 (the stale event skipped)", u)
	}
	if err := s.Ready(); err != nil {
		t.Fatalf("Ready() = %v", err)
	}
}

// A store that starts while another writes a snapshot and purges the
// events it covers can read the stream, then a snapshot newer than what it
// read: it starts from that snapshot all the same.
func TestStartWhileSnapshotWritten(t *testing.T) {
	kvGets := []string{"$JS.API.DIRECT.GET.KV_liveorders-snapshots.>", "$JS.API.STREAM.MSG.GET.KV_liveorders-snapshots"}
	l := newLossy(t)
	js := jsOf(t, l.free)
	ctx, cancel := context.WithTimeout(t.Context(), 2*wait)
	defer cancel()
	w, err := natsbus.Open(ctx, natsbus.Options{URL: l.free}, orderstest.State(), natsbus.Config{SnapshotInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	place := func() {
		t.Helper()
		if _, err := w.PlaceOrder(ctx, orders.Order{ID: "A1", Amount: 1}); err != nil {
			t.Fatal(err)
		}
	}
	// Retention has already purged the first events.
	place()
	first, err := w.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	purge(t, js, "LIVEORDERS", first+1)
	place()
	// The new store has read the stream and asks for the snapshot; its
	// question goes unanswered a while.
	l.deny(kvGets...)
	type opened struct {
		s   *natsbus.Store
		err error
	}
	done := make(chan opened, 1)
	dropped := make(chan string, 64)
	go func() {
		nc, err := natsbus.Dial(l.store, "starting", nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			select {
			case dropped <- err.Error():
			default:
			}
		}))
		if err != nil {
			done <- opened{err: err}
			return
		}
		s, err := natsbus.New(ctx, nc, orderstest.State(), natsbus.Config{SnapshotInterval: -1})
		if err != nil {
			nc.Close()
		} else {
			t.Cleanup(nc.Close)
		}
		done <- opened{s, err}
	}()
	awaitDropped(t, dropped, "KV_liveorders-snapshots")
	// Meanwhile the log moves, a snapshot covers it and the events it
	// covers are purged.
	place()
	seq, err := w.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	purge(t, js, "LIVEORDERS", seq+1)
	l.deny()
	o := <-done
	if o.err != nil {
		t.Fatalf("the store started during the snapshot: %v", o.err)
	}
	t.Cleanup(o.s.Close)
	if err := totals(o.s, map[string]int64{"A1": 3 + 3}); err != nil {
		t.Fatal(err)
	}
}
