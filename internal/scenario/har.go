package scenario

import (
	"strings"
	"time"
)

// The parts of HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/)
// a WebSocket session needs, with the _resourceType and _webSocketMessages
// extensions Chrome's DevTools and Playwright write.

// HAR is a HAR document.
type HAR struct {
	Log HARLog `json:"log"`
}

// HARLog is a HAR document's log.
type HARLog struct {
	Version string     `json:"version"`
	Creator HARCreator `json:"creator"`
	Entries []HAREntry `json:"entries"`
}

// HARCreator names the program that wrote a HAR.
type HARCreator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// HAREntry is one request; for a WebSocket, its messages.
type HAREntry struct {
	StartedDateTime string      `json:"startedDateTime"`
	Time            float64     `json:"time"`
	Request         HARRequest  `json:"request"`
	Response        HARResponse `json:"response"`
	Cache           struct{}    `json:"cache"`
	Timings         HARTimings  `json:"timings"`
	ResourceType    string      `json:"_resourceType,omitempty"`
	// Messages are the WebSocket messages, in the order they were sent
	// or received.
	Messages []HARMessage `json:"_webSocketMessages,omitempty"`
}

// HARRequest is an entry's request.
type HARRequest struct {
	Method      string      `json:"method"`
	URL         string      `json:"url"`
	HTTPVersion string      `json:"httpVersion"`
	Headers     []HARHeader `json:"headers"`
	QueryString []HARHeader `json:"queryString"`
	Cookies     []HARHeader `json:"cookies"`
	HeadersSize int         `json:"headersSize"`
	BodySize    int         `json:"bodySize"`
}

// HARResponse is an entry's response.
type HARResponse struct {
	Status      int         `json:"status"`
	StatusText  string      `json:"statusText"`
	HTTPVersion string      `json:"httpVersion"`
	Headers     []HARHeader `json:"headers"`
	Cookies     []HARHeader `json:"cookies"`
	Content     HARContent  `json:"content"`
	RedirectURL string      `json:"redirectURL"`
	HeadersSize int         `json:"headersSize"`
	BodySize    int         `json:"bodySize"`
}

// HARHeader is a name and a value.
type HARHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// HARContent describes a response body.
type HARContent struct {
	Size     int    `json:"size"`
	MimeType string `json:"mimeType"`
}

// HARTimings are an entry's timings; -1 is "does not apply".
type HARTimings struct {
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
}

// HARMessage is one WebSocket message: sent by the page or received by it,
// at Time (seconds since the Unix epoch), with its opcode and data.
type HARMessage struct {
	Type   string  `json:"type"` // "send" or "receive"
	Time   float64 `json:"time"`
	Opcode int     `json:"opcode"`
	Data   string  `json:"data"`
}

// wsEntry returns an entry for a socket of url opened at start.
func wsEntry(url string, protocol string, start time.Time) HAREntry {
	req := []HARHeader{{Name: "Upgrade", Value: "websocket"}, {Name: "Connection", Value: "Upgrade"}}
	resp := []HARHeader{{Name: "Upgrade", Value: "websocket"}, {Name: "Connection", Value: "Upgrade"}}
	if protocol != "" {
		req = append(req, HARHeader{Name: "Sec-WebSocket-Protocol", Value: protocol})
		resp = append(resp, HARHeader{Name: "Sec-WebSocket-Protocol", Value: protocol})
	}
	return HAREntry{
		StartedDateTime: start.UTC().Format("2006-01-02T15:04:05.000Z"),
		Request: HARRequest{Method: "GET", URL: url, HTTPVersion: "HTTP/1.1", Headers: req,
			QueryString: []HARHeader{}, Cookies: []HARHeader{}, HeadersSize: -1},
		Response: HARResponse{Status: 101, StatusText: "Switching Protocols", HTTPVersion: "HTTP/1.1", Headers: resp,
			Cookies: []HARHeader{}, Content: HARContent{MimeType: "x-unknown"}, HeadersSize: -1, BodySize: -1},
		Timings:      HARTimings{Send: -1, Wait: -1, Receive: -1},
		ResourceType: "websocket",
		Messages:     []HARMessage{},
	}
}

// epoch is t in the seconds since the Unix epoch HAR messages use.
func epoch(t time.Time) float64 { return float64(t.UnixMicro()) / 1e6 }

// isHAR reports whether data looks like a HAR document rather than a
// scenario: a JSON object with a log.
func isHAR(data []byte) bool {
	s := strings.TrimSpace(string(data[:min(len(data), 512)]))
	return strings.HasPrefix(s, "{") && strings.HasPrefix(strings.TrimSpace(strings.TrimPrefix(s, "{")), `"log"`)
}
