package schemacompat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Contract is one version of the contract: a set of schema files, each
// addressed by its base name, as their cross-file $refs name them.
type Contract struct {
	// Dir is where the files were read from, for messages.
	Dir   string
	files map[string]map[string]any
}

// Load reads every *.schema.json file at the top of fsys (subdirectories
// are not read). Dir names the source in error messages.
func Load(fsys fs.FS, dir string) (*Contract, error) {
	names, err := fs.Glob(fsys, "*.schema.json")
	if err != nil {
		return nil, fmt.Errorf("schemacompat: %w", err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("schemacompat: no *.schema.json files in %s", dir)
	}
	c := &Contract{Dir: dir, files: map[string]map[string]any{}}
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("schemacompat: %w", err)
		}
		doc, err := decode(data)
		if err != nil {
			return nil, fmt.Errorf("schemacompat: %s/%s: %w", dir, name, err)
		}
		c.files[name] = doc
	}
	return c, nil
}

// decode parses one schema file; numbers stay json.Number so that their
// literal text is kept.
func decode(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("data after the top-level value")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("a schema file must be a JSON object")
	}
	return m, nil
}

// Files returns the base names of the contract's files, sorted.
func (c *Contract) Files() []string {
	var names []string
	for n := range c.files {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Defs returns the locations of every definition, in file order and then
// by name.
func (c *Contract) Defs() []Location {
	var locs []Location
	for _, f := range c.Files() {
		defs, _ := c.files[f]["$defs"].(map[string]any)
		for _, name := range sortedKeys(defs) {
			locs = append(locs, Location{File: f, Pointer: "/$defs/" + escape(name)})
		}
	}
	return locs
}

var versionInID = regexp.MustCompile(`/v([0-9]+)/[^/]*$`)

// Version returns the major version the files' $id name (/schemas/v1/…):
// every file must name the same one.
func (c *Contract) Version() (int, error) {
	version := 0
	for _, f := range c.Files() {
		id, _ := c.files[f]["$id"].(string)
		m := versionInID.FindStringSubmatch(id)
		if m == nil {
			return 0, fmt.Errorf("schemacompat: %s/%s: $id %q names no version (/schemas/vN/%s)", c.Dir, f, id, f)
		}
		n, err := strconv.Atoi(m[1])
		if err != nil || n < 1 {
			return 0, fmt.Errorf("schemacompat: %s/%s: $id %q: the version must be 1 or more", c.Dir, f, id)
		}
		if version != 0 && n != version {
			return 0, fmt.Errorf("schemacompat: %s/%s: $id %q names v%d, the other files v%d: bump every file together", c.Dir, f, id, n, version)
		}
		version = n
	}
	return version, nil
}

// Location is a place in a contract: a file and a JSON pointer into it.
type Location struct {
	File    string // base name: commands.schema.json
	Pointer string // RFC 6901: /$defs/PlaceOrderPayload/required
}

// String writes the location as a $ref does: file#pointer.
func (l Location) String() string { return l.File + "#" + l.Pointer }

// child is the location of a member of the value at l.
func (l Location) child(tokens ...string) Location {
	for _, t := range tokens {
		l.Pointer += "/" + escape(t)
	}
	return l
}

// Def returns the location of the definition that l is in, and whether l is
// in one.
func (l Location) Def() (Location, bool) {
	rest, ok := strings.CutPrefix(l.Pointer, "/$defs/")
	if !ok || rest == "" {
		return Location{}, false
	}
	name, _, _ := strings.Cut(rest, "/")
	return Location{File: l.File, Pointer: "/$defs/" + name}, true
}

// Name is the unescaped last token of the pointer: the definition's name
// for a definition's location.
func (l Location) Name() string {
	i := strings.LastIndex(l.Pointer, "/")
	return unescape(l.Pointer[i+1:])
}

// ParseLocation reads "file#pointer", as a root is written.
func ParseLocation(s string) (Location, error) {
	file, ptr, ok := strings.Cut(s, "#")
	if !ok || file == "" || !strings.HasPrefix(ptr, "/") {
		return Location{}, fmt.Errorf("schemacompat: %q is not file.schema.json#/pointer", s)
	}
	return Location{File: file, Pointer: ptr}, nil
}

// at returns the value at l, or nil.
func (c *Contract) at(l Location) any {
	doc := c.files[l.File]
	if doc == nil {
		return nil
	}
	var v any = doc
	if l.Pointer == "" {
		return v
	}
	for _, tok := range strings.Split(l.Pointer[1:], "/") {
		tok = unescape(tok)
		switch x := v.(type) {
		case map[string]any:
			v = x[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
		if v == nil {
			return nil
		}
	}
	return v
}

// object returns the schema object at l, or nil.
func (c *Contract) object(l Location) map[string]any {
	m, _ := c.at(l).(map[string]any)
	return m
}

// resolve returns the location a $ref written in file names: "#/$defs/X",
// "other.schema.json#/$defs/X", or an absolute or relative URL whose last
// path segment names the file.
func (c *Contract) resolve(from string, ref string) (Location, bool) {
	file, ptr, _ := strings.Cut(ref, "#")
	if file == "" {
		file = from
	} else {
		file = path.Base(file)
	}
	l := Location{File: file, Pointer: ptr}
	return l, c.object(l) != nil
}

func escape(s string) string   { return strings.NewReplacer("~", "~0", "/", "~1").Replace(s) }
func unescape(s string) string { return strings.NewReplacer("~1", "/", "~0", "~").Replace(s) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Const returns the const of the schema at l, and whether it has one.
func (c *Contract) Const(l Location) (any, bool) {
	v, ok := c.object(l)["const"]
	return v, ok
}
