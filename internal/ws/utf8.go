package ws

import "encoding/binary"

// utf8State checks that a text message is UTF-8 (RFC 3629) as its bytes
// arrive, across frames and reads, so that a bad sequence fails the
// connection at the byte that breaks it (RFC 6455 §8.1) instead of once
// the message is complete. Its zero value expects the start of a message.
//
// The state is what the next byte must be: any byte (utf8Accept), a
// continuation byte 0x80-0xBF (utf8Need1-3: one to three more), or one of
// the narrower second-byte ranges that rule out overlong forms, surrogates
// and code points above U+10FFFF.
type utf8State uint8

const (
	utf8Accept utf8State = iota
	utf8Need1
	utf8Need2
	utf8Need3
	utf8AfterE0 // A0-BF, then one more
	utf8AfterED // 80-9F, then one more (no surrogates)
	utf8AfterF0 // 90-BF, then two more
	utf8AfterF4 // 80-8F, then two more (nothing above U+10FFFF)
	utf8Reject
)

// feed checks the next bytes of a message and reports whether they can
// still be part of a valid one.
func (s *utf8State) feed(p []byte) bool {
	st := *s
	for i := 0; i < len(p); {
		if st == utf8Accept {
			// ASCII eight bytes at a time: commands are mostly ASCII.
			for i+8 <= len(p) && binary.LittleEndian.Uint64(p[i:])&0x8080808080808080 == 0 {
				i += 8
			}
			if i == len(p) {
				break
			}
		}
		st = utf8Next(st, p[i])
		if st == utf8Reject {
			*s = st
			return false
		}
		i++
	}
	*s = st
	return true
}

// complete reports whether the bytes fed so far end on a whole character.
func (s utf8State) complete() bool { return s == utf8Accept }

func utf8Next(st utf8State, c byte) utf8State {
	switch st {
	case utf8Accept:
		switch {
		case c < 0x80:
			return utf8Accept
		case c >= 0xc2 && c <= 0xdf:
			return utf8Need1
		case c == 0xe0:
			return utf8AfterE0
		case c == 0xed:
			return utf8AfterED
		case c >= 0xe1 && c <= 0xef:
			return utf8Need2
		case c == 0xf0:
			return utf8AfterF0
		case c >= 0xf1 && c <= 0xf3:
			return utf8Need3
		case c == 0xf4:
			return utf8AfterF4
		}
		return utf8Reject // 80-C1 (continuation, overlong lead), F5-FF
	case utf8Need1, utf8Need2, utf8Need3:
		if c >= 0x80 && c <= 0xbf {
			return st - 1
		}
	case utf8AfterE0:
		if c >= 0xa0 && c <= 0xbf {
			return utf8Need1
		}
	case utf8AfterED:
		if c >= 0x80 && c <= 0x9f {
			return utf8Need1
		}
	case utf8AfterF0:
		if c >= 0x90 && c <= 0xbf {
			return utf8Need2
		}
	case utf8AfterF4:
		if c >= 0x80 && c <= 0x8f {
			return utf8Need2
		}
	}
	return utf8Reject
}
