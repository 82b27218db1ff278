// Package socket serves the orders WebSocket once its upgrade is answered:
// one session per connection, each with one reader, a conflated outbox
// (internal/hub) written by one writer at a time, a heartbeat, the close
// handshake, bearer tokens, and the commands of the liveorders.v1 contract. An Engine
// holds every session: it starts them (Serve), pings them, closes one or
// all of them with a chosen code (Kick), and closes them all at shutdown.
//
// # One writer
//
// A session's connection is written only by the goroutine holding its write
// turn: a pool worker or the session's reader takes the turn when it finds
// the session queued, may hand it to a goroutine of the session's own while
// a slow client catches up, and whoever holds it gives it back. The turn is
// the session's turn field (idle, queued, writing), changed under its lock
// and nowhere else but writer.go. Producers (the hub, the heartbeat, the
// timers) never write and never block: they put frames in the outbox and
// wake the session, which queues it for the pool. What answers the frame
// the reader is handling (a snapshot, an error, a pong, a close) goes in
// the outbox too, but the session is not queued for it: the reader writes
// it once done with the frame or, when another goroutine holds the turn
// then, that one writes it before giving the turn back; ahead of order
// updates either way.
//
// The pool is GOMAXPROCS workers, each draining a session's whole outbox
// into one buffer and writing it with one write. Sessions with other
// urgent frames (a ping, a timer's error or close) wait in a queue that
// workers serve first. A worker never waits on a client: what the kernel
// does not take at once is written by the session's own goroutine at the
// client's pace, within Config.WriteWait, or the session is closed.
//
// # Commands first
//
// A command must not wait for a fan-out to end. Go's scheduler looks for
// readable sockets only when a processor runs out of work, so while the
// workers (and the hub's loop waking sessions) keep every processor busy
// with an order's thousands of writes, a command that arrives waits for
// the last of them. On Linux the input watch (input_linux.go) closes that
// gap: between two sessions, at most every Config.ReadPoll, those loops
// ask an epoll instance of the engine's own which sockets have bytes,
// wake their readers through the read deadline, and give their processor
// to them. A reader woken early goes back to reading with its deadline
// unchanged.
//
// # Concurrency
//
// An Engine is safe for concurrent use. Each session has one reader
// goroutine, started by Serve; it owns the session's teardown: once reading
// is over it leaves the hub, waits for the write turn to be given back,
// and closes the connection. The close handshake (ws.Handshake) is guarded
// by the session's lock; a writer that puts the close frame on the wire
// wakes the reader through its read deadline, and the reader then lingers
// (half-closed, still reading) until the client closes too, closeGrace
// passes or lingerBytes arrive, so that closing never resets the
// connection under a close frame the client has yet to read.
//
// A session with a bearer token (token.go) owns one timer, its token's
// expiry and then its grace: the callbacks check the token's generation
// under the session's lock and only queue an error or a close; teardown
// stops the timer.
//
// Shutdown closes every session with 1001 after what it has pending and
// waits for their readers, bounded by its context; then it stops the
// heartbeat and the pool. Nothing else keeps a session: the hub holds only
// its subscription, which the reader removes.
package socket
