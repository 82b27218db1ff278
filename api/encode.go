package api

import (
	"encoding/json"
	"strconv"
)

// The Append functions encode the server's hot-path messages straight into
// a byte slice, field for field as the generated types would marshal them
// (the tests check both against the schema and against encoding/json), so
// that an update is encoded once, without reflection, and its bytes are
// shared by every subscriber.
//
// Category names and product ids are restricted by their schema patterns to
// characters that need no escaping; refs come from clients and are escaped.

// AppendOrder appends an Order message.
func AppendOrder(dst []byte, category string, seq uint64, id string, total int64) []byte {
	dst = append(dst, `{"type":"order","category":"`...)
	dst = append(dst, category...)
	dst = append(dst, `","seq":`...)
	dst = strconv.AppendUint(dst, seq, 10)
	dst = append(dst, `,"id":"`...)
	dst = append(dst, id...)
	dst = append(dst, `","total":`...)
	dst = strconv.AppendInt(dst, total, 10)
	return append(dst, '}')
}

// AppendOrderTotal appends an OrderTotal: the whole frame of the
// seed-compatible mode.
func AppendOrderTotal(dst []byte, id string, total int64) []byte {
	dst = append(dst, `{"id":"`...)
	dst = append(dst, id...)
	dst = append(dst, `","total":`...)
	dst = strconv.AppendInt(dst, total, 10)
	return append(dst, '}')
}

// AppendSnapshotStart appends the beginning of a Snapshot message, up to
// its first item. Follow it with AppendSnapshotItem for each item and
// AppendSnapshotEnd.
func AppendSnapshotStart(dst []byte, category string, seq uint64) []byte {
	dst = append(dst, `{"type":"snapshot","category":"`...)
	dst = append(dst, category...)
	dst = append(dst, `","seq":`...)
	dst = strconv.AppendUint(dst, seq, 10)
	return append(dst, `,"items":[`...)
}

// AppendSnapshotItem appends the i-th (from 0) item of a Snapshot.
func AppendSnapshotItem(dst []byte, i int, id string, total int64) []byte {
	if i > 0 {
		dst = append(dst, ',')
	}
	return AppendOrderTotal(dst, id, total)
}

// AppendSnapshotEnd closes a Snapshot message, with ref when not empty.
func AppendSnapshotEnd(dst []byte, ref string) []byte {
	dst = append(dst, ']')
	if ref != "" {
		dst = append(dst, `,"ref":`...)
		dst = appendString(dst, ref)
	}
	return append(dst, '}')
}

// appendString appends s as a JSON string.
func appendString(dst []byte, s string) []byte {
	b, _ := json.Marshal(s) // a string always marshals
	return append(dst, b...)
}
