package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/schema"
	"go.yaml.in/yaml/v3"
)

// definition is the schema definition every scenario is validated against.
const definition = "scenario.schema.json#/$defs/Scenario"

// LoadFile reads and compiles the scenario in file, in JSON or YAML, or
// the recording in it, a HAR document (see FromHAR).
func LoadFile(file string) (*Plan, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	return Load(b, file)
}

// Load validates data, a scenario in JSON or YAML, against the schema and
// compiles it. source names it in errors. A scenario that cannot be played
// gives an *Error listing every fault with its JSON pointer: those against
// the schema, and those Compile finds in the steps that match it.
//
// A HAR document (a JSON object with a log) is replayed: FromHAR turns it
// into a scenario.
func Load(data []byte, source string) (*Plan, error) {
	if isHAR(data) {
		sc, err := FromHAR(data, source)
		if err != nil {
			return nil, err
		}
		return Compile(sc, source)
	}
	sc, fs := decode(data)
	p, err := Compile(sc, source)
	var ce *Error
	if errors.As(err, &ce) {
		fs = append(fs, ce.Faults...)
	} else if err != nil {
		return nil, err
	}
	if len(fs) > 0 {
		slices.SortStableFunc(fs, func(a, b schema.Violation) int { return strings.Compare(a.Pointer, b.Pointer) })
		return nil, &Error{Source: source, Faults: fs}
	}
	return p, nil
}

// Decode validates data, a scenario in JSON or YAML (JSON when it starts
// with "{"), against the schema and decodes it.
func Decode(data []byte, source string) (api.Scenario, error) {
	sc, fs := decode(data)
	if len(fs) > 0 {
		return api.Scenario{}, &Error{Source: source, Faults: fs}
	}
	return sc, nil
}

// decode returns the faults of data against the schema, and the scenario
// it holds, where a step that does not match the schema is nil.
func decode(data []byte) (api.Scenario, []schema.Violation) {
	var v any
	trimmed := bytes.TrimSpace(data)
	if bytes.HasPrefix(trimmed, []byte("{")) {
		if err := json.Unmarshal(trimmed, &v); err != nil {
			return api.Scenario{}, []schema.Violation{{Reason: "invalid JSON: " + err.Error()}}
		}
	} else {
		var y any
		if err := yaml.Unmarshal(trimmed, &y); err != nil {
			return api.Scenario{}, []schema.Violation{{Reason: "invalid YAML: " + err.Error()}}
		}
		// Through JSON, so that the validator sees the types JSON has.
		b, err := json.Marshal(y)
		if err != nil {
			return api.Scenario{}, []schema.Violation{{Reason: "YAML that JSON cannot hold (a map with keys that are not strings?): " + err.Error()}}
		}
		if err := json.Unmarshal(b, &v); err != nil {
			return api.Scenario{}, []schema.Violation{{Reason: err.Error()}}
		}
	}
	fs := validate(v)
	var sc api.Scenario
	doc, _ := v.(map[string]any)
	sc.Name, _ = doc["name"].(string)
	if seed, ok := doc["seed"].(float64); ok && seed >= 0 {
		sc.Seed = int64(seed)
	}
	steps, _ := doc["steps"].([]any)
	for i, st := range steps {
		var step api.Step
		if !faultsUnder(fs, "/steps/"+strconv.Itoa(i)) {
			b, _ := json.Marshal(st)
			step, _ = api.DecodeStep(b)
		}
		sc.Steps = append(sc.Steps, step)
	}
	return sc, fs
}

// faultsUnder reports whether a fault points at or under pointer.
func faultsUnder(fs []schema.Violation, pointer string) bool {
	for _, f := range fs {
		if f.Pointer == pointer || strings.HasPrefix(f.Pointer, pointer+"/") {
			return true
		}
	}
	return false
}

// validate checks v against the Scenario definition, and each step against
// the definition its do names, so that a step's faults are its own and not
// those of every other kind of step (the oneOf of Step).
func validate(v any) []schema.Violation {
	var out []schema.Violation
	for _, f := range schema.Validate(definition, v) {
		if !strings.HasPrefix(f.Pointer, "/steps/") {
			out = append(out, f)
		}
	}
	doc, _ := v.(map[string]any)
	steps, _ := doc["steps"].([]any)
	for i, st := range steps {
		at := "/steps/" + strconv.Itoa(i)
		m, ok := st.(map[string]any)
		if !ok {
			out = append(out, schema.Violation{Pointer: at, Reason: "must be an object with a do"})
			continue
		}
		do, _ := m["do"].(string)
		ref, ok := api.StepSchemas[api.StepKind(do)]
		if !ok {
			out = append(out, schema.Violation{Pointer: at + "/do", Reason: "must be one of " + kinds()})
			continue
		}
		for _, f := range schema.Validate(ref, st) {
			f.Pointer = at + f.Pointer
			out = append(out, f)
		}
	}
	slices.SortStableFunc(out, func(a, b schema.Violation) int { return strings.Compare(a.Pointer, b.Pointer) })
	return out
}

// kinds lists the values of do.
func kinds() string {
	var names []string
	for _, k := range api.StepKindValues {
		names = append(names, string(k))
	}
	return strings.Join(names, ", ")
}
