package ws_test

import (
	"testing"

	"github.com/liveorders/liveorders/internal/ws"
)

func TestHandshakeServerCloses(t *testing.T) {
	var h ws.Handshake
	if f := h.Close(4000, "bye"); f == nil || h.State() != ws.Closing || h.Code() != 4000 {
		t.Fatalf("Close: frame %v, state %d, code %d", f, h.State(), h.Code())
	}
	if f := h.Close(1001, "again"); f != nil || h.Code() != 4000 {
		t.Fatalf("a second Close made a frame or changed the code: %v %d", f, h.Code())
	}
	if !h.Writable() || h.Discarding() {
		t.Fatal("closing: the close frame must still be written, and the client's frames read")
	}
	h.Sent()
	if h.State() != ws.Lingering || h.Writable() {
		t.Fatalf("after Sent: state %d, writable %v", h.State(), h.Writable())
	}
	if f := h.Received(1000); f != nil || h.State() != ws.Closed || h.Code() != 4000 {
		t.Fatalf("the answer: frame %v, state %d, code %d", f, h.State(), h.Code())
	}
}

func TestHandshakeClientCloses(t *testing.T) {
	var h ws.Handshake
	f := h.Received(4001)
	if f == nil || h.State() != ws.Answering || !h.Discarding() || h.Code() != 4001 {
		t.Fatalf("Received: frame %v, state %d", f, h.State())
	}
	if h.Close(1001, "late") != nil {
		t.Fatal("a server close after the client's made a second frame")
	}
	h.Sent()
	if h.State() != ws.Closed {
		t.Fatalf("after the answer is sent: state %d, want Closed: the server closes first", h.State())
	}
}

func TestHandshakeBothClose(t *testing.T) {
	var h ws.Handshake
	h.Close(1001, "shutting down")
	if f := h.Received(1000); f != nil || h.State() != ws.Answering {
		t.Fatalf("the server's queued close answers the client's: frame %v, state %d", f, h.State())
	}
	h.Sent()
	if h.State() != ws.Closed {
		t.Fatalf("state %d, want Closed", h.State())
	}
}

func TestHandshakeFail(t *testing.T) {
	var h ws.Handshake
	f := h.Fail(&ws.CloseError{Code: ws.CloseInvalidData, Reason: "text message is not UTF-8"})
	if f == nil || h.Code() != 1007 || !h.Discarding() {
		t.Fatalf("Fail: frame %v, code %d, discarding %v", f, h.Code(), h.Discarding())
	}
	h.Sent()
	if h.State() != ws.Lingering || !h.Discarding() {
		t.Fatalf("after Sent: state %d; a failed connection lingers, discarding", h.State())
	}
	var g ws.Handshake
	g.Close(1008, "flood")
	if f := g.Fail(&ws.CloseError{Code: 1002, Reason: "x"}); f != nil || g.Code() != 1008 || !g.Discarding() {
		t.Fatalf("Fail while closing: frame %v, code %d; want the queued close kept, input discarded", f, g.Code())
	}
}

func TestHandshakeEnd(t *testing.T) {
	var h ws.Handshake
	if h.Code() != ws.CloseAbnormal {
		t.Fatalf("code before any close frame: %d, want 1006", h.Code())
	}
	h.End()
	if h.State() != ws.Closed || h.Writable() {
		t.Fatalf("after End: state %d", h.State())
	}
}
