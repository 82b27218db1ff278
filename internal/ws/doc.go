// Package ws is the server side of the WebSocket protocol (RFC 6455) once
// the upgrade is answered: opcodes and close codes (protocol.go), frames
// (frame.go), an incremental reader that checks every rule the client's
// bytes must keep, UTF-8 of text messages included (reader.go, utf8.go), a
// connection read and written without buffers of its own (conn.go), and the
// close handshake (close.go). It imports nothing of the project: which
// messages travel, and who writes when, are the caller's business.
//
// No extension is negotiated: reserved bits are refused, and frames are
// written unfragmented and uncompressed.
//
// # Concurrency
//
// A Reader is used by one goroutine, the connection's reader. A Conn is
// read (Read, Discard) by that goroutine and written (TryWrite, Write) by
// one goroutine at a time, chosen by the caller; SetReadDeadline,
// CloseWrite and Close may be called from any goroutine, and a deadline set
// in the past is how another goroutine wakes the reader. A Handshake is
// guarded by its owner's lock. The frame functions are pure.
package ws
