package api_test

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"reflect"
	"testing"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/schema"
)

// defTypes maps each definition name to a zero value of its generated Go
// type. Every object definition must have an entry
// (TestSchemaExamples fails otherwise), so a new definition is not
// silently left out of the round trip.
var defTypes = map[string]any{
	// catalogue.schema.json
	"Category":          api.Category(""),
	"ProductID":         api.ProductID(""),
	"Amount":            api.Amount(0),
	"IdempotencyKey":    api.IdempotencyKey(""),
	"Product":           api.Product{},
	"Price":             api.Price(""),
	"NewProduct":        api.NewProduct{},
	"OrderInput":        api.OrderInput{},
	"CatalogueFile":     api.CatalogueFile{},
	"CatalogueCategory": api.CatalogueCategory{},
	"CatalogueProduct":  api.CatalogueProduct{},
	"Problem":           api.Problem{},
	// commands.schema.json
	"CommandName":           api.CommandName(""),
	"Ref":                   api.Ref(""),
	"UpdateCategory":        api.UpdateCategory{},
	"UpdateCategoryPayload": api.UpdateCategoryPayload{},
	"PlaceOrder":            api.PlaceOrder{},
	"PlaceOrderPayload":     api.PlaceOrderPayload{},
	"Pong":                  api.Pong{},
	"PongPayload":           api.PongPayload{},
	"Auth":                  api.Auth{},
	"AuthPayload":           api.AuthPayload{},
	// messages.schema.json
	"MessageType":   api.MessageType(""),
	"Seq":           api.Seq(0),
	"Welcome":       api.Welcome{},
	"Snapshot":      api.Snapshot{},
	"Order":         api.Order{},
	"Placed":        api.Placed{},
	"Authenticated": api.Authenticated{},
	"Error":         api.Error{},
	"ErrorCode":     api.ErrorCode(""),
	"ErrorDetail":   api.ErrorDetail{},
	"Ping":          api.Ping{},
	"LiveStatus":    api.LiveStatus{},
	"StaleCause":    api.StaleCause(""),
	"OrderTotal":    api.OrderTotal{},
	"Total":         api.Total(0),
	"CloseCode":     api.CloseCode(0),
	// operations.schema.json
	"Duration":           api.Duration(""),
	"Health":             api.Health{},
	"SchemaEntry":        api.SchemaEntry{},
	"MockSim":            api.MockSim{},
	"MockSimControl":     api.MockSimControl{},
	"MockDisconnect":     api.MockDisconnect{},
	"MockDisconnected":   api.MockDisconnected{},
	"MockLatency":        api.MockLatency{},
	"MockLatencyControl": api.MockLatencyControl{},
	// scenario.schema.json
	"Scenario":         api.Scenario{},
	"StepKind":         api.StepKind(""),
	"Offset":           api.Offset(""),
	"BurstStep":        api.BurstStep{},
	"RateStep":         api.RateStep{},
	"PauseStep":        api.PauseStep{},
	"ResumeStep":       api.ResumeStep{},
	"OrderStep":        api.OrderStep{},
	"TotalStep":        api.TotalStep{},
	"ProductStep":      api.ProductStep{},
	"LatencyStep":      api.LatencyStep{},
	"CloseStep":        api.CloseStep{},
	"ExpireTokensStep": api.ExpireTokensStep{},
	"StatusStep":       api.StatusStep{},
	"ScenarioState":    api.ScenarioState(""),
	"ScenarioStatus":   api.ScenarioStatus{},
	"RecordingStatus":  api.RecordingStatus{},
}

// unionDecoders decodes the union definitions, which are Go interfaces.
var unionDecoders = map[string]func([]byte) (any, error){
	"Command": func(b []byte) (any, error) { return api.DecodeCommand(b) },
	"Message": func(b []byte) (any, error) { return api.DecodeMessage(b) },
	"Step":    func(b []byte) (any, error) { return api.DecodeStep(b) },
}

// schemaDef is the part of a definition these tests read.
type schemaDef struct {
	Type     any   `json:"type"`
	Examples []any `json:"examples"`
}

// loadDefs reads the $defs of every embedded schema file, keyed by file.
func loadDefs(tb testing.TB) map[string]map[string]schemaDef {
	tb.Helper()
	names, err := fs.Glob(schema.Files(), "*.schema.json")
	if err != nil || len(names) == 0 {
		tb.Fatalf("no embedded schema files: %v", err)
	}
	out := map[string]map[string]schemaDef{}
	for _, name := range names {
		data, err := fs.ReadFile(schema.Files(), name)
		if err != nil {
			tb.Fatal(err)
		}
		var doc struct {
			Defs map[string]schemaDef `json:"$defs"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		out[name] = doc.Defs
	}
	return out
}

// TestSchemaExamples checks every example of every definition: it
// validates against its own definition and, decoded into the definition's
// Go type and encoded again, gives back the same JSON.
func TestSchemaExamples(t *testing.T) {
	seen := map[string]bool{}
	examples := 0
	for file, defs := range loadDefs(t) {
		for name, def := range defs {
			seen[name] = true
			location := file + "#/$defs/" + name
			zero, typed := defTypes[name]
			decode := unionDecoders[name]
			if def.Type == "object" && !typed {
				t.Errorf("%s is an object but has no entry in defTypes", location)
			}
			for i, ex := range def.Examples {
				examples++
				t.Run(fmt.Sprintf("%s/%s/%d", file, name, i), func(t *testing.T) {
					if vs := schema.Validate(location, ex); vs != nil {
						t.Errorf("the example does not match its definition: %v", vs)
					}
					in, err := json.Marshal(ex)
					if err != nil {
						t.Fatal(err)
					}
					var out []byte
					switch {
					case typed:
						out = roundTrip(t, zero, in)
					case decode != nil:
						v, err := decode(in)
						if err != nil {
							t.Fatalf("decode %s: %v", in, err)
						}
						if out, err = json.Marshal(v); err != nil {
							t.Fatal(err)
						}
					default:
						return // a constant, such as Subprotocol: nothing to decode into
					}
					if got := mustDecodeAny(t, out); !reflect.DeepEqual(got, ex) {
						t.Errorf("round trip:\n got %s\nwant %s", out, in)
					}
				})
			}
		}
	}
	for name := range defTypes {
		if !seen[name] {
			t.Errorf("defTypes has %s, which no schema file defines", name)
		}
	}
	for name := range unionDecoders {
		if !seen[name] {
			t.Errorf("unionDecoders has %s, which no schema file defines", name)
		}
	}
	if examples == 0 {
		t.Fatal("no examples")
	}
}
