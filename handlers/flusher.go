package handlers

import (
	"sync"
	"time"
)

// flusher is the pool of goroutines that write to sockets. A socket with
// something to send queues itself once; a worker drains its whole outbox
// into one buffer and writes it with one Write. While the server keeps up,
// a socket is written as soon as it is woken. When it saturates, the queue
// grows, and each socket waiting in it gathers more updates (its outbox is
// conflated, so it holds at most one frame per product): the server
// coalesces instead of queueing, and the number of writes per second, the
// real cost on a busy server, stays bounded by what the machine can do.
//
// Sockets whose outbox answers a command (a snapshot, an error, a close)
// wait in a queue of their own that workers serve first, so a command is
// answered in microseconds even while thousands of sockets wait for an
// order update.
//
// Idle sockets cost no goroutine and no buffer: buffers belong to workers.
type flusher struct {
	mu      sync.Mutex
	cond    sync.Cond
	urgent  fifo
	normal  fifo
	stopped bool
	wg      sync.WaitGroup
}

// fifo is a queue of sockets that reuses its array.
type fifo struct {
	items []*session
	head  int
}

func (q *fifo) len() int { return len(q.items) - q.head }

func (q *fifo) push(s *session) { q.items = append(q.items, s) }

func (q *fifo) pop() *session {
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

func newFlusher(workers int) *flusher {
	f := &flusher{}
	f.cond.L = &f.mu
	f.wg.Add(workers)
	for range workers {
		go f.work()
	}
	return f
}

// push queues s; the caller has just marked it queued.
func (f *flusher) push(s *session, urgent bool) {
	f.mu.Lock()
	if urgent {
		f.urgent.push(s)
	} else {
		f.normal.push(s)
	}
	f.mu.Unlock()
	f.cond.Signal()
}

// pushLater queues s after d: the mock controls' added latency.
func (f *flusher) pushLater(s *session, urgent bool, d time.Duration) {
	time.AfterFunc(d, func() { f.push(s, urgent) })
}

// stop ends the workers once the queue is empty, and waits for them.
func (f *flusher) stop() {
	f.mu.Lock()
	f.stopped = true
	f.mu.Unlock()
	f.cond.Broadcast()
	f.wg.Wait()
}

func (f *flusher) work() {
	defer f.wg.Done()
	var buf []byte
	for {
		f.mu.Lock()
		for f.urgent.len() == 0 && f.normal.len() == 0 && !f.stopped {
			f.cond.Wait()
		}
		var s *session
		switch {
		case f.urgent.len() > 0:
			s = f.urgent.pop()
		case f.normal.len() > 0:
			s = f.normal.pop()
		default:
			f.mu.Unlock()
			return
		}
		f.mu.Unlock()
		buf = s.flush(buf[:0])
		if cap(buf) > maxWorkerBuffer {
			buf = nil // one huge snapshot should not pin memory forever
		}
	}
}

// maxWorkerBuffer is the largest write buffer a worker keeps between writes.
const maxWorkerBuffer = 1 << 20
