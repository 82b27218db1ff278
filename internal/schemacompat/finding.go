package schemacompat

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Finding is one change between the released and the changed contract.
type Finding struct {
	// At is where the change is in the changed contract, or, for something
	// removed, where it was in the released one.
	At Location
	// Dir is the direction whose rules judged it.
	Dir Direction
	// Change says what changed, e.g. `new required field "note"`.
	Change string
	// Breaking is true when clients built against the released contract
	// may fail.
	Breaking bool
	// Via is how a root reaches it: Command > PlaceOrder > payload.
	Via string
}

// Verdict is BREAKING or compatible.
func (f Finding) Verdict() string {
	if f.Breaking {
		return "BREAKING"
	}
	return "compatible"
}

// String is the finding on one line, pointer first:
//
//	commands.schema.json#/$defs/PlaceOrderPayload/required: client→server: new required field "note": BREAKING
func (f Finding) String() string {
	return fmt.Sprintf("%s: %s: %s: %s", f.At, f.Dir, f.Change, f.Verdict())
}

// Report is the outcome of a comparison.
type Report struct {
	// Findings are sorted by location, then direction, then change.
	Findings []Finding
}

func newReport(fs []Finding) *Report {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if c := strings.Compare(a.At.String(), b.At.String()); c != 0 {
			return c
		}
		if a.Dir != b.Dir {
			return int(a.Dir) - int(b.Dir)
		}
		return strings.Compare(a.Change, b.Change)
	})
	return &Report{Findings: fs}
}

// Breaking returns the breaking findings.
func (r *Report) Breaking() []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Breaking {
			out = append(out, f)
		}
	}
	return out
}

// Write prints each finding on its line; with via, the path from a root
// follows on the next line.
func (r *Report) Write(w io.Writer, via bool) error {
	for _, f := range r.Findings {
		if _, err := fmt.Fprintln(w, f); err != nil {
			return err
		}
		if via && f.Via != "" {
			if _, err := fmt.Fprintf(w, "\tvia %s\n", f.Via); err != nil {
				return err
			}
		}
	}
	return nil
}

// Summary counts the findings: "1 breaking, 2 compatible changes".
func (r *Report) Summary() string {
	b := len(r.Breaking())
	if len(r.Findings) == 0 {
		return "no changes"
	}
	return fmt.Sprintf("%d breaking, %d compatible %s", b, len(r.Findings)-b, plural(len(r.Findings)-b, "change", "changes"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
