package main

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

// stampConn is a client TCP connection that knows when the kernel received
// the bytes it last read (SO_TIMESTAMPNS): the arrival time of a frame is
// then the moment its last byte reached the client's socket, not the
// moment a goroutine of this process, which shares the cores with the
// server and reads thousands of sockets, got round to reading it. It is
// what a client with a core of its own would see, and never earlier:
// bytes read together carry the stamp of the latest of them.
type stampConn struct {
	*net.TCPConn
	rc    syscall.RawConn
	ep    int64 // the run's epoch, Unix nanoseconds
	stamp int64 // arrival of the bytes last read, ns since ep; 0: none
	oob   [64]byte

	// The last recvmsg's arguments and results, so that the function
	// given to rc.Read is made once, not allocated on every read: with
	// thousands of sockets those allocations are most of loadgen's
	// garbage, and its collector's CPU is taken from the server.
	recv    func(fd uintptr) bool
	p       []byte
	n, oobn int
	rerr    error
}

// dialStamped dials addr and turns on receive timestamps; without them
// (an old kernel) it returns the plain connection.
func dialStamped(d *net.Dialer, ep time.Time) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		tc, ok := c.(*net.TCPConn)
		if !ok {
			return c, nil
		}
		rc, err := tc.SyscallConn()
		if err != nil {
			return c, nil
		}
		var serr error
		if err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1)
		}); err != nil || serr != nil {
			return c, nil
		}
		sc := &stampConn{TCPConn: tc, rc: rc, ep: ep.UnixNano()}
		sc.recv = sc.recvmsg
		return sc, nil
	}
}

// Read reads like the TCP connection's Read, keeping the receive stamp.
func (c *stampConn) Read(p []byte) (int, error) {
	c.p = p
	err := c.rc.Read(c.recv)
	n, oobn, rerr := c.n, c.oobn, c.rerr
	c.p, c.rerr = nil, nil
	switch {
	case err != nil:
		return 0, err
	case rerr != nil:
		return 0, os.NewSyscallError("recvmsg", rerr)
	case n == 0 && len(p) > 0:
		return 0, io.EOF
	}
	c.stamp = 0 // no stamp (timestamping is turned on lazily by the kernel): the read time stands
	if ts, ok := stampOf(c.oob[:oobn]); ok {
		c.stamp = ts - c.ep
	}
	return n, nil
}

// recvmsg is the read given to the raw connection: done when it read
// something or failed otherwise than by finding no data.
func (c *stampConn) recvmsg(fd uintptr) bool {
	for {
		c.n, c.oobn, _, _, c.rerr = syscall.Recvmsg(int(fd), c.p, c.oob[:], 0)
		if c.rerr != syscall.EINTR {
			break
		}
	}
	return c.rerr != syscall.EAGAIN
}

// stampOf finds the SCM_TIMESTAMPNS message in oob: a cmsghdr (length,
// level, type) followed by a timespec, all in the machine's byte order.
func stampOf(oob []byte) (int64, bool) {
	const hdr = 16 // cmsghdr on 64-bit Linux
	for len(oob) >= hdr {
		l := int(binary.NativeEndian.Uint64(oob))
		level := int32(binary.NativeEndian.Uint32(oob[8:]))
		typ := int32(binary.NativeEndian.Uint32(oob[12:]))
		if l < hdr || l > len(oob) {
			return 0, false
		}
		if level == syscall.SOL_SOCKET && typ == syscall.SCM_TIMESTAMPNS && l >= hdr+16 {
			sec := int64(binary.NativeEndian.Uint64(oob[hdr:]))
			nsec := int64(binary.NativeEndian.Uint64(oob[hdr+8:]))
			return sec*1e9 + nsec, true
		}
		oob = oob[(l+7)&^7:]
	}
	return 0, false
}
