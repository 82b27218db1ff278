package main

import (
	"strings"
	"unicode"
)

// initialisms are the words Go spells in capitals (the golint list).
var initialisms = set(
	"ACL", "API", "ASCII", "CPU", "CSS", "DNS", "EOF", "GUID", "HTML", "HTTP", "HTTPS",
	"ID", "IP", "JSON", "LHS", "QPS", "RAM", "RHS", "RPC", "SLA", "SMTP", "SQL", "SSH",
	"TCP", "TLS", "TTL", "UDP", "UI", "UID", "UUID", "URI", "URL", "UTF8", "VM", "XML",
	"XMPP", "XSRF", "XSS",
)

// pascal turns a JSON name into a Pascal-case identifier: words split at
// every non-alphanumeric rune and at each lower-to-upper change, each word
// capitalised, Go initialisms in capitals ("update-category" → UpdateCategory,
// "heartbeatMs" → HeartbeatMs, "invalid_json" → InvalidJSON, "id" → ID).
func pascal(s string) string {
	var b strings.Builder
	for _, w := range words(s) {
		up := strings.ToUpper(w)
		switch {
		case initialisms[up]:
			b.WriteString(up)
		case w == up:
			b.WriteString(w[:1] + strings.ToLower(w[1:])) // MAX → Max
		default:
			r := []rune(w)
			b.WriteString(string(unicode.ToUpper(r[0])) + string(r[1:]))
		}
	}
	return b.String()
}

func words(s string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, string(cur))
			cur = nil
		}
	}
	rs := []rune(s)
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush()
			continue
		}
		if unicode.IsUpper(r) && len(cur) > 0 {
			prev := rs[i-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				flush()
			}
		}
		cur = append(cur, r)
	}
	flush()
	return out
}

// lowerFirst lower-cases the first letter of a sentence when its first word
// is an ordinary capitalised word ("The", "A"), not a name such as "WebSocket"
// or "RFC", so that the sentence can follow "X is ".
func lowerFirst(s string) string {
	end := strings.IndexFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
	if end < 0 {
		end = len(s)
	}
	w := []rune(s[:end])
	if len(w) == 0 || !unicode.IsUpper(w[0]) {
		return s
	}
	for _, r := range w[1:] {
		if !unicode.IsLower(r) {
			return s
		}
	}
	return string(unicode.ToLower(w[0])) + string(w[1:]) + s[end:]
}

// determiners start a noun phrase, so a description beginning with one
// reads well after "X is ".
var determiners = set("A", "An", "The", "Any", "One", "Every", "Each")

func startsNounPhrase(s string) bool {
	first, _, _ := strings.Cut(s, " ")
	return determiners[first]
}

// wrap breaks text into lines of at most width runes, at spaces only; blank
// lines in text separate paragraphs and are kept.
func wrap(text string, width int) []string {
	var lines []string
	for i, para := range strings.Split(strings.TrimSpace(text), "\n\n") {
		if i > 0 {
			lines = append(lines, "")
		}
		line := ""
		for _, w := range strings.Fields(para) {
			switch {
			case line == "":
				line = w
			case len([]rune(line))+1+len([]rune(w)) > width:
				lines = append(lines, line)
				line = w
			default:
				line += " " + w
			}
		}
		if line != "" {
			lines = append(lines, line)
		}
	}
	return lines
}

// sentence ends s with a full stop unless it already ends a sentence.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}
