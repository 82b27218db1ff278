package api_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/schema"
)

// fixtureDir holds the schema-driven fixtures shared with FuzzDecodeCommand.
var fixtureDir = filepath.Join("..", "schema", "testdata")

// fixture is one file of fixtureDir/valid or fixtureDir/invalid.
type fixture struct {
	// Def is the definition the instance is checked against, such as
	// "commands.schema.json#/$defs/PlaceOrder". A definition of
	// commands.schema.json means the instance is a frame for
	// api.ParseCommand; any other goes through schema.Validate.
	Def string `json:"def"`
	// Instance is the JSON value under test, fed as is.
	Instance json.RawMessage `json:"instance"`
	// Raw replaces Instance for input that is not JSON, or whose exact
	// bytes matter.
	Raw *string `json:"raw"`
	// Code is the error code an invalid fixture is refused with.
	Code api.ErrorCode `json:"code"`
	// Pointer is the JSON pointer of the first error detail of an invalid
	// fixture, or null when the refusal has no details (invalid JSON).
	Pointer json.RawMessage `json:"pointer"`
}

// fixtureFile is a fixture with where it came from.
type fixtureFile struct {
	name  string // "valid/pong", "invalid/pong-payload-null"
	valid bool
	fixture
}

// frame returns the bytes under test.
func (f fixtureFile) frame() []byte {
	if f.Raw != nil {
		return []byte(*f.Raw)
	}
	return f.Instance
}

// isCommand reports whether the fixture is a client frame.
func (f fixtureFile) isCommand() bool {
	return strings.HasPrefix(f.Def, api.CommandsSchemaFile+"#")
}

// loadFixtures reads and checks the shape of every fixture file.
func loadFixtures(tb testing.TB) []fixtureFile {
	tb.Helper()
	var out []fixtureFile
	for _, dir := range []string{"valid", "invalid"} {
		paths, err := filepath.Glob(filepath.Join(fixtureDir, dir, "*.json"))
		if err != nil {
			tb.Fatal(err)
		}
		if len(paths) == 0 {
			tb.Fatalf("no fixtures in %s", filepath.Join(fixtureDir, dir))
		}
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				tb.Fatal(err)
			}
			f := fixtureFile{name: dir + "/" + strings.TrimSuffix(filepath.Base(p), ".json"), valid: dir == "valid"}
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&f.fixture); err != nil {
				tb.Fatalf("%s: %v", p, err)
			}
			switch {
			case f.Def == "":
				tb.Fatalf("%s: no def", p)
			case (f.Raw == nil) == (f.Instance == nil):
				tb.Fatalf("%s: needs exactly one of instance and raw", p)
			case f.valid && (f.Code != "" || f.Pointer != nil):
				tb.Fatalf("%s: a valid fixture has no code or pointer", p)
			case !f.valid && (!f.Code.Valid() || f.Pointer == nil):
				tb.Fatalf("%s: an invalid fixture needs a known code and a pointer (null for none)", p)
			}
			if err := schema.Compile(f.Def); err != nil {
				tb.Fatalf("%s: %v", p, err)
			}
			out = append(out, f)
		}
	}
	return out
}

// wantPointer returns the pointer an invalid fixture expects, and false
// when it expects no details.
func (f fixtureFile) wantPointer(t *testing.T) (string, bool) {
	t.Helper()
	var p *string
	if err := json.Unmarshal(f.Pointer, &p); err != nil {
		t.Fatalf("pointer %s: %v", f.Pointer, err)
	}
	if p == nil {
		return "", false
	}
	return *p, true
}

// TestFixtures runs every fixture: command frames through api.ParseCommand,
// which must accept the valid ones and refuse the invalid ones with exactly
// the expected code and first pointer; other definitions (HTTP bodies,
// catalogue files) through schema.Validate.
func TestFixtures(t *testing.T) {
	for _, f := range loadFixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			switch {
			case f.isCommand() && f.valid:
				checkValidCommand(t, f)
			case f.isCommand():
				checkInvalidCommand(t, f)
			case f.valid:
				checkValidBody(t, f)
			default:
				checkInvalidBody(t, f)
			}
		})
	}
}

