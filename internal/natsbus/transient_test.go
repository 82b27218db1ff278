package natsbus

import (
	"context"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// What retry makes again, and what it does not.
func TestTransient(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"no answer in time", context.DeadlineExceeded, true},
		{"reconnecting, nothing buffered", nats.ErrReconnectBufExceeded, true},
		{"reconnecting, wrapped", fmt.Errorf("look at the stream: %w", nats.ErrReconnectBufExceeded), true},
		{"disconnected", nats.ErrDisconnected, true},
		{"no leader", &jetstream.APIError{Code: 503, ErrorCode: 10008}, true},
		{"stream not found", jetstream.ErrStreamNotFound, false},
		{"cancelled", context.Canceled, false},
		{"connection closed", nats.ErrConnectionClosed, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := transient(tc.err); got != tc.want {
				t.Fatalf("transient(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
