package faults

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// The order history of a case, checked for linearizability with Porcupine
// against a counter per product: an acknowledged order adds its amount
// and answers the total after it; a refused one changes nothing; an
// ambiguous one (no answer, or an answer that cannot say) may or may not
// have taken effect, at any moment after its invocation; a read answers
// the total.

// outcome is what an order's invoker learnt.
type outcome int

const (
	acked     outcome = iota // acknowledged, with the total after it
	refused                  // refused before anything was stored
	ambiguous                // timed out, or unavailable after publishing
	read                     // not an order: a read of the total
)

func (o outcome) String() string {
	return [...]string{"acked", "refused", "ambiguous", "read"}[o]
}

// opIn is an operation's input: an order of amount for product, or a read
// of product's total (amount 0).
type opIn struct {
	product string
	amount  int64
}

// opOut is an operation's answer.
type opOut struct {
	kind  outcome
	total int64 // acked and read
}

// history records operations from any goroutine.
type history struct {
	start time.Time
	mu    sync.Mutex
	ops   []porcupine.Operation
}

func newHistory() *history { return &history{start: time.Now()} }

// now is the history's clock: monotonic nanoseconds since it began.
func (h *history) now() int64 { return int64(time.Since(h.start)) }

// add records an operation invoked at call that returned at ret; an
// ambiguous one is left open until end (see close).
func (h *history) add(client int, in opIn, out opOut, call, ret int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ops = append(h.ops, porcupine.Operation{ClientId: client, Input: in, Output: out, Call: call, Return: ret})
}

// close returns the history with every ambiguous order's return moved to
// end, so that its effect, if any, may fall anywhere before the reads
// that follow end.
func (h *history) close(end int64) []porcupine.Operation {
	h.mu.Lock()
	defer h.mu.Unlock()
	ops := make([]porcupine.Operation, len(h.ops))
	copy(ops, h.ops)
	for i := range ops {
		if ops[i].Output.(opOut).kind == ambiguous {
			ops[i].Return = end
		}
	}
	return ops
}

// counts returns how many orders ended each way.
func counts(ops []porcupine.Operation) (ack, ref, amb int) {
	for _, op := range ops {
		switch op.Output.(opOut).kind {
		case acked:
			ack++
		case refused:
			ref++
		case ambiguous:
			amb++
		}
	}
	return
}

// counterModel is a counter per product starting at initial's totals;
// countRefused breaks it on purpose, counting refused orders.
func counterModel(initial map[string]int64, countRefused bool) porcupine.Model {
	nd := porcupine.NondeterministicModel{
		Partition: func(ops []porcupine.Operation) [][]porcupine.Operation {
			by := map[string][]porcupine.Operation{}
			var order []string
			for _, op := range ops {
				p := op.Input.(opIn).product
				if _, ok := by[p]; !ok {
					order = append(order, p)
				}
				by[p] = append(by[p], op)
			}
			parts := make([][]porcupine.Operation, 0, len(order))
			for _, p := range order {
				parts = append(parts, by[p])
			}
			return parts
		},
		Init: func() []interface{} { return []interface{}{map[string]int64(nil)} },
		Step: func(state, input, output interface{}) []interface{} {
			in, out := input.(opIn), output.(opOut)
			total, ok := state.(map[string]int64)[in.product]
			if !ok {
				total = initial[in.product]
			}
			next := func(t int64) map[string]int64 { return map[string]int64{in.product: t} }
			switch out.kind {
			case acked:
				if total+in.amount != out.total {
					return nil
				}
				return []interface{}{next(out.total)}
			case refused:
				if countRefused {
					return []interface{}{next(total + in.amount)}
				}
				return []interface{}{next(total)}
			case ambiguous:
				return []interface{}{next(total), next(total + in.amount)}
			default: // read
				if total != out.total {
					return nil
				}
				return []interface{}{next(total)}
			}
		},
		Equal: func(a, b interface{}) bool {
			ma, mb := a.(map[string]int64), b.(map[string]int64)
			if len(ma) != len(mb) {
				return false
			}
			for k, v := range ma {
				if mb[k] != v {
					return false
				}
			}
			return true
		},
		DescribeOperation: func(input, output interface{}) string {
			in, out := input.(opIn), output.(opOut)
			if out.kind == read {
				return fmt.Sprintf("read %s → %d", in.product, out.total)
			}
			return fmt.Sprintf("order %s +%d → %v %d", in.product, in.amount, out.kind, out.total)
		},
	}
	return nd.ToModel()
}

// checkLinearizable fails the test unless ops are linearizable under the
// counter model.
func checkLinearizable(t *testing.T, initial map[string]int64, ops []porcupine.Operation) {
	t.Helper()
	res := porcupine.CheckOperationsTimeout(counterModel(initial, false), ops, time.Minute)
	if res != porcupine.Ok {
		t.Errorf("order history of %d operations: %s, want linearizable", len(ops), res)
	}
}

// The checker can fail: a history in which a refused order shows in a
// later total is not linearizable, and a model that counts refused orders
// rejects a correct history.
func TestCounterModelCanFail(t *testing.T) {
	initial := map[string]int64{"A1": 3}
	ms := int64(time.Millisecond)
	correct := []porcupine.Operation{
		{ClientId: 0, Input: opIn{"A1", 2}, Output: opOut{kind: acked, total: 5}, Call: 0, Return: 1 * ms},
		{ClientId: 1, Input: opIn{"A1", 4}, Output: opOut{kind: refused}, Call: 2 * ms, Return: 3 * ms},
		{ClientId: 2, Input: opIn{"A1", 1}, Output: opOut{kind: ambiguous}, Call: 4 * ms, Return: 9 * ms},
		{ClientId: 0, Input: opIn{"A1", 3}, Output: opOut{kind: acked, total: 8}, Call: 5 * ms, Return: 6 * ms},
		{ClientId: 3, Input: opIn{"A1", 0}, Output: opOut{kind: read, total: 9}, Call: 10 * ms, Return: 11 * ms},
	}
	if !porcupine.CheckOperations(counterModel(initial, false), correct) {
		t.Fatal("a correct history (the ambiguous order took effect after the last ack) is not linearizable")
	}
	if porcupine.CheckOperations(counterModel(initial, true), correct) {
		t.Error("a model counting refused orders accepts a history in which one was not counted")
	}
	lost := append([]porcupine.Operation(nil), correct...)
	lost[4].Output = opOut{kind: read, total: 7} // an acknowledged order lost
	if porcupine.CheckOperations(counterModel(initial, false), lost) {
		t.Error("a history that loses an acknowledged order is linearizable")
	}
	twice := append([]porcupine.Operation(nil), correct...)
	twice[4].Output = opOut{kind: read, total: 11} // an order applied twice
	if porcupine.CheckOperations(counterModel(initial, false), twice) {
		t.Error("a history that applies an order twice is linearizable")
	}
}
