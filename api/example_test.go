package api_test

import (
	"encoding/json"
	"fmt"

	"github.com/liveorders/liveorders/api"
)

// A frame that matches its command's definition decodes to the command's
// value type.
func ExampleParseCommand() {
	cmd, perr := api.ParseCommand([]byte(`{"cmd":"place-order","payload":{"id":"A1","amount":2},"ref":"7"}`))
	if perr != nil {
		fmt.Println("refused:", perr.Message)
		return
	}
	switch c := cmd.(type) {
	case api.PlaceOrder:
		fmt.Printf("order %d of %s, ref %q\n", c.Payload.Amount, c.Payload.ID, c.Ref)
	case api.UpdateCategory:
		fmt.Println("switch to", c.Payload.Category)
	case api.Pong:
		fmt.Println("pong")
	}
	// Output: order 2 of A1, ref "7"
}

// A frame that does not match is refused with the error message to send
// back: its code, the ref of the command and a detail for each fault.
func ExampleParseCommand_refused() {
	_, perr := api.ParseCommand([]byte(`{"cmd":"place-order","payload":{"id":"A1","amount":0},"ref":"7"}`))
	fmt.Println(perr.Code, perr.Ref)
	for _, d := range perr.Details {
		fmt.Printf("%s: %s\n", d.Pointer, d.Reason)
	}
	frame, _ := json.Marshal(perr)
	fmt.Println(string(frame))
	// Output:
	// invalid_payload 7
	// /payload/amount: minimum: got 0, want 1
	// {"type":"error","code":"invalid_payload","message":"place-order: /payload/amount: minimum: got 0, want 1","ref":"7","details":[{"pointer":"/payload/amount","reason":"minimum: got 0, want 1"}]}
}
