package scenario

import (
	"errors"
	"strings"

	"github.com/liveorders/liveorders/schema"
)

// Error is a scenario or recording that cannot be played: every fault,
// each with the JSON pointer of the offending value and a reason.
type Error struct {
	// Source names the file or request the scenario came from.
	Source string
	// Faults are the reasons, sorted by pointer.
	Faults []schema.Violation
}

// Error lists every fault, one a line: "source: /steps/2/at: reason".
func (e *Error) Error() string {
	var b strings.Builder
	for i, f := range e.Faults {
		if i > 0 {
			b.WriteByte('\n')
		}
		if e.Source != "" {
			b.WriteString(e.Source + ": ")
		}
		p := f.Pointer
		if p == "" {
			p = "(document)"
		}
		b.WriteString(p + ": " + f.Reason)
	}
	return b.String()
}

// ErrClosed is returned by Start once the player is closed.
var ErrClosed = errors.New("scenario: the player is closed")

// faults collects violations.
type faults []schema.Violation

func (f *faults) add(pointer, reason string) {
	*f = append(*f, schema.Violation{Pointer: pointer, Reason: reason})
}
