package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// nodeKind is the JSON type of a node.
type nodeKind int

const (
	nodeNull nodeKind = iota
	nodeBool
	nodeNumber
	nodeString
	nodeArray
	nodeObject
)

func (k nodeKind) String() string {
	return [...]string{"null", "boolean", "number", "string", "array", "object"}[k]
}

// node is a parsed JSON value that, unlike map[string]any, keeps the order of
// object keys. The checker walks it, and the model takes the order of $defs
// from it.
type node struct {
	kind   nodeKind
	keys   []string         // object keys in document order
	fields map[string]*node // object members
	items  []*node          // array elements
	text   string           // string value, or the literal text of a number
	b      bool
}

func (n *node) get(key string) *node {
	if n == nil || n.kind != nodeObject {
		return nil
	}
	return n.fields[key]
}

// parseJSON parses data into a node tree. Duplicate object keys are an error,
// since encoding/json would silently keep the last one.
func parseJSON(data []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := parseValue(dec, "")
	if err != nil {
		return nil, jsonError(data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("invalid JSON: data after the top-level value")
	}
	return n, nil
}

// duplicateKeyError names a key that appears twice in one object.
type duplicateKeyError struct{ pointer, key string }

func (e *duplicateKeyError) Error() string {
	return fmt.Sprintf("duplicate key %q", e.key)
}

func parseValue(dec *json.Decoder, ptr string) (*node, error) {
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &node{kind: nodeObject, fields: map[string]*node{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key := kt.(string)
				if _, dup := n.fields[key]; dup {
					return nil, &duplicateKeyError{pointer: ptr, key: key}
				}
				v, err := parseValue(dec, ptr+"/"+escapePointer(key))
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, key)
				n.fields[key] = v
			}
			_, err := dec.Token() // '}'
			return n, err
		case '[':
			n := &node{kind: nodeArray}
			for dec.More() {
				v, err := parseValue(dec, fmt.Sprintf("%s/%d", ptr, len(n.items)))
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, v)
			}
			_, err := dec.Token() // ']'
			return n, err
		}
	case string:
		return &node{kind: nodeString, text: t}, nil
	case json.Number:
		return &node{kind: nodeNumber, text: t.String()}, nil
	case bool:
		return &node{kind: nodeBool, b: t}, nil
	case nil:
		return &node{kind: nodeNull}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// jsonError turns a decoding error into one that names a line, or a JSON
// pointer for a duplicate key.
func jsonError(data []byte, err error) error {
	var dup *duplicateKeyError
	if errors.As(err, &dup) {
		return &schemaError{pointer: dup.pointer, msg: dup.Error()}
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		line := 1 + bytes.Count(data[:min(int(syn.Offset), len(data))], []byte("\n"))
		return fmt.Errorf("invalid JSON at line %d: %v", line, syn)
	}
	return fmt.Errorf("invalid JSON: %v", err)
}

// escapePointer escapes one JSON pointer reference token (RFC 6901).
func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}
