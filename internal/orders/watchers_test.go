package orders

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestCloneSharesNothing(t *testing.T) {
	st := State{Seq: 3, Categories: []CategoryState{{Name: "toys", Products: []ProductState{{Total: 1}}}}}
	c := st.Clone()
	c.Categories[0].Products[0].Total = 9
	c.Categories[0].Name = "other"
	if st.Categories[0].Products[0].Total != 1 || st.Categories[0].Name != "toys" || c.Seq != 3 {
		t.Fatalf("clone shares with the original: %+v", st)
	}
}

func TestWatchersAddPublishRemove(t *testing.T) {
	var ws Watchers
	var a, b []uint64
	removeA := ws.Add(func(u Update) { a = append(a, u.Seq) })
	ws.Add(func(u Update) { b = append(b, u.Seq) })
	ws.Publish(Update{Seq: 1})
	removeA()
	ws.Publish(Update{Seq: 2})
	if len(a) != 1 || a[0] != 1 || len(b) != 2 || b[1] != 2 {
		t.Fatalf("a %v, b %v; want [1] and [1 2]", a, b)
	}
}

func TestWatchCopiesTheStateAndStopsWithItsContext(t *testing.T) {
	var (
		mu sync.Mutex
		ws Watchers
	)
	st := State{Seq: 4, Categories: []CategoryState{{Name: "toys", Products: []ProductState{{Total: 1}}}}}
	ctx, cancel := context.WithCancel(context.Background())
	var got []uint64
	applied := make(chan struct{}, 1)
	view, err := ws.Watch(ctx, &mu, &st, func(u Update) { got = append(got, u.Seq); applied <- struct{}{} })
	if err != nil || view.Seq != 4 {
		t.Fatalf("Watch = %+v, %v", view, err)
	}
	st.Categories[0].Products[0].Total = 9
	if view.Categories[0].Products[0].Total != 1 {
		t.Fatal("the state returned shares with the store's")
	}
	mu.Lock()
	ws.Publish(Update{Seq: 5})
	mu.Unlock()
	<-applied
	cancel()
	// The watcher is removed under mu once ctx ends.
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(ws.set)
		mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the watcher outlived its context")
		}
		time.Sleep(time.Millisecond) // polling with a deadline
	}
	if _, err := ws.Watch(ctx, &mu, &st, func(Update) {}); err == nil {
		t.Fatal("Watch with an ended context succeeded")
	}
	if len(got) != 1 || got[0] != 5 {
		t.Fatalf("applied %v, want [5]", got)
	}
}
