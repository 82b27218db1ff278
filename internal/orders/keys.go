package orders

import "time"

// Keyed is an order placed with an idempotency key, the update its first
// application made, and when that was.
type Keyed struct {
	Order  Order
	Update Update
	At     time.Time
}

// Keys remembers the keyed orders of the last Window, at most Max of them
// (0: no limit), forgetting the oldest first. A Store keeps one to answer a
// retry with its first answer. It is not safe for concurrent use: a Store
// guards it with the lock under which it applies updates.
type Keys struct {
	Window time.Duration
	Max    int

	byKey map[string]*Keyed
	fifo  []*Keyed // in the order they were added; fifo[head:] are live
	head  int
}

// Get returns the order remembered for key at time now.
func (ks *Keys) Get(key string, now time.Time) (Keyed, bool) {
	ks.Forget(now)
	k, ok := ks.byKey[key]
	if !ok {
		return Keyed{}, false
	}
	return *k, true
}

// Add remembers k under k.Order.Key, replacing an older order of that key,
// and forgets the orders that fall out of the window at k.At or past Max.
func (ks *Keys) Add(k Keyed) {
	if ks.byKey == nil {
		ks.byKey = make(map[string]*Keyed)
	}
	p := &k
	ks.byKey[k.Order.Key] = p
	ks.fifo = append(ks.fifo, p)
	ks.Forget(k.At)
}

// Forget drops the orders older than Window at time now, and the oldest
// ones past Max.
func (ks *Keys) Forget(now time.Time) {
	for ks.head < len(ks.fifo) {
		k := ks.fifo[ks.head]
		if now.Sub(k.At) < ks.Window && (ks.Max <= 0 || len(ks.byKey) <= ks.Max) {
			break
		}
		if ks.byKey[k.Order.Key] == k {
			delete(ks.byKey, k.Order.Key)
		}
		ks.fifo[ks.head] = nil
		ks.head++
	}
	if ks.head > 0 && ks.head >= len(ks.fifo)/2 {
		n := copy(ks.fifo, ks.fifo[ks.head:])
		clear(ks.fifo[n:])
		ks.fifo, ks.head = ks.fifo[:n], 0
	}
}

// All returns the remembered orders, oldest first.
func (ks *Keys) All() []Keyed {
	out := make([]Keyed, 0, len(ks.byKey))
	for _, k := range ks.fifo[ks.head:] {
		if ks.byKey[k.Order.Key] == k {
			out = append(out, *k)
		}
	}
	return out
}

// Len returns the number of remembered orders.
func (ks *Keys) Len() int { return len(ks.byKey) }
