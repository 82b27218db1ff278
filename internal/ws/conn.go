package ws

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// Conn is a server's connection once the upgrade is answered, read and
// written without buffers of its own. On a connection with a file
// descriptor (TCP, what a server accepts), Read waits for the connection to
// be readable and only then takes a buffer from a pool, and TryWrite never
// waits: it writes what the kernel takes now and reports the rest, which
// the caller then writes at the client's pace with Write. Any other
// net.Conn is served through its own Read and Write, TryWrite waiting at
// most the fastWrite given to NewConn.
type Conn struct {
	nc        net.Conn
	rc        syscall.RawConn // nil: nc has no descriptor
	fastWrite time.Duration

	// The write in progress (there is one at a time), kept here so that a
	// write allocates nothing: writeFd is bound once.
	wb      []byte
	wn      int
	werr    error
	writeFd func(fd uintptr) bool
}

// NewConn returns nc as a Conn; see Conn for fastWrite.
func NewConn(nc net.Conn, fastWrite time.Duration) *Conn {
	c := &Conn{nc: nc, fastWrite: fastWrite}
	if sc, ok := nc.(syscall.Conn); ok && rawIO {
		if rc, err := sc.SyscallConn(); err == nil {
			c.rc = rc
			c.writeFd = c.writeSome
		}
	}
	return c
}

// ReadChunk is the size of the pooled read buffers: most commands fit many
// times over; a larger frame is read in several chunks.
const ReadChunk = 4096

var readBufs = sync.Pool{New: func() any { b := make([]byte, ReadChunk); return &b }}

// PutBuffer gives back a buffer Read returned.
func PutBuffer(b *[]byte) { readBufs.Put(b) }

// Read waits for bytes and returns them in a pooled buffer, which the
// caller gives back with PutBuffer. It returns io.EOF when the client
// closed the connection, and the deadline's error when it passes.
func (c *Conn) Read() (*[]byte, int, error) {
	if c.rc == nil {
		b := readBufs.Get().(*[]byte)
		n, err := c.nc.Read(*b)
		if n > 0 {
			err = nil
		}
		if err != nil {
			PutBuffer(b)
			return nil, 0, err
		}
		return b, n, nil
	}
	var (
		b    *[]byte
		n    int
		rerr error
	)
	err := c.rc.Read(func(fd uintptr) bool {
		b = readBufs.Get().(*[]byte)
		for {
			n, rerr = sysRead(fd, *b)
			if rerr != syscall.EINTR {
				break
			}
		}
		if rerr == syscall.EAGAIN {
			PutBuffer(b)
			b = nil
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
			PutBuffer(b)
		}
		return nil, 0, err
	}
	return b, n, nil
}

// TryWrite writes what the connection takes without waiting (without a
// descriptor: within fastWrite) and returns how much that was; n < len(b)
// with a nil error means the client's receive window is full.
func (c *Conn) TryWrite(b []byte) (int, error) {
	if c.rc == nil {
		_ = c.nc.SetWriteDeadline(time.Now().Add(c.fastWrite))
		n, err := c.nc.Write(b)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			err = nil
		}
		_ = c.nc.SetWriteDeadline(time.Time{})
		return n, err
	}
	c.wb, c.wn, c.werr = b, 0, nil
	err := c.rc.Write(c.writeFd)
	n := c.wn
	if err == nil {
		err = c.werr
	}
	c.wb, c.werr = nil, nil
	return n, err
}

// writeSome writes what the socket takes of c.wb now.
func (c *Conn) writeSome(fd uintptr) bool {
	for c.wn < len(c.wb) {
		m, e := sysWrite(fd, c.wb[c.wn:])
		if e == syscall.EINTR {
			continue
		}
		if e != nil {
			if e != syscall.EAGAIN {
				c.werr = os.NewSyscallError("write", e)
			}
			break
		}
		c.wn += m
	}
	return true // never wait here: the caller decides
}

// Write writes all of b, waiting at most d, and returns how much it wrote.
func (c *Conn) Write(b []byte, d time.Duration) (int, error) {
	_ = c.nc.SetWriteDeadline(time.Now().Add(d))
	n, err := c.nc.Write(b)
	_ = c.nc.SetWriteDeadline(time.Time{})
	return n, err
}

// Control runs fn with the connection's descriptor, which stays open
// during the call. It reports false, without calling fn, for a connection
// without one or one already closed.
func (c *Conn) Control(fn func(fd uintptr)) bool {
	return c.rc != nil && c.rc.Control(fn) == nil
}

// SetReadDeadline sets the deadline of Read and Discard; it may be called
// from any goroutine to wake the reader.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.nc.SetReadDeadline(t) }

// CloseWrite shuts the sending side down once what is written has gone
// out: the client reads everything, then the end of the stream. Without a
// half-close (a connection that is not TCP) it does nothing.
func (c *Conn) CloseWrite() error {
	if hc, ok := c.nc.(interface{ CloseWrite() error }); ok {
		return hc.CloseWrite()
	}
	return nil
}

// Discard reads and drops what the client sends until it closes its side
// (nil), the read deadline passes, or more than limit bytes have come
// (both errors).
func (c *Conn) Discard(limit int) error {
	for read := 0; read <= limit; {
		b, n, err := c.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		PutBuffer(b)
		read += n
	}
	return errDiscardLimit
}

var errDiscardLimit = errors.New("ws: the client kept sending after the close")

// Close closes the connection. Closing while the client's bytes wait unread
// makes the kernel answer with a reset, which can destroy frames the client
// has not read yet: a server that fails a connection first half-closes it
// (CloseWrite) and discards the client's input (Discard), a lingering close.
func (c *Conn) Close() error { return c.nc.Close() }
