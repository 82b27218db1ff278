package api_test

import (
	"testing"

	"github.com/liveorders/liveorders/api"
)

// BenchmarkDecodeCommand measures ParseCommand, schema validation and
// decoding included, on the commands a client sends most.
func BenchmarkDecodeCommand(b *testing.B) {
	for _, bc := range []struct {
		name  string
		frame string
	}{
		{"update-category", `{"cmd":"update-category","payload":{"category":"confectionery"},"ref":"1"}`},
		{"place-order", `{"cmd":"place-order","payload":{"id":"A1","amount":2},"ref":"7"}`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			frame := []byte(bc.frame)
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			for b.Loop() {
				cmd, err := api.ParseCommand(frame)
				if err != nil || cmd == nil {
					b.Fatalf("ParseCommand(%s) = %v, %v", frame, cmd, err)
				}
			}
		})
	}
}
