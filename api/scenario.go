package api

import (
	"encoding/json"
	"fmt"
)

// UnmarshalJSON decodes a Scenario, each step through DecodeStep: a Step
// is an interface, which encoding/json cannot decode alone. It checks no
// more than DecodeStep does; validate against the schema first.
func (v *Scenario) UnmarshalJSON(data []byte) error {
	var raw struct {
		Name        string            `json:"name"`
		Description string            `json:"description,omitempty"`
		Seed        int64             `json:"seed"`
		Steps       []json.RawMessage `json:"steps"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	out := Scenario{Name: raw.Name, Description: raw.Description, Seed: raw.Seed, Steps: make([]Step, 0, len(raw.Steps))}
	for i, b := range raw.Steps {
		st, err := DecodeStep(b)
		if err != nil {
			return fmt.Errorf("api: steps/%d: %w", i, err)
		}
		out.Steps = append(out.Steps, st)
	}
	*v = out
	return nil
}
