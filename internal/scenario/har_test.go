package scenario_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/scenario"
	"github.com/liveorders/liveorders/internal/server"
	"github.com/liveorders/liveorders/internal/testenv"
)

// bigBodies lets /mock/scenario take a recording of a few hundred frames.
func bigBodies(c *server.Config) { c.HTTP.MaxBody = 4 << 20 }

// totalsOf folds seed-compatible frames into the totals they leave.
func totalsOf(t *testing.T, frames [][]byte) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, f := range frames {
		var ot api.OrderTotal
		if json.Unmarshal(f, &ot) == nil && ot.ID != "" {
			out[string(ot.ID)] = int64(ot.Total)
		}
	}
	return out
}

func TestRecordAndReplayRoundTrip(t *testing.T) {
	// Record: a seed-compatible client (as the original page) follows
	// electronics while a scenario plays.
	rec := testenv.Start(t, testenv.Options{Config: bigBodies})
	if resp, body := rec.Post(t, "/mock/recording", ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("start recording: %d %s", resp.StatusCode, body)
	}
	c := rec.Dial(t, "electronics", "")
	frames := record(t, c.Conn)
	resp, body := rec.Do(t, http.MethodPost, "/mock/scenario", `{"name":"to record","seed":9,"steps":[
		{"do":"rate","at":"0","interval":"10ms"},
		{"do":"burst","at":"50ms","orders":30,"over":"150ms","category":"electronics"},
		{"do":"pause","at":"300ms"},
		{"do":"close","at":"350ms","code":4000}]}`, nil)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("play: %d %s", resp.StatusCode, body)
	}
	recorded := <-frames
	recorded = recorded[:len(recorded)-1] // the close
	_, harBody := rec.Get(t, "/mock/recording")
	var st api.RecordingStatus
	if _, b := rec.Do(t, http.MethodDelete, "/mock/recording", "", nil); json.Unmarshal(b, &st) != nil || st.Recording || st.Sockets != 1 {
		t.Fatalf("stop recording: %s", b)
	}
	var har scenario.HAR
	if err := json.Unmarshal(harBody, &har); err != nil || len(har.Log.Entries) != 1 {
		t.Fatalf("HAR: %v %s", err, harBody)
	}
	e := har.Log.Entries[0]
	var got [][]byte
	for _, m := range e.Messages {
		if m.Type == "receive" {
			got = append(got, []byte(m.Data))
		}
	}
	if e.ResourceType != "websocket" || !strings.HasSuffix(e.Request.URL, "/orders/electronics") ||
		!slices.EqualFunc(got, recorded, func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Fatalf("the HAR holds %d frames of %s, the client received %d:\n%q\n%q", len(got), e.Request.URL, len(recorded), got, recorded)
	}

	// Replay on a fresh server to a fresh client of the same category.
	play := testenv.Start(t, testenv.Options{Config: bigBodies})
	c2 := play.Dial(t, "electronics", "")
	frames2 := record(t, c2.Conn)
	if resp, body := play.Post(t, "/mock/scenario", string(harBody)); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("replay: %d %s", resp.StatusCode, body)
	}
	<-play.Scenarios.Done()
	if st := play.Scenarios.Status(); st.State != api.ScenarioStateDone {
		t.Fatalf("replay status %+v", st)
	}
	play.Sockets.CloseCategory("", 4000, "")
	replayed := <-frames2
	replayed = replayed[:len(replayed)-1]
	if !slices.EqualFunc(replayed, recorded, func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Errorf("replayed frames differ from the recorded ones:\n%q\n%q", replayed, recorded)
	}
	if a, b := totalsOf(t, recorded), totalsOf(t, replayed); len(a) == 0 || !mapsEqual(a, b) {
		t.Errorf("totals: recorded %v, replayed %v", a, b)
	}
}

func mapsEqual(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestReplayRefusesAnInvalidRecordedFrame(t *testing.T) {
	har := `{"log":{"version":"1.2","creator":{"name":"WebInspector","version":"537.36"},"entries":[
		{"request":{"method":"GET","url":"ws://localhost:3000/orders/electronics"},"_resourceType":"websocket","_webSocketMessages":[
			{"type":"receive","time":1700000000.0,"opcode":1,"data":"{\"id\":\"A1\",\"total\":3}"},
			{"type":"send","time":1700000000.1,"opcode":1,"data":"{\"cmd\":\"update-category\"}"},
			{"type":"receive","time":1700000000.2,"opcode":1,"data":"{\"id\":\"A1\",\"total\":-4}"},
			{"type":"receive","time":1700000000.3,"opcode":1,"data":"{\"type\":\"order\",\"category\":\"electronics\",\"seq\":2,\"id\":\"A1\"}"},
			{"type":"receive","time":1700000000.4,"opcode":1,"data":"not json"},
			{"type":"receive","time":1700000000.5,"opcode":2,"data":"AAEC"}]},
		{"request":{"method":"GET","url":"ws://localhost:5173/vite-hmr"},"_resourceType":"websocket","_webSocketMessages":[
			{"type":"receive","time":1700000000.0,"opcode":1,"data":"garbage the replay ignores"}]}]}}`
	_, err := scenario.Load([]byte(har), "page.har")
	got := pointersOf(faultsOf(t, err))
	want := []string{
		"/log/entries/0/_webSocketMessages/2/data",
		"/log/entries/0/_webSocketMessages/3/data",
		"/log/entries/0/_webSocketMessages/4/data",
		"/log/entries/0/_webSocketMessages/5/opcode",
	}
	if !slices.Equal(got, want) {
		t.Errorf("faults at %q, want %q\n%v", got, want, err)
	}
	for _, w := range []string{"does not match OrderTotal: /total", "does not match Order: /total: is required", "is not JSON"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
}
