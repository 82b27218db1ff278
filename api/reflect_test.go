package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/invopop/jsonschema"

	"github.com/liveorders/liveorders/api"
)

// The round-trip tests reflect the generated Go types back into JSON Schema
// with invopop's Reflector and compare them with the definitions in
// ../schema, so a hand edit of a *.gen.go file, or a generator bug, fails
// here. Identifiers are prefixed rt so they cannot clash with other tests of
// package api_test.

// rtTypes holds a value of each Go type generated for a definition: every
// definition except constants (an untyped Go constant) and unions (an
// interface). TestRoundTripCoversEveryDefinition keeps the list complete.
var rtTypes = []any{
	// catalogue.schema.json
	api.Category(""), api.ProductID(""), api.Amount(0), api.IdempotencyKey(""), api.Product{}, api.Price(""),
	api.NewProduct{}, api.OrderInput{}, api.CatalogueFile{}, api.CatalogueCategory{},
	api.CatalogueProduct{}, api.Problem{},
	// commands.schema.json
	api.CommandName(""), api.Ref(""), api.UpdateCategory{}, api.UpdateCategoryPayload{},
	api.PlaceOrder{}, api.PlaceOrderPayload{}, api.Pong{}, api.PongPayload{},
	api.Auth{}, api.AuthPayload{},
	// messages.schema.json
	api.MessageType(""), api.Seq(0), api.Welcome{}, api.Snapshot{}, api.Order{}, api.Placed{},
	api.Authenticated{}, api.Error{}, api.ErrorCode(""), api.ErrorDetail{}, api.Ping{}, api.OrderTotal{}, api.Total(0),
	api.CloseCode(0), api.LiveStatus{}, api.StaleCause(""),
	// operations.schema.json
	api.Duration(""), api.Health{}, api.SchemaEntry{}, api.MockSim{}, api.MockSimControl{},
	api.MockDisconnect{}, api.MockDisconnected{}, api.MockLatency{}, api.MockLatencyControl{},
	// scenario.schema.json
	api.Scenario{}, api.StepKind(""), api.Offset(""), api.BurstStep{}, api.RateStep{}, api.PauseStep{},
	api.ResumeStep{}, api.OrderStep{}, api.TotalStep{}, api.ProductStep{}, api.LatencyStep{},
	api.CloseStep{}, api.ExpireTokensStep{}, api.StatusStep{}, api.ScenarioState(""), api.ScenarioStatus{},
	api.RecordingStatus{},
}

// rtEnums holds the generated value list of each enumeration.
var rtEnums = map[string]any{
	"CommandName":   api.CommandNameValues,
	"MessageType":   api.MessageTypeValues,
	"ErrorCode":     api.ErrorCodeValues,
	"CloseCode":     api.CloseCodeValues,
	"StepKind":      api.StepKindValues,
	"ScenarioState": api.ScenarioStateValues,
	"StaleCause":    api.StaleCauseValues,
}

// rtConsts holds each constant definition's generated constant.
var rtConsts = map[string]string{"Subprotocol": api.Subprotocol}

// rtUnions decodes each union.
var rtUnions = map[string]func([]byte) (any, error){
	"Command": func(b []byte) (any, error) { return api.DecodeCommand(b) },
	"Message": func(b []byte) (any, error) { return api.DecodeMessage(b) },
	"Step":    func(b []byte) (any, error) { return api.DecodeStep(b) },
}

// rtLoad reads every definition of ../schema. Definition names are unique
// across files (the generator enforces it), so one map holds them all.
func rtLoad(t *testing.T) jsonschema.Definitions {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "schema", "*.schema.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no schema files: %v", err)
	}
	defs := jsonschema.Definitions{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var s jsonschema.Schema
		if err := json.Unmarshal(data, &s); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for name, d := range s.Definitions {
			defs[name] = d
		}
	}
	return defs
}

// rtShape is the normalised form both sides are compared in: what a Go type
// can express of a definition. Constraints (pattern, minimum, …) and
// additionalProperties are left out: Go types do not carry them, and the
// runtime validator enforces them from the schema itself.
type rtShape struct {
	Type     string   // JSON type; arrays "array of T"
	Props    []rtProp // object properties, in order
	Required []string // sorted
}

// rtProp is one property: its name and its JSON type, where a $ref is
// followed to its definition's type, and an object is named by its definition.
type rtProp struct{ Name, Type string }

