package socket

import (
	"sync"
	"time"
)

// pool is the goroutines that write to sessions. A session with something
// to send queues itself once; a worker drains its whole outbox into one
// buffer and writes it with one write. While the server keeps up, a
// session is written as soon as it is woken. When it saturates, the queue
// grows, and each session waiting in it gathers more updates (its outbox
// is conflated: at most one frame per product): the server coalesces
// instead of queueing, and the number of writes per second, the real cost
// on a busy server, stays bounded by what the machine can do.
//
// Sessions woken for something other than their reader's answers (a ping,
// a close, a token's error) wait in a queue of their own that workers
// serve first, so they go out in microseconds even while thousands of
// sessions wait for an order update.
//
// Idle sessions cost no goroutine and no buffer: buffers belong to workers.
type pool struct {
	mu      sync.Mutex
	cond    sync.Cond
	urgent  fifo
	normal  fifo
	stopped bool
	wg      sync.WaitGroup
	input   *inputWatch // looked at between two sessions
}

// fifo is a queue of sessions that reuses its array.
type fifo struct {
	items []*Session
	head  int
}

func (q *fifo) len() int { return len(q.items) - q.head }

func (q *fifo) push(s *Session) { q.items = append(q.items, s) }

func (q *fifo) pop() *Session {
	s := q.items[q.head]
	q.items[q.head] = nil
	q.head++
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	} else if q.head > 1024 && q.head*2 > len(q.items) {
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	return s
}

// schedule hands s, just queued, to the pool: after the mock controls'
// latency (latency.go) when there is one.
func (e *Engine) schedule(s *Session, urgent bool) {
	if d := e.latency.get(); d > 0 {
		time.AfterFunc(d, func() { e.pool.push(s, urgent) })
		return
	}
	e.pool.push(s, urgent)
}

func newPool(workers int, input *inputWatch) *pool {
	p := &pool{input: input}
	p.cond.L = &p.mu
	p.wg.Add(workers)
	for range workers {
		go p.work()
	}
	return p
}

// push queues s; the caller has just marked it queued. An entry that finds
// the turn taken when a worker pops it (the reader answered first) is
// dropped.
func (p *pool) push(s *Session, urgent bool) {
	p.mu.Lock()
	if urgent {
		p.urgent.push(s)
	} else {
		p.normal.push(s)
	}
	p.mu.Unlock()
	p.cond.Signal()
}

// stop ends the workers once the queue is empty, and waits for them.
func (p *pool) stop() {
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
	p.cond.Broadcast()
	p.wg.Wait()
}

func (p *pool) work() {
	defer p.wg.Done()
	var buf []byte
	for {
		p.mu.Lock()
		for p.urgent.len() == 0 && p.normal.len() == 0 && !p.stopped {
			p.cond.Wait()
		}
		var s *Session
		switch {
		case p.urgent.len() > 0:
			s = p.urgent.pop()
		case p.normal.len() > 0:
			s = p.normal.pop()
		default:
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
		if s.claim() {
			buf = s.write(buf[:0])
			if cap(buf) > maxWorkerBuffer {
				buf = nil // one huge snapshot should not pin memory forever
			}
			p.input.yield()
		}
	}
}

// maxWorkerBuffer is the largest write buffer a worker keeps between writes.
const maxWorkerBuffer = 1 << 20
