package natsbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// logStream is the log's stream as a Store sees it: its name and
// configuration, and, once open, the identity of the stream it follows
// (see logID). It starts no goroutine and does not change once open.
type logStream struct {
	js        jetstream.JetStream
	nc        *nats.Conn
	name      string
	subject   string
	replicas  int
	dupWindow time.Duration
	id        string    // identity of the stream followed, see logID
	created   time.Time // the stream's creation time
}

// logID identifies a stream by its creation time: a stream deleted and
// created again under the same name is another log.
func logID(created time.Time) string { return created.UTC().Format(time.RFC3339Nano) }

// config is the configuration of the log's stream.
func (ls *logStream) config() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:       ls.name,
		Subjects:   []string{ls.subject + ".>"},
		Storage:    jetstream.FileStorage,
		Retention:  jetstream.LimitsPolicy,
		Replicas:   ls.replicas,
		Duplicates: ls.dupWindow,
	}
}

// open creates the stream, or brings an existing one to the configuration
// (replicas, duplicate window), records which stream it is, and returns
// what it holds.
func (ls *logStream) open(ctx context.Context) (*jetstream.StreamInfo, error) {
	stream, err := retry(ctx, func(ctx context.Context) (jetstream.Stream, error) {
		// Creating a stream that exists as configured changes nothing and
		// is the quicker call; one configured otherwise is updated.
		stream, err := ls.js.CreateStream(ctx, ls.config())
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			stream, err = ls.js.UpdateStream(ctx, ls.config())
		}
		return stream, err
	})
	if err != nil {
		return nil, fmt.Errorf("natsbus: create stream %s: %w", ls.name, unavailable(err))
	}
	info := stream.CachedInfo()
	ls.id, ls.created = logID(info.Created), info.Created
	return info, nil
}

// info looks at the stream again, which must still be the one followed.
func (ls *logStream) info(ctx context.Context) (*jetstream.StreamInfo, error) {
	stream, err := retry(ctx, func(ctx context.Context) (jetstream.Stream, error) { return ls.js.Stream(ctx, ls.name) })
	if err != nil {
		return nil, fmt.Errorf("natsbus: look at stream %s: %w", ls.name, unavailable(err))
	}
	info := stream.CachedInfo()
	if err := ls.check(info, 0); err != nil {
		return nil, err
	}
	return info, nil
}

// check compares info, the stream as it is, with the one followed, of
// which the events up to applied were applied before info was asked for.
func (ls *logStream) check(info *jetstream.StreamInfo, applied uint64) error {
	if id := logID(info.Created); id != ls.id {
		return fmt.Errorf("%w: stream %s was created again at %s (this instance follows the one created at %s); restart the instance to rebuild from the new log",
			ErrLogReset, ls.name, id, ls.id)
	}
	if last := info.State.LastSeq; last < applied {
		return &shortLogError{stream: ls.name, last: last, applied: applied}
	}
	return nil
}

// shortLogError is a stream that ends before what a Store applied.
type shortLogError struct {
	stream        string
	last, applied uint64
}

func (e *shortLogError) Error() string {
	return fmt.Sprintf("%v: stream %s ends at seq %d, before seq %d this instance had applied; restart the instance to rebuild from the log as it now is",
		ErrLogReset, e.stream, e.last, e.applied)
}

func (e *shortLogError) Unwrap() error { return ErrLogReset }

// firstSince returns the seq of the first event stored at t or later,
// jetstream.ErrMsgNotFound if there is none.
func (ls *logStream) firstSince(ctx context.Context, t time.Time) (uint64, error) {
	return ls.msgSeq(ctx, struct {
		StartTime time.Time `json:"start_time"`
	}{t.UTC()})
}

// lastOn returns the seq of the last event on subject,
// jetstream.ErrMsgNotFound if there is none (never stored, or purged).
func (ls *logStream) lastOn(ctx context.Context, subject string) (uint64, error) {
	return ls.msgSeq(ctx, struct {
		Subject string `json:"last_by_subj"`
	}{subject})
}

// msgSeq asks the stream for the message req selects and returns its seq.
// The message itself is not needed: the stream's own API answers in one
// round trip, without the stream info that jetstream.Stream looks up first.
func (ls *logStream) msgSeq(ctx context.Context, req any) (uint64, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return 0, err
	}
	msg, err := ls.nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET."+ls.name, body)
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
