//go:build !linux

package socket

import "time"

// inputWatch is Linux's (input_linux.go): elsewhere a command waits, during
// a fan-out, for a processor to run out of work, as in Go's scheduler.
type inputWatch struct{}

func newInputWatch(time.Duration) *inputWatch { return nil }

func (*inputWatch) add(*Session)    {}
func (*inputWatch) remove(*Session) {}
func (*inputWatch) seen(*Session)   {}
func (*inputWatch) yield()          {}
func (*inputWatch) close()          {}
func (*inputWatch) count() uint64   { return 0 }
