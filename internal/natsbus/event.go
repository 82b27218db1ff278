package natsbus

import "encoding/json"

// Event kinds.
const (
	kindOrder   = "order"
	kindProduct = "product"
)

// event is one message of the log. Src and Ref name the Store that
// published it and its call, so that the call gets its own update back.
// Log names the stream its writer follows (see logID): an event written by
// an instance that still follows a deleted stream is not folded into the
// stream that replaced it. Key is an order's idempotency key, also sent as
// the message's Nats-Msg-Id.
type event struct {
	Kind     string `json:"kind"`
	Category string `json:"category,omitempty"`
	ID       string `json:"id"`
	Amount   int64  `json:"amount,omitempty"`
	Name     string `json:"name,omitempty"`
	RRP      string `json:"rrp,omitempty"`
	Info     string `json:"info,omitempty"`
	Key      string `json:"key,omitempty"`
	Src      string `json:"src,omitempty"`
	Ref      uint64 `json:"ref,omitempty"`
	Log      string `json:"log,omitempty"`
}

func (e *event) marshal() ([]byte, error) { return json.Marshal(e) }

func (e *event) unmarshal(b []byte) error { return json.Unmarshal(b, e) }