// rtTypeName normalises the type of a (sub)schema, following $refs into defs.
func rtTypeName(s *jsonschema.Schema, defs jsonschema.Definitions) string {
	if s == nil {
		return "none"
	}
	if s.Ref != "" {
		name := s.Ref[strings.LastIndex(s.Ref, "/")+1:]
		d := defs[name]
		switch {
		case d == nil:
			return "missing " + name
		case d.Type == "object":
			return "object " + name
		}
		return rtTypeName(d, defs)
	}
	if s.Type == "array" {
		return "array of " + rtTypeName(s.Items, defs)
	}
	return s.Type
}

// rtNormalise turns a definition, from the schema or reflected, into its shape.
func rtNormalise(s *jsonschema.Schema, defs jsonschema.Definitions) rtShape {
	sh := rtShape{Type: s.Type}
	if s.Type == "array" {
		sh.Type = rtTypeName(s, defs)
	}
	if s.Properties != nil {
		for name, p := range s.Properties.FromOldest() {
			sh.Props = append(sh.Props, rtProp{name, rtTypeName(p, defs)})
		}
	}
	sh.Required = slices.Sorted(slices.Values(s.Required))
	return sh
}

// rtReflect reflects a Go value's type. Named structs are referenced from
// $defs (so nested objects keep their names); the root is expanded in place;
// additionalProperties is not asserted; required comes from the json tags
// (a field without omitempty is required).
func rtReflect(v any) rtShape {
	r := jsonschema.Reflector{ExpandedStruct: true, AllowAdditionalProperties: true, Anonymous: true}
	s := r.Reflect(v)
	return rtNormalise(s, s.Definitions)
}

// rtDiff lists how got differs from want.
func rtDiff(got, want rtShape) []string {
	var d []string
	if got.Type != want.Type {
		d = append(d, fmt.Sprintf("type %q, schema says %q", got.Type, want.Type))
	}
	for i := range max(len(got.Props), len(want.Props)) {
		switch {
		case i >= len(got.Props):
			d = append(d, fmt.Sprintf("property %d %q missing from the Go type", i, want.Props[i].Name))
		case i >= len(want.Props):
			d = append(d, fmt.Sprintf("property %d %q is not in the schema", i, got.Props[i].Name))
		case got.Props[i] != want.Props[i]:
			d = append(d, fmt.Sprintf("property %d is %v, schema says %v", i, got.Props[i], want.Props[i]))
		}
	}
	if !slices.Equal(got.Required, want.Required) {
		d = append(d, fmt.Sprintf("required %v, schema says %v", got.Required, want.Required))
	}
	return d
}

func rtName(v any) string { return reflect.TypeOf(v).Name() }

// TestReflectedTypesMatchSchema reflects each generated type and compares it
// with its definition: property names in order, their JSON types, array item
// types and the required list.
func TestReflectedTypesMatchSchema(t *testing.T) {
	defs := rtLoad(t)
	for _, v := range rtTypes {
		name := rtName(v)
		t.Run(name, func(t *testing.T) {
			d := defs[name]
			if d == nil {
				t.Fatalf("no definition %s in ../schema", name)
			}
			for _, diff := range rtDiff(rtReflect(v), rtNormalise(d, defs)) {
				t.Error(diff)
			}
		})
	}
}

// TestRoundTripCoversEveryDefinition keeps rtTypes, rtEnums and rtConsts in
// step with the schemas.
func TestRoundTripCoversEveryDefinition(t *testing.T) {
	defs := rtLoad(t)
	listed := map[string]bool{}
	for _, v := range rtTypes {
		listed[rtName(v)] = true
	}
	for name, d := range defs {
		switch {
		case d.Type == "" && len(d.OneOf) > 0:
			if rtUnions[name] == nil {
				t.Errorf("union %s: add its decoder to rtUnions", name)
			}
		case d.Const != nil:
			if _, ok := rtConsts[name]; !ok {
				t.Errorf("constant %s: add it to rtConsts", name)
			}
		case !listed[name]:
			t.Errorf("definition %s: add its Go type to rtTypes", name)
		}
		if (len(d.Enum) > 0 || d.Type != "" && len(d.OneOf) > 0) && rtEnums[name] == nil {
			t.Errorf("enumeration %s: add %sValues to rtEnums", name, name)
		}
	}
	for name := range listed {
		if defs[name] == nil {
			t.Errorf("rtTypes lists %s, which the schemas do not define", name)
		}
	}
}

