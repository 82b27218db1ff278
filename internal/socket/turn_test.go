package socket

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/catalogue"
	"github.com/liveorders/liveorders/internal/hub"
	"github.com/liveorders/liveorders/internal/memstore"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/internal/ws"
)

// These tests drive the write turn step by step: sessions on net.Pipe,
// whose writes wait for the client's reads, so that a test decides when a
// write ends; inside a synctest bubble, so that synctest.Wait says when
// every goroutine is blocked, and no timer fires behind the test's back.

// turnEnv is an engine with one write worker on the default catalogue.
type turnEnv struct {
	e      *Engine
	store  *memstore.Store
	cancel context.CancelFunc
}

// newTurnEnv starts the engine; wrap, when not nil, wraps the store the
// engine places orders in.
func newTurnEnv(t *testing.T, wrap func(orders.Store) orders.Store) *turnEnv {
	t.Helper()
	mem, err := memstore.New(catalogue.Default(), memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var store orders.Store = mem
	if wrap != nil {
		store = wrap(mem)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h, err := hub.New(ctx, mem, hub.Config{Frame: ws.AppendText})
	if err != nil {
		t.Fatal(err)
	}
	return &turnEnv{e: New(Config{Hub: h, Store: store, Writers: 1}), store: mem, cancel: cancel}
}

// stop ends the engine once every client has closed its end.
func (env *turnEnv) stop() {
	env.e.Shutdown(context.Background())
	env.cancel()
}

func (env *turnEnv) order(t *testing.T, id string, amount int64) {
	t.Helper()
	if _, err := env.store.PlaceOrder(context.Background(), orders.Order{ID: id, Amount: amount}); err != nil {
		t.Fatal(err)
	}
}

// pipeClient is the client's end of a session on net.Pipe.
type pipeClient struct {
	t  *testing.T
	nc net.Conn
}

func (env *turnEnv) dial(t *testing.T, category string) *pipeClient {
	srv, cli := net.Pipe()
	env.e.Serve(srv, nil, Params{Category: category, V1: true})
	c := &pipeClient{t: t, nc: cli}
	for {
		for _, m := range c.write() {
			if _, ok := m.(api.Snapshot); ok {
				synctest.Wait() // the writer has given the turn back
				return c
			}
		}
	}
}

// write reads one write of the server (a pipe's read returns at most what
// one write gave) and returns its messages, in order. Every write a test
// waits for is due at once, so it fails the test when nothing comes before
// the bubble's clock moves on to half a worker's wait on a pipe
// (defaultFastWriteWait): no later write, by a goroutine the turn is
// handed to meanwhile, can stand in for the one expected.
func (c *pipeClient) write() []api.Message {
	c.t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(defaultFastWriteWait / 2))
	buf := make([]byte, 64<<10)
	n, err := c.nc.Read(buf)
	if err != nil {
		c.t.Fatalf("waiting for a write: %v", err)
	}
	var out []api.Message
	for b := buf[:n]; len(b) > 0; {
		op, payload, size := nextFrame(b)
		if size == 0 || op != ws.OpText {
			c.t.Fatalf("not one whole text frame: % x", b[:min(len(b), 16)])
		}
		m, err := api.DecodeMessage(payload)
		if err != nil {
			c.t.Fatal(err)
		}
		out = append(out, m)
		b = b[size:]
	}
	return out
}

// nextFrame splits the server frame (final, unmasked) at the start of b:
// its opcode, payload and whole size; size 0 when b holds only part of it.
func nextFrame(b []byte) (op byte, payload []byte, size int) {
	if len(b) < 2 {
		return 0, nil, 0
	}
	n, head := int(b[1]&0x7f), 2
	switch {
	case n == 126 && len(b) >= 4:
		n, head = int(binary.BigEndian.Uint16(b[2:])), 4
	case n == 127 && len(b) >= 10:
		n, head = int(binary.BigEndian.Uint64(b[2:])), 10
	case n >= 126:
		return 0, nil, 0
	}
	if len(b) < head+n {
		return 0, nil, 0
	}
	return b[0] & 0x0f, b[head : head+n], head + n
}

// send writes a command as the client's masked text frame (a zero key).
func (c *pipeClient) send(cmd string) {
	c.t.Helper()
	if len(cmd) > 125 {
		c.t.Fatal("command too long for a one-byte length")
	}
	frame := append([]byte{0x80 | ws.OpText, 0x80 | byte(len(cmd)), 0, 0, 0, 0}, cmd...)
	if _, err := c.nc.Write(frame); err != nil {
		c.t.Fatal(err)
	}
}

func (c *pipeClient) close() {
	_ = c.nc.Close()
}

func switchTo(category, ref string) string {
	return fmt.Sprintf(`{"cmd":"update-category","payload":{"category":%q},"ref":%q}`, category, ref)
}

// describe names messages for failure messages.
func describe(ms []api.Message) string {
	s := ""
	for _, m := range ms {
		switch m := m.(type) {
		case api.Snapshot:
			s += fmt.Sprintf("[snapshot %s ref %q]", m.Category, m.Ref)
		case api.Order:
			s += fmt.Sprintf("[order %s %s=%d]", m.Category, m.ID, m.Total)
		default:
			s += fmt.Sprintf("[%s]", m.MessageType())
		}
	}
	return s
}

func wantWrite(t *testing.T, what string, got []api.Message, want string) {
	t.Helper()
	if d := describe(got); d != want {
		t.Fatalf("%s: got %s, want %s", what, d, want)
	}
}

// A switch read while a worker is in the middle of a write: the worker
// writes the snapshot as soon as its write ends, ahead of the new
// category's updates and in the same write, and no update of the old
// category follows.
func TestSwitchDuringAWriteIsAnsweredByTheWriter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		env := newTurnEnv(t, nil)
		defer env.stop()
		c := env.dial(t, "electronics")
		defer c.close()

		env.order(t, "A1", 1) // the worker takes the turn; its write waits for the client
		synctest.Wait()
		c.send(switchTo("confectionery", "r1"))
		synctest.Wait() // the reader has queued the snapshot behind the write
		env.order(t, "B1", 2)
		env.order(t, "A2", 5) // of the old category: never sent

		wantWrite(t, "the write under way", c.write(), "[order electronics A1=4]")
		wantWrite(t, "the next write", c.write(), `[snapshot confectionery ref "r1"][order confectionery B1=103]`)
		env.order(t, "B1", 1)
		wantWrite(t, "after the answer", c.write(), "[order confectionery B1=104]")
	})
}

