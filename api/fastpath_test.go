package api_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/liveorders/liveorders/api"
)

// TestFastPathAcceptsValidCommands checks that ParseCommand takes its fast
// path for every valid command fixture and every command example, with the
// same result as the slow path, and never for an invalid fixture.
func TestFastPathAcceptsValidCommands(t *testing.T) {
	for _, f := range loadFixtures(t) {
		if !f.isCommand() {
			continue
		}
		t.Run(f.name, func(t *testing.T) {
			fast, ok := api.ScanCommand(f.frame())
			if !f.valid {
				if ok {
					t.Fatalf("fast path accepted %s as %#v", f.frame(), fast)
				}
				return
			}
			if !ok {
				t.Fatalf("fast path refused %s", f.frame())
			}
			checkSameAsSlow(t, f.frame(), fast)
		})
	}
	for _, def := range loadDefs(t)[api.CommandsSchemaFile] {
		for _, ex := range def.Examples {
			if obj, ok := ex.(map[string]any); !ok || obj["cmd"] == nil {
				continue // not a command, such as an example of Ref
			}
			frame, err := json.Marshal(ex)
			if err != nil {
				t.Fatal(err)
			}
			fast, ok := api.ScanCommand(frame)
			if !ok {
				t.Errorf("fast path refused the example %s", frame)
				continue
			}
			checkSameAsSlow(t, frame, fast)
		}
	}
}

// checkSameAsSlow fails unless the slow path accepts frame as cmd.
func checkSameAsSlow(t *testing.T, frame []byte, cmd api.Command) {
	t.Helper()
	slow, perr := api.ParseCommandSlow(frame)
	if perr != nil {
		t.Fatalf("fast path accepted %s, which the slow path refuses: %s %q %+v", frame, perr.Code, perr.Message, perr.Details)
	}
	if !reflect.DeepEqual(cmd, slow) {
		t.Fatalf("%s: fast path gives %#v, slow path %#v", frame, cmd, slow)
	}
}

// TestFastPathMessages checks that the strict decoder behind DecodeMessage
// accepts every example of a server message, giving what encoding/json
// gives.
func TestFastPathMessages(t *testing.T) {
	n := 0
	for _, def := range loadDefs(t)[api.MessagesSchemaFile] {
		for _, ex := range def.Examples {
			obj, ok := ex.(map[string]any)
			if !ok || obj["type"] == nil {
				continue
			}
			frame, err := json.Marshal(ex)
			if err != nil {
				t.Fatal(err)
			}
			fast, ok := api.ScanMessage(frame)
			if !ok {
				t.Errorf("fast path refused the example %s", frame)
				continue
			}
			zero, ok := defTypes[reflect.TypeOf(fast).Name()]
			if !ok {
				t.Fatalf("no zero value for %T", fast)
			}
			p := reflect.New(reflect.TypeOf(zero))
			if err := json.Unmarshal(frame, p.Interface()); err != nil {
				t.Fatalf("%s: %v", frame, err)
			}
			if got := p.Elem().Interface(); !reflect.DeepEqual(got, fast) {
				t.Errorf("%s: fast path gives %#v, encoding/json %#v", frame, fast, got)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("no message examples")
	}
}
