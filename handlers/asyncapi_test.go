package handlers_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/testenv"
	"github.com/pb33f/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// asyncapiSchema compiles the official AsyncAPI 3.0.0 JSON Schema shipped in
// testdata/asyncapi.
func asyncapiSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("testdata/asyncapi/3.0.0.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	const id = "http://asyncapi.com/definitions/3.0.0/asyncapi.json"
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	c.UseLoader(jsonschema.SchemeURLLoader{}) // nothing from the network
	if err := c.AddResource(id, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(id)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func TestAsyncAPIDocument(t *testing.T) {
	s := testenv.Start(t, testenv.Options{})
	resp, body := s.Get(t, "/asyncapi.json")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || resp.Header.Get("ETag") == "" {
		t.Fatalf("GET /asyncapi.json: %d %q ETag %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("ETag"))
	}
	sch := asyncapiSchema(t)
	doc := mustJSON(t, string(body))
	if err := sch.Validate(doc); err != nil {
		t.Fatalf("/asyncapi.json is not a valid AsyncAPI 3.0.0 document: %v", err)
	}

	t.Run("names the serving host", func(t *testing.T) {
		var d struct {
			Servers map[string]struct{ Host, Protocol string }
		}
		if err := json.Unmarshal(body, &d); err != nil {
			t.Fatal(err)
		}
		if len(d.Servers) != 1 {
			t.Fatalf("servers = %+v, want one", d.Servers)
		}
		for name, srv := range d.Servers {
			if srv.Host != s.Addr || srv.Protocol != "ws" {
				t.Errorf("servers.%s = %+v, want host %s, protocol ws", name, srv, s.Addr)
			}
		}
		_, yb := s.Get(t, "/asyncapi.yaml")
		if !bytes.Contains(yb, []byte(`host: "`+s.Addr+`"`)) {
			t.Errorf("/asyncapi.yaml does not name host %s", s.Addr)
		}
	})

	t.Run("a broken document fails", func(t *testing.T) {
		broken := mustJSON(t, string(body))
		op := broken.(map[string]any)["operations"].(map[string]any)["receivePlaceOrder"].(map[string]any)
		op["action"] = "publish" // the AsyncAPI 2 verb
		if err := sch.Validate(broken); err == nil {
			t.Error("a document with action publish validated")
		}
	})

	t.Run("yaml", func(t *testing.T) {
		resp, yb := s.Get(t, "/asyncapi.yaml")
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/yaml") {
			t.Fatalf("GET /asyncapi.yaml: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		var y any
		if err := yaml.Unmarshal(yb, &y); err != nil {
			t.Fatal(err)
		}
		jb, err := json.Marshal(y)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(mustJSON(t, string(jb)), doc) {
			t.Error("the YAML document differs from the JSON one")
		}
	})

	t.Run("content", func(t *testing.T) {
		var d struct {
			Channels map[string]struct {
				Address    string
				Parameters map[string]any
				Messages   map[string]any
				Bindings   struct {
					WS struct {
						Headers struct {
							Properties map[string]struct{ Enum []string }
						}
					}
				}
			}
			Operations map[string]struct {
				Action   string
				Messages []struct {
					Ref string `json:"$ref"`
				}
				Reply *struct {
					Messages []struct {
						Ref string `json:"$ref"`
					}
				}
			}
		}
		if err := json.Unmarshal(body, &d); err != nil {
			t.Fatal(err)
		}
		ch := d.Channels["orders"]
		if ch.Address != "/orders/{category}" || ch.Parameters["category"] == nil {
			t.Errorf("channel orders: address %q, parameters %v", ch.Address, ch.Parameters)
		}
		if got := ch.Bindings.WS.Headers.Properties["Sec-WebSocket-Protocol"].Enum; !slices.Equal(got, []string{"liveorders.v1"}) {
			t.Errorf("subprotocol header enum = %v", got)
		}
		for _, m := range []string{"UpdateCategory", "PlaceOrder", "Pong", "Welcome", "Snapshot", "Order", "Placed", "Error", "Ping", "LiveStatus", "OrderTotal"} {
			if ch.Messages[m] == nil {
				t.Errorf("channel lacks message %s", m)
			}
		}
		replies := map[string]string{"receiveUpdateCategory": "Snapshot", "receivePlaceOrder": "Placed"}
		for name, want := range replies {
			op := d.Operations[name]
			if op.Action != "receive" || op.Reply == nil || len(op.Reply.Messages) == 0 || op.Reply.Messages[0].Ref != "#/channels/orders/messages/"+want {
				t.Errorf("operation %s: %+v, want a receive replied to by %s", name, op, want)
			}
		}
		// Every server message is sent by sendMessage, whose messages are
		// the union Message; those that something answers also have an
		// operation of their own.
		if op := d.Operations["sendMessage"]; op.Action != "send" || len(op.Messages) != len(api.MessageTypeValues) || op.Messages[1].Ref != "#/channels/orders/messages/Snapshot" {
			t.Errorf("sendMessage: %+v, want a send of the %d server messages", op, len(api.MessageTypeValues))
		}
		for _, code := range []string{"invalid_payload", "rate_limited"} {
			if !bytes.Contains(body, []byte("`"+code+"`")) {
				t.Errorf("error code %s is not described", code)
			}
		}
		for _, code := range []string{"| 1001 |", "| 4500 |"} {
			if !bytes.Contains(body, []byte(code)) {
				t.Errorf("close code %s is not described", code)
			}
		}
	})
}
