package api

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/liveorders/liveorders/schema"
)

// ParseCommand decodes one client frame. It validates the frame against the
// definition of its own cmd (not the whole Command union), so a refusal
// names the real fault, and returns either the command or the Error message
// to send back. It never panics, whatever data holds.
//
// A frame is first read by scanCommand, which decodes it straight into its
// command and checks it on the way, and accepts only frames the schema
// certainly accepts. Any other frame takes the slow path: encoding/json into
// a generic value, the validator, then the typed decode. Refusals all come
// from the slow path, so their codes, messages and details do not depend on
// the fast one.
func ParseCommand(data []byte) (Command, *Error) {
	if cmd, ok := scanCommand(data); ok {
		return cmd, nil
	}
	return parseCommandSlow(data)
}

// parseCommandSlow is ParseCommand without scanCommand.
func parseCommandSlow(data []byte) (Command, *Error) {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, &Error{Code: ErrorCodeInvalidJSON, Message: "invalid JSON: " + err.Error()}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, refuse(ErrorCodeInvalidCommand, "", "a command is a JSON object", "", "is not an object")
	}
	ref := refOf(obj)
	raw, ok := obj["cmd"]
	if !ok {
		return nil, refuse(ErrorCodeInvalidCommand, ref, "the command has no cmd", "/cmd", "is required")
	}
	name, ok := raw.(string)
	if !ok {
		return nil, refuse(ErrorCodeInvalidCommand, ref, "cmd is not a string", "/cmd", "must be a string")
	}
	def, ok := CommandSchemas[CommandName(name)]
	if !ok {
		return nil, refuse(ErrorCodeUnknownCommand, ref, fmt.Sprintf("unknown command %q", clip(name)),
			"/cmd", "must be one of "+commandList)
	}
	if vs := schema.Validate(def, v); vs != nil {
		code := ErrorCodeInvalidCommand
		for _, x := range vs {
			if x.Pointer == "/payload" || strings.HasPrefix(x.Pointer, "/payload/") {
				code = ErrorCodeInvalidPayload
			}
		}
		msg := name + ": " + Describe(vs[0])
		if len(vs) > 1 {
			msg += fmt.Sprintf(" (and %d more)", len(vs)-1)
		}
		return nil, &Error{Code: code, Message: msg, Ref: ref, Details: Details(vs)}
	}
	cmd, err := decodeCommandAs(CommandName(name), data)
	if err != nil {
		// The schema counts 1.0 and 1e2 as integers; encoding/json does
		// not. Decode the validated value re-encoded in its plain form.
		plain, merr := json.Marshal(v)
		if merr == nil {
			cmd, err = decodeCommandAs(CommandName(name), plain)
		}
	}
	if err != nil {
		return nil, &Error{Code: ErrorCodeInvalidPayload, Message: name + ": the payload does not fit its type", Ref: ref}
	}
	return cmd, nil
}

var commandList = func() string {
	names := make([]string, 0, len(CommandSchemas))
	for _, n := range CommandNameValues {
		names = append(names, string(n))
	}
	return strings.Join(names, ", ")
}()

func refuse(code ErrorCode, ref Ref, msg, pointer, reason string) *Error {
	return &Error{Code: code, Message: msg, Ref: ref, Details: []ErrorDetail{{Pointer: pointer, Reason: reason}}}
}

// refOf returns the command's ref when it is one the schema accepts, so
// that even a refused command is answered with its ref.
func refOf(obj map[string]any) Ref {
	s, ok := obj["ref"].(string)
	if !ok || s == "" || utf8.RuneCountInString(s) > 64 {
		return ""
	}
	return Ref(s)
}

// clip shortens client input quoted back in a message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// Details converts validation violations to wire error details.
func Details(vs []schema.Violation) []ErrorDetail {
	if len(vs) == 0 {
		return nil
	}
	out := make([]ErrorDetail, len(vs))
	for i, v := range vs {
		out[i] = ErrorDetail{Pointer: v.Pointer, Reason: v.Reason}
	}
	return out
}

// Describe renders a violation as "pointer: reason" for a one-line message.
func Describe(v schema.Violation) string {
	if v.Pointer == "" {
		return v.Reason
	}
	return v.Pointer + ": " + v.Reason
}
