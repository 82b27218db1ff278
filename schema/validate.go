package schema

import (
	"bytes"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// origin is where the embedded files are registered with the compiler. Any
// absolute URL works: each file's $id is relative to it.
const origin = "https://liveorders.invalid"

// Violation is one reason an instance does not match a definition.
type Violation struct {
	// Pointer is the JSON pointer (RFC 6901) of the offending value in the
	// instance; "" is the whole instance.
	Pointer string
	// Reason says what is wrong, in one line of English.
	Reason string
}

// Validator validates instances against the definitions of the embedded
// schema files. It is safe for concurrent use.
type Validator struct {
	compiler *jsonschema.Compiler
	mu       sync.RWMutex
	compiled map[string]*jsonschema.Schema
}

// New loads the schema files in fsys (for example Files()) into a new
// Validator.
func New(fsys fs.FS) (*Validator, error) {
	names, err := fs.Glob(fsys, "*.schema.json")
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("schema: %w", err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("schema: %s: %w", name, err)
		}
		if err := c.AddResource(origin+Base+name, doc); err != nil {
			return nil, fmt.Errorf("schema: %s: %w", name, err)
		}
	}
	return &Validator{compiler: c, compiled: make(map[string]*jsonschema.Schema)}, nil
}

var embedded = sync.OnceValue(func() *Validator {
	v, err := New(files)
	if err != nil {
		panic(err) // the embedded files are checked by go generate and the tests
	}
	return v
})

// Validate checks instance (a value decoded by UnmarshalJSON or
// encoding/json) against the definition ref of the embedded files, such as
// "commands.schema.json#/$defs/UpdateCategory". It returns nil when the
// instance is valid, and the violations otherwise, sorted by pointer.
func Validate(ref string, instance any) []Violation {
	return embedded().Validate(ref, instance)
}

// Compile compiles every definition of the embedded files, so that a broken
// schema fails at start-up rather than on the first request that needs it.
func Compile(refs ...string) error {
	for _, ref := range refs {
		if _, err := embedded().schema(ref); err != nil {
			return err
		}
	}
	return nil
}

// Validate is the method form of the package-level Validate.
func (v *Validator) Validate(ref string, instance any) []Violation {
	sch, err := v.schema(ref)
	if err != nil {
		return []Violation{{Reason: err.Error()}}
	}
	err = sch.Validate(instance)
	if err == nil {
		return nil
	}
	verr, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return []Violation{{Reason: err.Error()}}
	}
	var out []Violation
	leaves(verr, &out)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Pointer != out[j].Pointer {
			return out[i].Pointer < out[j].Pointer
		}
		return out[i].Reason < out[j].Reason
	})
	return dedupe(out)
}

func (v *Validator) schema(ref string) (*jsonschema.Schema, error) {
	v.mu.RLock()
	sch := v.compiled[ref]
	v.mu.RUnlock()
	if sch != nil {
		return sch, nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if sch := v.compiled[ref]; sch != nil {
		return sch, nil
	}
	sch, err := v.compiler.Compile(origin + Base + ref)
	if err != nil {
		return nil, fmt.Errorf("schema: compile %s: %w", ref, err)
	}
	v.compiled[ref] = sch
	return sch, nil
}

var printer = message.NewPrinter(language.English)

// leaves collects the innermost errors: they name the real faults, where
// their parents only say "validation failed" or "oneOf failed".
func leaves(e *jsonschema.ValidationError, out *[]Violation) {
	if len(e.Causes) == 0 {
		at := pointer(e.InstanceLocation)
		switch k := e.ErrorKind.(type) {
		case *kind.Required:
			// Point at the missing member itself, not at its parent.
			for _, name := range k.Missing {
				*out = append(*out, Violation{Pointer: at + pointer([]string{name}), Reason: "is required"})
			}
		case *kind.AdditionalProperties:
			for _, name := range k.Properties {
				*out = append(*out, Violation{Pointer: at + pointer([]string{name}), Reason: "is not allowed"})
			}
		case *kind.Pattern:
			// The library quotes both strings Go-style, which doubles every
			// backslash of the pattern: "\\." where the schema says "\.".
			// A reason shows the pattern as the schema writes it.
			*out = append(*out, Violation{Pointer: at, Reason: quoted(k.Got) + " does not match pattern " + quoted(k.Want)})
		default:
			*out = append(*out, Violation{Pointer: at, Reason: e.ErrorKind.LocalizedString(printer)})
		}
		return
	}
	for _, c := range e.Causes {
		leaves(c, out)
	}
}

// quoted puts s between single quotes as it is, escaping only what would
// break the reason's one line: control characters and invalid UTF-8.
func quoted(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unicode.IsControl(r):
			b.WriteString(strings.Trim(strconv.QuoteRune(r), "'"))
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

func pointer(tokens []string) string {
	if len(tokens) == 0 {
		return ""
	}
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		t = strings.ReplaceAll(t, "~", "~0")
		b.WriteString(strings.ReplaceAll(t, "/", "~1"))
	}
	return b.String()
}

func dedupe(vs []Violation) []Violation {
	out := vs[:0]
	for i, v := range vs {
		if i > 0 && v == vs[i-1] {
			continue
		}
		out = append(out, v)
	}
	return out
}
