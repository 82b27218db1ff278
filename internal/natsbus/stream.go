package natsbus

import (
	"context"
	"encoding/json"
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

// streamConfig is the configuration of the log's stream.
func (s *Store) streamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:       s.stream,
		Subjects:   []string{s.subject + ".>"},
		Storage:    jetstream.FileStorage,
		Retention:  jetstream.LimitsPolicy,
		Replicas:   s.replicas,
		Duplicates: s.dupWindow,
	}
}

// openStream creates the stream, or brings an existing one to the
// configuration (replicas, duplicate window), and returns it.
func (s *Store) openStream(ctx context.Context) (jetstream.Stream, error) {
	stream, err := retry(ctx, func(ctx context.Context) (jetstream.Stream, error) {
		// Creating a stream that exists as configured changes nothing and
		// is the quicker call; one configured otherwise is updated.
		stream, err := s.js.CreateStream(ctx, s.streamConfig())
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			stream, err = s.js.UpdateStream(ctx, s.streamConfig())
		}
		return stream, err
	})
	if err != nil {
		return nil, fmt.Errorf("natsbus: create stream %s: %w", s.stream, unavailable(err))
	}
	return stream, nil
}

// streamInfo looks at the stream again, which must still be the one this
// Store follows.
func (s *Store) streamInfo(ctx context.Context) (*jetstream.StreamInfo, error) {
	stream, err := retry(ctx, func(ctx context.Context) (jetstream.Stream, error) { return s.js.Stream(ctx, s.stream) })
	if err != nil {
		return nil, fmt.Errorf("natsbus: look at stream %s: %w", s.stream, unavailable(err))
	}
	info := stream.CachedInfo()
	if err := s.check(info, 0); err != nil {
		return nil, err
	}
	return info, nil
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

// firstSince returns the seq of the first event stored at t or later,
// jetstream.ErrMsgNotFound if there is none.
func (s *Store) firstSince(ctx context.Context, t time.Time) (uint64, error) {
	return s.msgSeq(ctx, struct {
		StartTime time.Time `json:"start_time"`
	}{t.UTC()})
}

// lastOn returns the seq of the last event on subject,
// jetstream.ErrMsgNotFound if there is none (never stored, or purged).
func (s *Store) lastOn(ctx context.Context, subject string) (uint64, error) {
	return s.msgSeq(ctx, struct {
		Subject string `json:"last_by_subj"`
	}{subject})
}

// msgSeq asks the stream for the message req selects and returns its seq.
// The message itself is not needed: the stream's own API answers in one
// round trip, without the stream info that jetstream.Stream looks up first.
func (s *Store) msgSeq(ctx context.Context, req any) (uint64, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return 0, err
	}
	msg, err := s.nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET."+s.stream, body)
	if err != nil {
		return 0, err
	}
	var resp struct {
		Message *struct {
			Seq uint64 `json:"seq"`
		} `json:"message"`
		Error *jetstream.APIError `json:"error"`
	}
	if err := json.Unmarshal(msg.Data, &resp); err != nil {
		return 0, fmt.Errorf("natsbus: get a message of the stream: %w", err)
	}
	switch {
	case resp.Error != nil && resp.Error.ErrorCode == jetstream.JSErrCodeMessageNotFound:
		return 0, jetstream.ErrMsgNotFound
	case resp.Error != nil:
		return 0, resp.Error
	case resp.Message == nil:
		return 0, errors.New("natsbus: get a message of the stream: empty answer")
	}
	return resp.Message.Seq, nil
}
