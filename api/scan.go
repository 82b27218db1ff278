package api

// The JSON reader shared by the generated strict decoders
// (validate.gen.go). It is hand-written, not generated: it does not depend
// on the schemas. internal/schemagen's golden test type-checks the
// generated decoders together with this file.

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// scanAs decodes data as a T, reporting false unless data is one JSON
// object that T's definition certainly accepts.
func scanAs[T any, P interface {
	*T
	scan(*scanner) bool
}](data []byte) (T, bool) {
	var v T
	s := scanner{data: data}
	if !P(&v).scan(&s) || !s.end() {
		return v, false
	}
	return v, true
}

// scanner reads JSON for the strict decoders. It is strict where
// encoding/json is lenient or lossy: it fails on invalid UTF-8 and on
// numbers an integer cannot hold exactly.
type scanner struct {
	data   []byte
	pos    int
	failed bool // a syntax error, found by more or key
}

// space skips white space.
func (s *scanner) space() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// take consumes c, after white space, if it comes next.
func (s *scanner) take(c byte) bool {
	s.space()
	if s.pos < len(s.data) && s.data[s.pos] == c {
		s.pos++
		return true
	}
	return false
}

// more consumes the comma before another member or element and reports
// true, or consumes end and reports false; anything else is a failure.
func (s *scanner) more(end byte) bool {
	s.space()
	if s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ',':
			s.pos++
			return true
		case end:
			s.pos++
			return false
		}
	}
	s.failed = true
	return false
}

// end reports whether nothing but white space is left, and nothing failed.
func (s *scanner) end() bool {
	s.space()
	return !s.failed && s.pos == len(s.data)
}

// quoted reads a string token, quotes included, and reports whether it
// holds an escape.
func (s *scanner) quoted() (tok []byte, escaped, ok bool) {
	s.space()
	if s.pos >= len(s.data) || s.data[s.pos] != '"' {
		return nil, false, false
	}
	for i := s.pos + 1; i < len(s.data); {
		switch c := s.data[i]; {
		case c == '"':
			tok, s.pos = s.data[s.pos:i+1], i+1
			return tok, escaped, true
		case c == '\\':
			escaped = true
			i += 2
		case c < 0x20:
			return nil, false, false
		case c < utf8.RuneSelf:
			i++
		default:
			r, n := utf8.DecodeRune(s.data[i:])
			if r == utf8.RuneError && n == 1 {
				return nil, false, false
			}
			i += n
		}
	}
	return nil, false, false
}

// unquote decodes a string token with escapes as encoding/json does.
func unquote(tok []byte) (string, bool) {
	var v string
	if json.Unmarshal(tok, &v) != nil {
		return "", false
	}
	return v, true
}

// str reads a string.
func (s *scanner) str() (string, bool) {
	tok, escaped, ok := s.quoted()
	switch {
	case !ok:
		return "", false
	case escaped:
		return unquote(tok)
	}
	return string(tok[1 : len(tok)-1]), true
}

// lit reads a string and reports whether it is want.
func (s *scanner) lit(want string) bool {
	tok, escaped, ok := s.quoted()
	switch {
	case !ok:
		return false
	case escaped:
		v, ok := unquote(tok)
		return ok && v == want
	}
	return string(tok[1:len(tok)-1]) == want
}

// key reads a member name and the colon after it; on failure it returns
// nil, which names no member.
func (s *scanner) key() []byte {
	tok, escaped, ok := s.quoted()
	if !ok || !s.take(':') {
		s.failed = true
		return nil
	}
	if !escaped {
		return tok[1 : len(tok)-1]
	}
	v, ok := unquote(tok)
	if !ok {
		s.failed = true
		return nil
	}
	return []byte(v)
}

// integer reads an integer written without fraction or exponent, of
// magnitude at most 2^53, so that the float64 the validator sees holds it
// exactly.
func (s *scanner) integer() (int64, bool) {
	s.space()
	i := s.pos
	neg := i < len(s.data) && s.data[i] == '-'
	if neg {
		i++
	}
	start := i
	var n int64
	for ; i < len(s.data) && '0' <= s.data[i] && s.data[i] <= '9'; i++ {
		if i-start == 16 {
			return 0, false
		}
		n = n*10 + int64(s.data[i]-'0')
	}
	switch {
	case i == start, s.data[start] == '0' && i-start > 1:
		return 0, false
	case i < len(s.data) && (s.data[i] == '.' || s.data[i] == 'e' || s.data[i] == 'E'):
		return 0, false
	}
	if n > 1<<53 {
		return 0, false
	}
	s.pos = i
	if neg {
		n = -n
	}
	return n, true
}

// number reads a number as encoding/json does; exact reports a plain
// integer literal of at most 15 digits, which compares exactly.
//
//lint:ignore U1000 the strict decoders read a command's number fields with it (internal/schemagen/gostrict.go); today's commands have none
func (s *scanner) number() (v float64, exact, ok bool) {
	s.space()
	i := s.pos
	digits := func() int {
		start := i
		for i < len(s.data) && '0' <= s.data[i] && s.data[i] <= '9' {
			i++
		}
		return i - start
	}
	if i < len(s.data) && s.data[i] == '-' {
		i++
	}
	start := i
	n := digits()
	if n == 0 || s.data[start] == '0' && n > 1 {
		return 0, false, false
	}
	exact = n <= 15
	if i < len(s.data) && s.data[i] == '.' {
		i++
		if digits() == 0 {
			return 0, false, false
		}
		exact = false
	}
	if i < len(s.data) && (s.data[i] == 'e' || s.data[i] == 'E') {
		i++
		if i < len(s.data) && (s.data[i] == '+' || s.data[i] == '-') {
			i++
		}
		if digits() == 0 {
			return 0, false, false
		}
		exact = false
	}
	v, err := strconv.ParseFloat(string(s.data[s.pos:i]), 64)
	if err != nil {
		return 0, false, false
	}
	s.pos = i
	return v, exact, true
}

// boolean reads true or false.
//
//lint:ignore U1000 the strict decoders read a command's boolean fields with it (internal/schemagen/gostrict.go); today's commands have none
func (s *scanner) boolean() (bool, bool) {
	s.space()
	rest := s.data[s.pos:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		s.pos += 4
		return true, true
	case len(rest) >= 5 && string(rest[:5]) == "false":
		s.pos += 5
		return false, true
	}
	return false, false
}
