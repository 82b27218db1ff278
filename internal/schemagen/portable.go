package main

import (
	"bytes"
	"encoding/json"
	"slices"
)

// portableSchema writes a definition for documents that republish it under
// their components (AsyncAPI, OpenAPI): every $ref is passed through ref,
// and nothing sits beside a $ref, since draft-07 readers (AsyncAPI's
// default schema format, and the tools built on it) ignore every keyword
// there. A discriminator written {"$ref": "#/$defs/MessageType", "const":
// "order"} becomes {"type": "string", "const": "order"}: the const alone
// fixes the value, and the generator has checked that it is one of the
// enumeration's. Any other keyword beside a $ref moves to an object that
// holds the $ref in an allOf. The result means the same under draft-07 and
// 2020-12.
func portableSchema(m *Model, n *node, ref func(string) string) json.RawMessage {
	var b bytes.Buffer
	writePortable(&b, m, n, ref)
	return b.Bytes()
}

func writePortable(b *bytes.Buffer, m *Model, n *node, ref func(string) string) {
	if n.kind != nodeObject {
		if n.kind == nodeArray {
			b.WriteByte('[')
			for i, it := range n.items {
				if i > 0 {
					b.WriteByte(',')
				}
				writePortable(b, m, it, ref)
			}
			b.WriteByte(']')
			return
		}
		writeNode(b, n, nil)
		return
	}
	r := n.get("$ref")
	if r == nil || r.kind != nodeString || len(n.keys) == 1 {
		writeObject(b, m, n, n.keys, ref)
		return
	}
	siblings := slices.DeleteFunc(slices.Clone(n.keys), func(k string) bool { return k == "$ref" })
	if c := n.get("const"); c != nil {
		// The value is fixed: state its type, drop the $ref.
		typ := "string"
		if d := (&builder{m: m}).resolve(r.text); d != nil && d.Schema.Type != "" {
			typ = d.Schema.Type
		}
		b.WriteByte('{')
		first := true
		sep := func() {
			if !first {
				b.WriteByte(',')
			}
			first = false
		}
		for _, k := range siblings {
			if k == "const" {
				sep()
				b.WriteString(`"type":` + jsLiteral(typ))
			}
			sep()
			writeMember(b, m, k, n.fields[k], ref)
		}
		b.WriteByte('}')
		return
	}
	// {"allOf":[{"$ref":…}], siblings…}
	b.WriteString(`{"allOf":[{"$ref":` + jsLiteral(ref(r.text)) + `}]`)
	for _, k := range siblings {
		b.WriteByte(',')
		writeMember(b, m, k, n.fields[k], ref)
	}
	b.WriteByte('}')
}

// writeObject writes the members keys of n.
func writeObject(b *bytes.Buffer, m *Model, n *node, keys []string, ref func(string) string) {
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		writeMember(b, m, k, n.fields[k], ref)
	}
	b.WriteByte('}')
}

// writeMember writes one keyword of a schema and its value: a $ref
// rewritten, values (examples, const…) as they are, subschemas portable.
func writeMember(b *bytes.Buffer, m *Model, k string, v *node, ref func(string) string) {
	b.WriteString(jsLiteral(k) + ":")
	switch {
	case k == "$ref" && v.kind == nodeString:
		b.WriteString(jsLiteral(ref(v.text)))
	case k == "examples" || k == "default" || k == "const" || k == "enum":
		writeNode(b, v, nil)
	case k == "properties" && v.kind == nodeObject:
		b.WriteByte('{')
		for j, name := range v.keys {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(jsLiteral(name) + ":")
			writePortable(b, m, v.fields[name], ref)
		}
		b.WriteByte('}')
	default:
		writePortable(b, m, v, ref)
	}
}