// TestEnumValuesMatchSchema compares each generated value list, in order,
// with the enum or oneOf constants of its definition, and each constant.
func TestEnumValuesMatchSchema(t *testing.T) {
	defs := rtLoad(t)
	for name, values := range rtEnums {
		t.Run(name, func(t *testing.T) {
			d := defs[name]
			if d == nil {
				t.Fatalf("no definition %s", name)
			}
			want := slices.Clone(d.Enum)
			for _, m := range d.OneOf {
				want = append(want, m.Const)
			}
			var got []any
			rv := reflect.ValueOf(values)
			for i := range rv.Len() {
				got = append(got, rv.Index(i).Interface())
			}
			gotJSON, _ := json.Marshal(got)
			wantJSON, _ := json.Marshal(want)
			if !bytes.Equal(gotJSON, wantJSON) {
				t.Errorf("values %s, schema says %s", gotJSON, wantJSON)
			}
			valid := reflect.ValueOf(values).Index(0).MethodByName("Valid")
			if !valid.Call(nil)[0].Bool() {
				t.Errorf("%v.Valid() = false for a schema value", rv.Index(0))
			}
			bogus := reflect.New(rv.Type().Elem()).Elem() // "" or 0: never a value
			if bogus.MethodByName("Valid").Call(nil)[0].Bool() {
				t.Errorf("the zero %s is Valid", name)
			}
		})
	}
	for name, got := range rtConsts {
		if d := defs[name]; d == nil || d.Const != got {
			t.Errorf("%s = %q, schema says %v", name, got, d)
		}
	}
}

// TestComparisonDetectsEdits shows the comparison above can fail: a mutated
// copy of a definition's shape, and structs that differ from the generated
// api.Order the way a hand edit would, are all reported; an exact copy is not.
func TestComparisonDetectsEdits(t *testing.T) {
	defs := rtLoad(t)
	want := rtNormalise(defs["Order"], defs)
	if len(rtDiff(rtReflect(api.Order{}), want)) != 0 {
		t.Fatal("api.Order does not match its definition; see TestReflectedTypesMatchSchema")
	}

	mutations := map[string]func(*rtShape){
		"property renamed":     func(s *rtShape) { s.Props[1].Name = "kategorie" },
		"property retyped":     func(s *rtShape) { s.Props[4].Type = "string" },
		"property dropped":     func(s *rtShape) { s.Props = s.Props[:len(s.Props)-1] },
		"property added":       func(s *rtShape) { s.Props = append(s.Props, rtProp{"note", "string"}) },
		"properties reordered": func(s *rtShape) { s.Props[1], s.Props[2] = s.Props[2], s.Props[1] },
		"required dropped":     func(s *rtShape) { s.Required = s.Required[1:] },
	}
	for name, mutate := range mutations {
		t.Run("mutated copy/"+name, func(t *testing.T) {
			c := want
			c.Props = slices.Clone(want.Props)
			c.Required = slices.Clone(want.Required)
			mutate(&c)
			if len(rtDiff(c, want)) == 0 {
				t.Error("the comparison missed the change")
			}
		})
	}

	type exactCopy struct {
		Type     api.MessageType `json:"type"`
		Category api.Category    `json:"category"`
		Seq      api.Seq         `json:"seq"`
		ID       api.ProductID   `json:"id"`
		Total    api.Total       `json:"total"`
	}
	type totalAsString struct {
		Type     api.MessageType `json:"type"`
		Category api.Category    `json:"category"`
		Seq      api.Seq         `json:"seq"`
		ID       api.ProductID   `json:"id"`
		Total    string          `json:"total"`
	}
	type seqOptional struct {
		Type     api.MessageType `json:"type"`
		Category api.Category    `json:"category"`
		Seq      api.Seq         `json:"seq,omitempty"`
		ID       api.ProductID   `json:"id"`
		Total    api.Total       `json:"total"`
	}
	type tagRenamed struct {
		Type     api.MessageType `json:"type"`
		Category api.Category    `json:"category"`
		Seq      api.Seq         `json:"seq"`
		ID       api.ProductID   `json:"productId"`
		Total    api.Total       `json:"total"`
	}
	type fieldAdded struct {
		Type     api.MessageType `json:"type"`
		Category api.Category    `json:"category"`
		Seq      api.Seq         `json:"seq"`
		ID       api.ProductID   `json:"id"`
		Total    api.Total       `json:"total"`
		Note     string          `json:"note,omitempty"`
	}
	if d := rtDiff(rtReflect(exactCopy{}), want); len(d) != 0 {
		t.Errorf("an exact copy of api.Order differs: %v", d)
	}
	for name, v := range map[string]any{
		"total as string": totalAsString{}, "seq optional": seqOptional{},
		"json tag renamed": tagRenamed{}, "field added": fieldAdded{},
	} {
		t.Run("hand-edited struct/"+name, func(t *testing.T) {
			if len(rtDiff(rtReflect(v), want)) == 0 {
				t.Error("the comparison missed the edit")
			}
		})
	}
}

// rtSameJSON reports whether a and b encode the same JSON value.
func rtSameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}
