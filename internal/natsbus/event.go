package natsbus

import "encoding/json"

// Event kinds.
const (
	kindOrder   = "order"
	kindProduct = "product"
)

// event is one message of the log. Src and Ref name the Store that
// published it and its call, so that the call gets its own update back.
type event struct {
	Kind     string `json:"kind"`
	Category string `json:"category,omitempty"`
	ID       string `json:"id"`
	Amount   int64  `json:"amount,omitempty"`
	Name     string `json:"name,omitempty"`
	RRP      string `json:"rrp,omitempty"`
	Info     string `json:"info,omitempty"`
	Src      string `json:"src,omitempty"`
	Ref      uint64 `json:"ref,omitempty"`
}

func (e *event) marshal() ([]byte, error) { return json.Marshal(e) }

func (e *event) unmarshal(b []byte) error { return json.Unmarshal(b, e) }
