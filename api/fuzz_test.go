package api_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/schema"
)

// FuzzDecodeCommand feeds arbitrary frames to api.ParseCommand, seeded with
// every command fixture and every example of commands.schema.json. Whatever
// the frame, ParseCommand returns a command or an *api.Error, never both;
// it accepts only what the command's own definition accepts, and what it
// accepts encodes and parses back to the same command. Its fast path
// accepts only what the slow path accepts, as the same command, and takes
// every command as it encodes.
func FuzzDecodeCommand(f *testing.F) {
	for _, fx := range loadFixtures(f) {
		if fx.isCommand() {
			f.Add(fx.frame())
		}
	}
	for _, def := range loadDefs(f)[api.CommandsSchemaFile] {
		for _, ex := range def.Examples {
			b, err := json.Marshal(ex)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if fast, ok := api.ScanCommand(data); ok {
			checkSameAsSlow(t, data, fast)
		}
		cmd, perr := api.ParseCommand(data)
		if (cmd == nil) == (perr == nil) {
			t.Fatalf("ParseCommand(%q) = %#v, %#v: want exactly one", data, cmd, perr)
		}
		var in any
		jsonErr := json.Unmarshal(data, &in)
		if perr != nil {
			checkFuzzRefusal(t, data, in, jsonErr, perr)
			return
		}

		if jsonErr != nil {
			t.Fatalf("accepted %q, which is not JSON: %v", data, jsonErr)
		}
		def, ok := api.CommandSchemas[cmd.CommandName()]
		if !ok {
			t.Fatalf("accepted %q as %T, which has no schema", data, cmd)
		}
		if obj, _ := in.(map[string]any); obj["cmd"] != string(cmd.CommandName()) {
			t.Fatalf("accepted %q as a %s", data, cmd.CommandName())
		}
		if vs := schema.Validate(def, in); vs != nil {
			t.Fatalf("accepted %q, which %s refuses: %v", data, def, vs)
		}
		out, err := json.Marshal(cmd)
		if err != nil {
			t.Fatalf("encode %#v: %v", cmd, err)
		}
		if vs := schema.Validate(def, mustDecodeAny(t, out)); vs != nil {
			t.Fatalf("%#v encodes as %s, which %s refuses: %v", cmd, out, def, vs)
		}
		fast, ok := api.ScanCommand(out)
		if !ok || !reflect.DeepEqual(fast, cmd) {
			t.Fatalf("%s, the encoding of %#v, is not taken by the fast path (%#v, %t)", out, cmd, fast, ok)
		}
		again, perr := api.ParseCommand(out)
		if perr != nil {
			t.Fatalf("%s, the encoding of %#v, is refused: %+v", out, cmd, perr)
		}
		if !reflect.DeepEqual(again, cmd) {
			t.Fatalf("%q parsed as %#v, encoded as %s, parsed back as %#v", data, cmd, out, again)
		}
	})
}

// checkFuzzRefusal checks an *api.Error answering data.
func checkFuzzRefusal(t *testing.T, data []byte, in any, jsonErr error, perr *api.Error) {
	t.Helper()
	if !perr.Code.Valid() || perr.Message == "" {
		t.Fatalf("ParseCommand(%q): code %q, message %q", data, perr.Code, perr.Message)
	}
	if (jsonErr != nil) != (perr.Code == api.ErrorCodeInvalidJSON) {
		t.Fatalf("ParseCommand(%q): code %s, but json.Unmarshal says %v", data, perr.Code, jsonErr)
	}
	if want := validRef(in); perr.Ref != want {
		t.Fatalf("ParseCommand(%q): ref %q, want %q", data, perr.Ref, want)
	}
	for _, d := range perr.Details {
		if (d.Pointer != "" && !strings.HasPrefix(d.Pointer, "/")) || d.Reason == "" {
			t.Fatalf("ParseCommand(%q): bad detail %+v", data, d)
		}
	}
}
