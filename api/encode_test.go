package api_test

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/schema"
)

// checkEncoding checks that the bytes an Append function added after
// prefix are exactly what encoding/json makes of want, and that they match
// the definition def.
func checkEncoding(t *testing.T, prefix, got []byte, want any, def string) {
	t.Helper()
	if !bytes.HasPrefix(got, prefix) {
		t.Fatalf("%q does not start with the destination's %q", got, prefix)
	}
	got = got[len(prefix):]
	wantJSON, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, wantJSON) {
		t.Errorf("appended\n %s\nencoding/json gives\n %s", got, wantJSON)
	}
	// Decode with UseNumber so that large integers keep every digit.
	dec := json.NewDecoder(bytes.NewReader(got))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("appended invalid JSON %s: %v", got, err)
	}
	if dec.More() {
		t.Fatalf("appended more than one JSON value: %s", got)
	}
	if vs := schema.Validate(def, v); vs != nil {
		t.Errorf("%s does not match %s: %v", got, def, vs)
	}
}

func TestAppendOrder(t *testing.T) {
	for _, tc := range []struct {
		name     string
		category string
		seq      uint64
		id       string
		total    int64
	}{
		{"zero", "electronics", 0, "A1", 0},
		{"typical", "confectionery", 43, "B12", 9},
		{"largest", "a" + string(bytes.Repeat([]byte("z-9"), 10)) + "9", math.MaxInt64, "Z999999999", math.MaxInt64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prefix := []byte("frame:")
			got := api.AppendOrder(bytes.Clone(prefix), tc.category, tc.seq, tc.id, tc.total)
			want := api.Order{Category: api.Category(tc.category), Seq: api.Seq(tc.seq), ID: api.ProductID(tc.id), Total: api.Total(tc.total)}
			checkEncoding(t, prefix, got, want, api.MessagesSchemaFile+"#/$defs/Order")
		})
	}
}

func TestAppendOrderTotal(t *testing.T) {
	for _, tc := range []struct {
		name  string
		id    string
		total int64
	}{
		{"zero", "A1", 0},
		{"typical", "C7", 3},
		{"largest", "Z999999999", math.MaxInt64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prefix := []byte("[")
			got := api.AppendOrderTotal(bytes.Clone(prefix), tc.id, tc.total)
			want := api.OrderTotal{ID: api.ProductID(tc.id), Total: api.Total(tc.total)}
			checkEncoding(t, prefix, got, want, api.MessagesSchemaFile+"#/$defs/OrderTotal")
		})
	}
}

func TestAppendSnapshot(t *testing.T) {
	three := []api.OrderTotal{{ID: "A1", Total: 3}, {ID: "A2", Total: 0}, {ID: "A10", Total: math.MaxInt64}}
	for _, tc := range []struct {
		name  string
		items []api.OrderTotal
		ref   string
	}{
		{"empty", nil, ""},
		{"one item", three[:1], ""},
		{"three items with ref", three, "1"},
		{"ref needing escaping", three[:2], "a\"b\u0001</script>"},
		{"ref with backslash and separators", nil, "\\ \u2028 \u2029 & \t"},
		{"ref not UTF-8", three[:1], "r\xff"},
		{"ref multibyte", three[:1], "é€😀"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prefix := []byte("x")
			got := api.AppendSnapshotStart(bytes.Clone(prefix), "electronics", 42)
			for i, it := range tc.items {
				got = api.AppendSnapshotItem(got, i, string(it.ID), int64(it.Total))
			}
			got = api.AppendSnapshotEnd(got, tc.ref)
			want := api.Snapshot{Category: "electronics", Seq: 42, Items: tc.items, Ref: api.Ref(tc.ref)}
			checkEncoding(t, prefix, got, want, api.MessagesSchemaFile+"#/$defs/Snapshot")
		})
	}
}