// A switch read while the session waits in the pool behind another
// session's write: the reader writes the snapshot itself, without the
// update of the old category it was queued for, and the pool's entry
// writes nothing more.
func TestSwitchWhileQueuedIsAnsweredByTheReader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		env := newTurnEnv(t, nil)
		defer env.stop()
		first := env.dial(t, "electronics")
		defer first.close()
		c := env.dial(t, "electronics")
		defer c.close()

		// The one worker writes to first, which does not read yet; c
		// waits in the pool for the same update.
		env.order(t, "A1", 1)
		synctest.Wait()
		c.send(switchTo("confectionery", "r1"))
		wantWrite(t, "the answer", c.write(), `[snapshot confectionery ref "r1"]`)

		wantWrite(t, "the other session", first.write(), "[order electronics A1=4]")
		synctest.Wait() // the worker has found c's entry answered
		env.order(t, "B1", 2)
		wantWrite(t, "after the answer", c.write(), "[order confectionery B1=103]")
	})
}

// blockingStore holds place-order until release.
type blockingStore struct {
	orders.Store
	called, released chan struct{}
	once             sync.Once
}

func (s *blockingStore) PlaceOrder(ctx context.Context, o orders.Order) (orders.Update, error) {
	close(s.called)
	<-s.released
	return s.Store.PlaceOrder(ctx, o)
}

func (s *blockingStore) release() { s.once.Do(func() { close(s.released) }) }

// While the reader waits on the store for a command, frames others queue
// go out through the pool, not after the store answers.
func TestFramesQueuedWhileTheReaderWaitsOnTheStoreGoOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := &blockingStore{called: make(chan struct{}), released: make(chan struct{})}
		env := newTurnEnv(t, func(mem orders.Store) orders.Store { store.Store = mem; return store })
		defer env.stop()
		defer store.release() // on failure too, so that the reader can end
		c := env.dial(t, "electronics")
		defer c.close()

		c.send(`{"cmd":"place-order","payload":{"id":"B1","amount":1},"ref":"p1"}`)
		<-store.called
		ping, err := api.Ping{}.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		env.e.each(func(s *Session) { s.Send(ws.AppendText(nil, ping)) })
		wantWrite(t, "while the store works", c.write(), "[ping]")
		store.release()
		got := c.write()
		if p, ok := got[0].(api.Placed); len(got) != 1 || !ok || p.Ref != "p1" {
			t.Fatalf("after the store: got %s, want the placed answer to p1", describe(got))
		}
	})
}
