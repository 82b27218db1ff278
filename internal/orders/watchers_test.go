package orders

import "testing"

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
