package socket

import (
	"time"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/hub"
)

// Metrics is what sessions report; the HTTP layer exports it. Calls come
// from every session's goroutines and must not block.
type Metrics interface {
	SocketOpened(mode hub.Mode)
	// SocketClosed reports a closed session with the close code it ended
	// with (1006 when there was no close frame).
	SocketClosed(mode hub.Mode, code int)
	// MessageSent counts a message queued to a client.
	MessageSent(t api.MessageType)
	// CommandRefused counts a command answered with an error.
	CommandRefused(code api.ErrorCode)
	// Observe records a duration of kind t.
	Observe(t Timing, d time.Duration)
}

// Timing is a kind of duration sessions report.
type Timing uint8

const (
	// SwitchTime is how long a category switch took to queue its snapshot.
	SwitchTime Timing = iota
	// DeliveryTime is from a session's outbox filling to its frames being
	// written.
	DeliveryTime
)

type noMetrics struct{}

func (noMetrics) SocketOpened(hub.Mode)         {}
func (noMetrics) SocketClosed(hub.Mode, int)    {}
func (noMetrics) MessageSent(api.MessageType)   {}
func (noMetrics) CommandRefused(api.ErrorCode)  {}
func (noMetrics) Observe(Timing, time.Duration) {}
