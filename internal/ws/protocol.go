package ws

// Opcodes (RFC 6455 §5.2).
const (
	OpContinuation byte = 0x0
	OpText         byte = 0x1
	OpBinary       byte = 0x2
	OpClose        byte = 0x8
	OpPing         byte = 0x9
	OpPong         byte = 0xa
)

// Bits of a frame's first two bytes.
const (
	finBit    byte = 0x80
	rsvBits   byte = 0x70
	opBits    byte = 0x0f
	maskBit   byte = 0x80
	lenBits   byte = 0x7f
	len16     byte = 126
	len64     byte = 127
	maxCtrl        = 125 // the largest control frame payload
	maxReason      = maxCtrl - 2
)

// Close codes (RFC 6455 §7.4.1, and the IANA registry it set up).
const (
	CloseNormal          = 1000
	CloseGoingAway       = 1001
	CloseProtocolError   = 1002
	CloseUnsupportedData = 1003
	// CloseNoStatus stands for a close frame without a payload; it is
	// never sent in one.
	CloseNoStatus = 1005
	// CloseAbnormal stands for a connection that ended without a close
	// frame; it is never sent.
	CloseAbnormal         = 1006
	CloseInvalidData      = 1007 // a text message that is not UTF-8
	ClosePolicyViolation  = 1008
	CloseMessageTooBig    = 1009
	CloseMandatoryExt     = 1010
	CloseInternalError    = 1011
	CloseServiceRestart   = 1012
	CloseTryAgainLater    = 1013
	CloseBadGateway       = 1014
	closeFirstApplication = 3000
	closeLastPrivate      = 4999
)

// ValidCloseCode reports whether a peer may send code in a close frame:
// the codes RFC 6455 defines for the wire, the registered ones after them,
// and the ranges for libraries, frameworks and applications (3000-4999).
// 1005 and 1006 stand for missing codes and never travel.
func ValidCloseCode(code int) bool {
	switch {
	case code >= CloseNormal && code <= CloseUnsupportedData:
		return true
	case code >= CloseInvalidData && code <= CloseBadGateway:
		return true
	case code >= closeFirstApplication && code <= closeLastPrivate:
		return true
	}
	return false
}