func checkValidCommand(t *testing.T, f fixtureFile) {
	cmd, perr := api.ParseCommand(f.frame())
	if perr != nil {
		t.Fatalf("refused: %s %q %+v", perr.Code, perr.Message, perr.Details)
	}
	if cmd == nil {
		t.Fatal("no command and no error")
	}
	own := api.CommandSchemas[cmd.CommandName()]
	if f.Def != own && f.Def != api.CommandsSchemaFile+"#/$defs/Command" {
		t.Errorf("parsed a %s, whose definition is %s, not %s", cmd.CommandName(), own, f.Def)
	}
	in := mustDecodeAny(t, f.frame())
	if vs := schema.Validate(f.Def, in); vs != nil {
		t.Errorf("the schema refuses the fixture: %v", vs)
	}
	out, err := json.Marshal(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if got := mustDecodeAny(t, out); !reflect.DeepEqual(got, in) {
		t.Errorf("parsed %#v, which encodes as\n %s\nwant the frame\n %s", cmd, out, f.frame())
	}
}

func checkInvalidCommand(t *testing.T, f fixtureFile) {
	cmd, perr := api.ParseCommand(f.frame())
	if perr == nil {
		t.Fatalf("accepted as %#v", cmd)
	}
	if cmd != nil {
		t.Errorf("returned both %#v and an error", cmd)
	}
	checkRefusal(t, f, perr.Code, perr.Details)
	if perr.Message == "" || !utf8.ValidString(perr.Message) {
		t.Errorf("message %q is empty or not UTF-8", perr.Message)
	}
	var in any
	if json.Unmarshal(f.frame(), &in) != nil {
		if perr.Ref != "" {
			t.Errorf("ref %q echoed from a frame that is not JSON", perr.Ref)
		}
		return
	}
	if want := validRef(in); perr.Ref != want {
		t.Errorf("ref = %q, want %q", perr.Ref, want)
	}
	if vs := schema.Validate(f.Def, in); vs == nil {
		t.Errorf("the schema accepts the fixture, so it cannot be an invalid %s", f.Def)
	}
}

func checkValidBody(t *testing.T, f fixtureFile) {
	in := mustDecodeAny(t, f.frame())
	if vs := schema.Validate(f.Def, in); vs != nil {
		t.Fatalf("refused: %v", vs)
	}
	zero, ok := defTypes[defName(f.Def)]
	if !ok {
		return
	}
	out := roundTrip(t, zero, f.frame())
	if got := mustDecodeAny(t, out); !reflect.DeepEqual(got, in) {
		t.Errorf("round trip through %T:\n got %s\nwant %s", zero, out, f.frame())
	}
}

func checkInvalidBody(t *testing.T, f fixtureFile) {
	var in any
	if err := json.Unmarshal(f.frame(), &in); err != nil {
		checkRefusal(t, f, api.ErrorCodeInvalidJSON, nil)
		return
	}
	vs := schema.Validate(f.Def, in)
	if vs == nil {
		t.Fatal("accepted")
	}
	checkRefusal(t, f, api.ErrorCodeInvalidPayload, api.Details(vs))
}

// checkRefusal compares a refusal with what the fixture expects.
func checkRefusal(t *testing.T, f fixtureFile, code api.ErrorCode, details []api.ErrorDetail) {
	t.Helper()
	if code != f.Code {
		t.Errorf("code = %s, want %s (details %+v)", code, f.Code, details)
	}
	want, ok := f.wantPointer(t)
	switch {
	case !ok && len(details) > 0:
		t.Errorf("details %+v, want none", details)
	case ok && len(details) == 0:
		t.Errorf("no details, want the first at %q", want)
	case ok && details[0].Pointer != want:
		t.Errorf("first detail at %q, want %q (details %+v)", details[0].Pointer, want, details)
	}
	for _, d := range details {
		if d.Reason == "" {
			t.Errorf("detail at %q has no reason", d.Pointer)
		}
	}
}

// TestFixturesCoverEveryCommand keeps the fixtures in step with the
// contract: each command has valid and invalid fixtures of its own.
func TestFixturesCoverEveryCommand(t *testing.T) {
	valid, invalid := map[string]int{}, map[string]int{}
	for _, f := range loadFixtures(t) {
		if f.valid {
			valid[f.Def]++
		} else {
			invalid[f.Def]++
		}
	}
	for _, name := range api.CommandNameValues {
		def := api.CommandSchemas[name]
		if valid[def] == 0 || invalid[def] == 0 {
			t.Errorf("%s has %d valid and %d invalid fixtures; want at least one of each", name, valid[def], invalid[def])
		}
	}
}

// validRef returns the ref of a decoded frame when the Ref definition
// accepts it: the one a refusal must echo.
func validRef(frame any) api.Ref {
	obj, ok := frame.(map[string]any)
	if !ok {
		return ""
	}
	ref, ok := obj["ref"]
	if !ok || schema.Validate(api.CommandsSchemaFile+"#/$defs/Ref", ref) != nil {
		return ""
	}
	return api.Ref(ref.(string))
}

// mustDecodeAny decodes JSON the way the validators see it.
func mustDecodeAny(tb testing.TB, data []byte) any {
	tb.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		tb.Fatalf("%s: %v", data, err)
	}
	return v
}

// roundTrip decodes data strictly into a new value of zero's type and
// encodes it again.
func roundTrip(tb testing.TB, zero any, data []byte) []byte {
	tb.Helper()
	p := reflect.New(reflect.TypeOf(zero))
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(p.Interface()); err != nil {
		tb.Fatalf("decode %s into %T: %v", data, zero, err)
	}
	out, err := json.Marshal(p.Elem().Interface())
	if err != nil {
		tb.Fatalf("encode %T: %v", zero, err)
	}
	return out
}

// defName returns the definition name of a location such as
// "catalogue.schema.json#/$defs/NewProduct".
func defName(location string) string {
	_, name, _ := strings.Cut(location, "#/$defs/")
	return name
}
