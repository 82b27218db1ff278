package handlers

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// wire is a socket's connection, read and written without per-socket
// buffers. On a connection with a file descriptor (TCP, what the server
// accepts), a read waits for the connection to be readable and only then
// takes a buffer from a pool, and a write never waits: it writes what the
// kernel takes now and reports the rest, which the session then writes at
// the client's pace from a goroutine of its own. Any other net.Conn is
// served through its Read and Write, with a short deadline on writes.
type wire struct {
	conn      net.Conn
	rc        syscall.RawConn // nil: conn has no descriptor
	fastWrite time.Duration   // without rc: how long tryWrite may wait

	// The state of the write in progress (there is one at a time), kept
	// here so that a write allocates nothing: writeFd is bound once.
	wb      []byte
	wn      int
	werr    error
	writeFd func(fd uintptr) bool
}

func newWire(c net.Conn, fastWrite time.Duration) *wire {
	w := &wire{conn: c, fastWrite: fastWrite}
	if sc, ok := c.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			w.rc = rc
			w.writeFd = w.writeSome
		}
	}
	return w
}

// readChunk is the size of the pooled read buffers: most commands fit
// many times over; a larger frame is read in several chunks.
const readChunk = 4096

var readBufs = sync.Pool{New: func() any { b := make([]byte, readChunk); return &b }}

func putReadBuf(b *[]byte) { readBufs.Put(b) }

// read waits for bytes and returns them in a pooled buffer, which the
// caller gives back with putReadBuf. It returns io.EOF when the client
// closed the connection, and the deadline's error when it passes.
func (w *wire) read() (*[]byte, int, error) {
	if w.rc == nil {
		b := readBufs.Get().(*[]byte)
		n, err := w.conn.Read(*b)
		if n > 0 {
			err = nil
		}
		if err != nil {
			putReadBuf(b)
			return nil, 0, err
		}
		return b, n, nil
	}
	var (
		b    *[]byte
		n    int
		rerr error
	)
	err := w.rc.Read(func(fd uintptr) bool {
		b = readBufs.Get().(*[]byte)
		for {
			n, rerr = syscall.Read(int(fd), *b)
			if rerr != syscall.EINTR {
				break
			}
		}
		if rerr == syscall.EAGAIN {
			putReadBuf(b)
			return false // wait until readable, holding no buffer
		}
		return true
	})
	switch {
	case err == nil && rerr != nil:
		err = os.NewSyscallError("read", rerr)
	case err == nil && n == 0:
		err = io.EOF
	}
	if err != nil {
		if b != nil {
			putReadBuf(b)
		}
		return nil, 0, err
	}
	return b, n, nil
}

// tryWrite writes what the connection takes without waiting (without a
// descriptor: within fastWrite) and returns how much that was; n <
// len(b) with a nil error means the client's receive window is full.
func (w *wire) tryWrite(b []byte) (int, error) {
	if w.rc == nil {
		_ = w.conn.SetWriteDeadline(time.Now().Add(w.fastWrite))
		n, err := w.conn.Write(b)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			err = nil
		}
		_ = w.conn.SetWriteDeadline(time.Time{})
		return n, err
	}
	w.wb, w.wn, w.werr = b, 0, nil
	err := w.rc.Write(w.writeFd)
	n := w.wn
	if err == nil {
		err = w.werr
	}
	w.wb, w.werr = nil, nil
	return n, err
}

// writeSome writes what the socket takes of w.wb now.
func (w *wire) writeSome(fd uintptr) bool {
	for w.wn < len(w.wb) {
		m, e := syscall.Write(int(fd), w.wb[w.wn:])
		if e == syscall.EINTR {
			continue
		}
		if e != nil {
			if e != syscall.EAGAIN {
				w.werr = os.NewSyscallError("write", e)
			}
			break
		}
		w.wn += m
	}
	return true // never wait here: the caller decides
}

// write writes all of b, waiting at most d.
func (w *wire) write(b []byte, d time.Duration) error {
	_ = w.conn.SetWriteDeadline(time.Now().Add(d))
	_, err := w.conn.Write(b)
	_ = w.conn.SetWriteDeadline(time.Time{})
	return err
}
