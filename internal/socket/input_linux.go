package socket

import (
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// inputWatch lets a session's reader run soon after its client's command
// arrives, even while order fan-out keeps every processor busy.
//
// Go's scheduler looks for readable sockets only when a processor runs
// out of work (or every 10 ms from its monitor). During the fan-out of an
// order to thousands of sockets, the write workers and the hub's wake
// loop keep every processor busy for milliseconds on end: a command that
// arrives then, a category switch, waits for the fan-out to finish before
// its reader is even woken, so the switch's answer waits behind updates of
// the category being left.
//
// So the goroutines that do that long work (pool workers between two
// sessions, the hub's loop between two wakes) call yield. At most once
// per interval, one of them asks a second epoll instance, which holds
// every session's socket, which sockets have input (without waiting). It
// wakes each of their readers through its read deadline, the way a writer
// wakes a reader to close (the reader tells the two from a real timeout by
// its own deadline, which has not passed), and then yields its processor
// until those readers have run, up to a bound. The readers run on the
// processor the fan-out was using, right away, without a thread switch:
// no other processor need be free, and no other thread scheduled.
type inputWatch struct {
	epfd  int
	every int64 // ns between two looks
	epoch time.Time
	last  atomic.Int64 // ns since epoch of the last look

	// waiting counts the sessions whose reader was woken and has not yet
	// been back to its read (Session.prompted set).
	waiting atomic.Int64
	// wakes counts the readers woken.
	wakes atomic.Uint64

	mu   sync.Mutex // guards byFd and evs; held by one look at a time
	byFd map[int32]*Session
	evs  [64]syscall.EpollEvent
}

// maxYields bounds how many times a look gives its processor away: each
// lets one runnable goroutine (a woken reader, first) run.
const maxYields = 64

// newInputWatch returns a watch looking every interval, or nil (no
// watch, every method a no-op) for a negative interval or when the epoll
// instance cannot be made.
func newInputWatch(interval time.Duration) *inputWatch {
	if interval < 0 {
		return nil
	}
	fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil
	}
	return &inputWatch{epfd: fd, every: int64(interval), epoch: time.Now(), byFd: make(map[int32]*Session)}
}

// add watches s's socket: edge-triggered, so a look reports a socket once
// for each arrival of bytes.
func (w *inputWatch) add(s *Session) {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	s.conn.Control(func(fd uintptr) {
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | edgeTriggered, Fd: int32(fd)}
		if syscall.EpollCtl(w.epfd, syscall.EPOLL_CTL_ADD, int(fd), &ev) == nil {
			w.byFd[int32(fd)] = s
			s.watchFd = int32(fd)
		}
	})
}

// remove stops watching s's socket; the reader calls it before closing
// the connection. A connection already closed (Session.cut) left the
// epoll instance when it closed, and its descriptor may already be a new
// session's.
func (w *inputWatch) remove(s *Session) {
	if w == nil {
		return
	}
	w.mu.Lock()
	if w.byFd[s.watchFd] == s {
		delete(w.byFd, s.watchFd)
		s.conn.Control(func(fd uintptr) {
			_ = syscall.EpollCtl(w.epfd, syscall.EPOLL_CTL_DEL, int(fd), nil)
		})
	}
	w.mu.Unlock()
	w.seen(s) // no look can find s now: it counts as waiting no more
}

// seen records that s's reader is back to reading; it calls it before
// each read.
func (w *inputWatch) seen(s *Session) {
	if w != nil && s.prompted.Swap(false) {
		w.waiting.Add(-1)
	}
}

// yield looks for input, at most once per interval across the process,
// wakes the readers it finds, and gives the processor to them.
func (w *inputWatch) yield() {
	if w == nil {
		return
	}
	now := int64(time.Since(w.epoch))
	last := w.last.Load()
	if now-last < w.every || !w.last.CompareAndSwap(last, now) {
		return
	}
	w.look()
	for i := 0; i < maxYields && w.waiting.Load() > 0; i++ {
		runtime.Gosched()
	}
}

// look wakes the readers of the sockets with bytes to read.
func (w *inputWatch) look() {
	if !w.mu.TryLock() {
		return
	}
	defer w.mu.Unlock()
	n, err := syscall.EpollWait(w.epfd, w.evs[:], 0)
	if err != nil {
		return
	}
	for _, ev := range w.evs[:n] {
		s := w.byFd[ev.Fd]
		if s == nil || ev.Events&(syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) == 0 && !unread(s) {
			continue // its reader got there first
		}
		if s.prompted.CompareAndSwap(false, true) {
			w.waiting.Add(1)
		}
		w.wakes.Add(1)
		_ = s.conn.SetReadDeadline(time.Now())
	}
}

// unread reports whether s's socket holds bytes not yet read.
func unread(s *Session) bool {
	n := 0
	s.conn.Control(func(fd uintptr) {
		v, err := ioctlInt(fd, syscall.TIOCINQ)
		if err == nil {
			n = v
		}
	})
	return n > 0
}

func ioctlInt(fd uintptr, req uint) (int, error) {
	var v int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, uintptr(req), uintptr(unsafe.Pointer(&v))); e != 0 {
		return 0, e
	}
	return int(v), nil
}

// close ends the watch; Shutdown calls it once the sessions are gone.
func (w *inputWatch) close() {
	if w != nil {
		_ = syscall.Close(w.epfd)
	}
}

// count is how many readers the watch has woken.
func (w *inputWatch) count() uint64 {
	if w == nil {
		return 0
	}
	return w.wakes.Load()
}

// edgeTriggered is EPOLLET, which syscall declares as a negative int.
const edgeTriggered = 1 << 31
