package handlers

import (
	"sync"
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
// Idle sockets cost no goroutine and no buffer: buffers belong to workers.
type flusher struct {
	mu      sync.Mutex
	cond    sync.Cond
	queue   []*session
	head    int
	stopped bool
	wg      sync.WaitGroup
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
func (f *flusher) push(s *session) {
	f.mu.Lock()
	f.queue = append(f.queue, s)
	f.mu.Unlock()
	f.cond.Signal()
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
		for f.head == len(f.queue) && !f.stopped {
			f.cond.Wait()
		}
		if f.head == len(f.queue) {
			f.mu.Unlock()
			return
		}
		s := f.queue[f.head]
		f.queue[f.head] = nil
		f.head++
		if f.head == len(f.queue) {
			f.queue, f.head = f.queue[:0], 0
		} else if f.head > 1024 && f.head*2 > len(f.queue) {
			n := copy(f.queue, f.queue[f.head:])
			clear(f.queue[n:])
			f.queue, f.head = f.queue[:n], 0
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
