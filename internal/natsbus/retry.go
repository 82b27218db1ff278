package natsbus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/liveorders/liveorders/internal/orders"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// retry calls f, each time bounded by attemptTimeout, until it succeeds,
// fails in a way another attempt would not change, or ctx ends; it then
// returns f's last answer.
func retry[T any](ctx context.Context, f func(context.Context) (T, error)) (T, error) {
	for {
		actx, cancel := context.WithTimeout(ctx, attemptTimeout)
		v, err := f(actx)
		cancel()
		if err == nil || !transient(err) || ctx.Err() != nil {
			return v, err
		}
		select {
		case <-ctx.Done():
			return v, err
		case <-time.After(retryWait):
		}
	}
}

// transient reports whether err is JetStream not answering, or answering
// that it cannot now: no leader, no peers yet, a connection being
// re-established.
func transient(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse) ||
		errors.Is(err, nats.ErrConnectionReconnecting) || errors.Is(err, nats.ErrDisconnected) ||
		// What a request gets while the connection is re-established: a
		// Store's connection buffers nothing meanwhile (see Dial).
		errors.Is(err, nats.ErrReconnectBufExceeded) {
		return true
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		// 503: temporarily unavailable, insufficient resources while
		// peers join; 10005: no suitable peers yet; 10009: not the leader.
		return apiErr.Code == 503 || apiErr.ErrorCode == 10005 || apiErr.ErrorCode == 10009
	}
	return false
}

// unavailable marks err, a failure to reach JetStream, as
// orders.ErrUnavailable.
func unavailable(err error) error {
	if err == nil || errors.Is(err, orders.ErrUnavailable) {
		return err
	}
	return fmt.Errorf("%w: %w", orders.ErrUnavailable, err)
}

// isConflict reports whether err is JetStream refusing a publish whose
// expected last sequence is not the subject's.
func isConflict(err error) bool {
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	return apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant
}

// errKeyInProcess is JetStream's error code for a message whose
// Nats-Msg-Id is that of one a clustered stream has not finished storing.
const errKeyInProcess jetstream.ErrorCode = 10158

// inProcess reports whether err is JetStream refusing, for now, an event
// whose key is that of one it is storing (a clustered stream only).
func inProcess(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == errKeyInProcess
}

func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == '.' || r == '*' || r == '>' || r > 0x7e {
			return false
		}
	}
	return true
}
