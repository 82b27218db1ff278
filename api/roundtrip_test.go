package api_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/liveorders/liveorders/api"
)

// TestExamplesRoundTrip decodes every example of every definition into its
// Go type (unions through their decoder) and encodes it again: the JSON must
// come back unchanged.
func TestExamplesRoundTrip(t *testing.T) {
	defs := rtLoad(t)
	types := map[string]reflect.Type{}
	for _, v := range rtTypes {
		types[rtName(v)] = reflect.TypeOf(v)
	}
	n := 0
	for name, d := range defs {
		for i, ex := range d.Examples {
			in, err := json.Marshal(ex)
			if err != nil {
				t.Fatal(err)
			}
			t.Run(fmt.Sprintf("%s/%d", name, i), func(t *testing.T) {
				var v any
				switch {
				case rtUnions[name] != nil:
					if v, err = rtUnions[name](in); err != nil {
						t.Fatalf("decode %s: %v", in, err)
					}
				case types[name] != nil:
					p := reflect.New(types[name])
					if err := json.Unmarshal(in, p.Interface()); err != nil {
						t.Fatalf("decode %s: %v", in, err)
					}
					v = p.Elem().Interface()
				case rtConsts[name] != "":
					if ex != rtConsts[name] {
						t.Errorf("example %v differs from the constant %q", ex, rtConsts[name])
					}
					n++
					return
				default:
					t.Fatalf("%s has no Go type, decoder or constant in this test", name)
				}
				out, err := json.Marshal(v)
				if err != nil {
					t.Fatal(err)
				}
				if !rtSameJSON(t, out, in) {
					t.Errorf("round trip through %T:\n got %s\nwant %s", v, out, in)
				}
				n++
			})
		}
	}
	if n == 0 {
		t.Fatal("no example was round-tripped")
	}
}

// TestUnionsDispatchAndMarshal checks the generated union code: each
// discriminator value decodes to the member its *Schemas entry names, as a
// value; the zero value of each member still encodes its discriminator; an
// unknown value gives an *api.UnknownKindError.
func TestUnionsDispatchAndMarshal(t *testing.T) {
	check := func(t *testing.T, prop, value, location string, decode func([]byte) (any, error)) {
		t.Helper()
		v, err := decode([]byte(fmt.Sprintf(`{%q:%q}`, prop, value)))
		if err != nil {
			t.Fatal(err)
		}
		typ := reflect.TypeOf(v)
		if typ.Kind() != reflect.Struct {
			t.Errorf("decoded a %s, want a struct value", typ)
		}
		if !strings.HasSuffix(location, "#/$defs/"+typ.Name()) {
			t.Errorf("decoded a %s, but its schema is %s", typ.Name(), location)
		}
		zero, err := json.Marshal(reflect.Zero(typ).Interface())
		if err != nil {
			t.Fatal(err)
		}
		var fields map[string]any
		if err := json.Unmarshal(zero, &fields); err != nil {
			t.Fatal(err)
		}
		if fields[prop] != value {
			t.Errorf("the zero %s encodes as %s, without %s %q", typ.Name(), zero, prop, value)
		}
	}
	for name, location := range api.CommandSchemas {
		t.Run("Command/"+string(name), func(t *testing.T) {
			check(t, "cmd", string(name), location, rtUnions["Command"])
		})
	}
	for name, location := range api.MessageSchemas {
		t.Run("Message/"+string(name), func(t *testing.T) {
			check(t, "type", string(name), location, rtUnions["Message"])
		})
	}
	if len(api.CommandSchemas) != len(api.CommandNameValues) || len(api.MessageSchemas) != len(api.MessageTypeValues) {
		t.Error("a discriminator value has no member schema")
	}

	_, err := api.DecodeCommand([]byte(`{"cmd":"launch"}`))
	var unknown *api.UnknownKindError
	if !errors.As(err, &unknown) || *unknown != (api.UnknownKindError{Union: "Command", Property: "cmd", Value: "launch"}) {
		t.Errorf("DecodeCommand(launch) error = %#v", err)
	}
	if want := `api: unknown cmd "launch" for Command`; err == nil || err.Error() != want {
		t.Errorf("error message %q, want %q", err, want)
	}
	if _, err := api.DecodeMessage([]byte(`[]`)); err == nil {
		t.Error("DecodeMessage accepted a JSON array")
	}
	if b, err := json.Marshal(api.Snapshot{}); err != nil || !bytes.Contains(b, []byte(`"items":[]`)) {
		t.Errorf("the zero Snapshot encodes as %s (%v), want an empty items list", b, err)
	}
}
