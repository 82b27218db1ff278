package schema_test

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/liveorders/liveorders/schema"
)

// definitions lists "file#/$defs/Name" for every definition of the
// embedded schema files.
func definitions(t *testing.T) []string {
	t.Helper()
	names, err := fs.Glob(schema.Files(), "*.schema.json")
	if err != nil || len(names) == 0 {
		t.Fatalf("no embedded schema files: %v", err)
	}
	var out []string
	for _, name := range names {
		data, err := fs.ReadFile(schema.Files(), name)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			ID   string                     `json:"$id"`
			Defs map[string]json.RawMessage `json:"$defs"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if doc.ID != schema.Base+name {
			t.Errorf("%s: $id %q, want %q", name, doc.ID, schema.Base+name)
		}
		for def := range doc.Defs {
			out = append(out, name+"#/$defs/"+def)
		}
	}
	return out
}

func TestCompileEveryDefinition(t *testing.T) {
	defs := definitions(t)
	if len(defs) == 0 {
		t.Fatal("no definitions")
	}
	if err := schema.Compile(defs...); err != nil {
		t.Fatal(err)
	}
	if err := schema.Compile("commands.schema.json#/$defs/Launch"); err == nil {
		t.Error("compiled a definition that does not exist")
	}
}

func TestValidate(t *testing.T) {
	const (
		newProduct = "catalogue.schema.json#/$defs/NewProduct"
		placeOrder = "commands.schema.json#/$defs/PlaceOrder"
	)
	for _, tc := range []struct {
		name     string
		def      string
		instance string
		want     []string // "pointer reason"; a reason ending in "*" is a prefix
	}{
		{"valid", newProduct, `{"name":"Robot Arm","rrp":"5","info":""}`, nil},
		{"required points at the member", placeOrder, `{"cmd":"place-order","payload":{}}`,
			[]string{"/payload/amount is required", "/payload/id is required"}},
		{"unknown members point at themselves", newProduct, `{"name":"n","rrp":"5","info":"","b":1,"a":2}`,
			[]string{"/a is not allowed", "/b is not allowed"}},
		{"pointer tokens are escaped", newProduct, `{"name":"n","rrp":"5","info":"","a/b":1,"m~n":2}`,
			[]string{"/a~1b is not allowed", "/m~0n is not allowed"}},
		{"sorted by pointer", newProduct, `{"name":"","rrp":"1.234","info":"","id":"A1"}`,
			[]string{"/id is not allowed", "/name *", "/rrp *"}},
		{"whole instance", newProduct, `[]`, []string{" *"}},
		{"unknown definition", "catalogue.schema.json#/$defs/Nope", `{}`, []string{" schema: compile *"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v any
			if err := json.Unmarshal([]byte(tc.instance), &v); err != nil {
				t.Fatal(err)
			}
			got := schema.Validate(tc.def, v)
			if tc.want == nil {
				if got != nil {
					t.Fatalf("Validate = %v, want nil", got)
				}
				return
			}
			if len(got) != len(tc.want) {
				t.Fatalf("Validate = %q, want %q", got, tc.want)
			}
			for i, w := range tc.want {
				pointer, reason, _ := strings.Cut(w, " ")
				ok := got[i].Pointer == pointer && got[i].Reason == reason
				if prefix, cut := strings.CutSuffix(reason, "*"); cut {
					ok = got[i].Pointer == pointer && strings.HasPrefix(got[i].Reason, prefix) && got[i].Reason != prefix
				}
				if !ok {
					t.Errorf("violation %d = %+v, want %q", i, got[i], w)
				}
			}
		})
	}
}

// TestNew checks a Validator built from other files than the embedded
// ones: references between files resolve against Base.
func TestNew(t *testing.T) {
	fsys := fstest.MapFS{
		"a.schema.json": {Data: []byte(`{"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"/schemas/v1/a.schema.json",
			"$defs":{"Pair":{"type":"object","properties":{"n":{"$ref":"b.schema.json#/$defs/N"}},"required":["n"]}}}`)},
		"b.schema.json": {Data: []byte(`{"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"/schemas/v1/b.schema.json",
			"$defs":{"N":{"type":"integer","minimum":1}}}`)},
		"notes.txt": {Data: []byte("not a schema")},
	}
	v, err := schema.New(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if vs := v.Validate("a.schema.json#/$defs/Pair", map[string]any{"n": 2.0}); vs != nil {
		t.Errorf("valid instance refused: %v", vs)
	}
	vs := v.Validate("a.schema.json#/$defs/Pair", map[string]any{"n": 0.0})
	if len(vs) != 1 || vs[0].Pointer != "/n" {
		t.Errorf("Validate = %+v, want one violation at /n", vs)
	}

	if _, err := schema.New(fstest.MapFS{"bad.schema.json": {Data: []byte(`{"$defs":`)}}); err == nil {
		t.Error("New accepted a file that is not JSON")
	}
}

// TestValidateConcurrently compiles and validates the same definitions
// from many goroutines at once; run with -race.
func TestValidateConcurrently(t *testing.T) {
	v, err := schema.New(schema.Files())
	if err != nil {
		t.Fatal(err)
	}
	defs := []string{
		"catalogue.schema.json#/$defs/OrderInput",
		"commands.schema.json#/$defs/Pong",
		"messages.schema.json#/$defs/Ping",
	}
	instances := []any{map[string]any{"amount": 1.0}, map[string]any{"cmd": "pong"}, map[string]any{"type": "ping"}}
	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan string, workers*len(defs))
	for w := range workers {
		wg.Go(func() {
			for i := range defs {
				j := (i + w) % len(defs)
				if vs := v.Validate(defs[j], instances[j]); vs != nil {
					errs <- fmt.Sprintf("%s: %v", defs[j], vs)
				}
				k := (j + 1) % len(defs)
				if vs := v.Validate(defs[j], instances[k]); vs == nil {
					errs <- fmt.Sprintf("%s accepted %v", defs[j], instances[k])
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestViolationsAreDeterministic validates an instance with many faults
// repeatedly: the order of violations never changes.
func TestViolationsAreDeterministic(t *testing.T) {
	var v any
	if err := json.Unmarshal([]byte(`{"cmd":"place-order","payload":{"id":"a","amount":0,"z":1},"x":1,"ref":5}`), &v); err != nil {
		t.Fatal(err)
	}
	first := schema.Validate("commands.schema.json#/$defs/PlaceOrder", v)
	if len(first) < 4 {
		t.Fatalf("Validate = %v, want at least 4 violations", first)
	}
	for range 50 {
		if got := schema.Validate("commands.schema.json#/$defs/PlaceOrder", v); !reflect.DeepEqual(got, first) {
			t.Fatalf("Validate = %v, then %v", first, got)
		}
	}
}

// TestPatternReasonShowsThePattern checks that a pattern failure quotes the
// pattern as the schema file writes it, each backslash once, and the value
// as it was sent, escaping only what would break the line.
func TestPatternReasonShowsThePattern(t *testing.T) {
	data, err := fs.ReadFile(schema.Files(), "catalogue.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Defs map[string]struct{ Pattern string } `json:"$defs"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	price := doc.Defs["Price"].Pattern
	if !strings.Contains(price, `\.`) {
		t.Fatalf("the Price pattern %q has no escaped dot to show", price)
	}
	cases := []struct {
		name, rrp, want string
	}{
		{"three decimals", "1.234", `'1.234' does not match pattern '` + price + `'`},
		{"backslash in the value", `1\.5`, `'1\.5' does not match pattern '` + price + `'`},
		{"newline in the value", "1\n", `'1\n' does not match pattern '` + price + `'`},
		{"invalid UTF-8 in the value", "1\xff", `'1\xff' does not match pattern '` + price + `'`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vs := schema.Validate("catalogue.schema.json#/$defs/NewProduct",
				map[string]any{"name": "Kettle", "rrp": tc.rrp, "info": ""})
			if len(vs) != 1 || vs[0].Pointer != "/rrp" {
				t.Fatalf("violations = %+v, want one at /rrp", vs)
			}
			if vs[0].Reason != tc.want {
				t.Errorf("reason = %s\nwant     %s", vs[0].Reason, tc.want)
			}
		})
	}
}
