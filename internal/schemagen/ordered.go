package main

import (
	"bytes"
	"encoding/json"
)

// obj is a JSON object that keeps its keys in the order they were added, so
// the documents written from it are byte-stable and read in a sensible order.
type obj []member

type member struct {
	key string
	val any
}

// set appends key; a nil val, an empty obj or an empty string is left out.
func (o *obj) set(key string, val any) {
	switch v := val.(type) {
	case nil:
		return
	case string:
		if v == "" {
			return
		}
	case obj:
		if len(v) == 0 {
			return
		}
	}
	for _, m := range *o {
		if m.key == key {
			panic("schemagen: key " + key + " set twice") // a fault of the generator, never of its input
		}
	}
	*o = append(*o, member{key, val})
}

// MarshalJSON writes the members in order.
func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := marshal(m.key)
		if err != nil {
			return nil, err
		}
		v, err := marshal(m.val)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshal encodes v as compact JSON without escaping <, > and &.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// indentJSON encodes v indented by two spaces, with a final newline.
func indentJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// nodeJSON writes n as compact JSON in document order, passing the value of
// every "$ref" through ref when ref is not nil.
func nodeJSON(n *node, ref func(string) string) json.RawMessage {
	var b bytes.Buffer
	writeNode(&b, n, ref)
	return b.Bytes()
}

func writeNode(b *bytes.Buffer, n *node, ref func(string) string) {
	switch n.kind {
	case nodeNull:
		b.WriteString("null")
	case nodeBool:
		if n.b {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case nodeNumber:
		b.WriteString(n.text)
	case nodeString:
		b.WriteString(jsLiteral(n.text))
	case nodeArray:
		b.WriteByte('[')
		for i, it := range n.items {
			if i > 0 {
				b.WriteByte(',')
			}
			writeNode(b, it, ref)
		}
		b.WriteByte(']')
	case nodeObject:
		b.WriteByte('{')
		for i, k := range n.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(jsLiteral(k))
			b.WriteByte(':')
			v := n.fields[k]
			if k == "$ref" && v.kind == nodeString && ref != nil {
				b.WriteString(jsLiteral(ref(v.text)))
				continue
			}
			writeNode(b, v, ref)
		}
		b.WriteByte('}')
	}
}
