// Command schemacompat compares the contract in schema/ with the last
// released one in schema/released/vN/ and prints every change with the
// direction whose rules judged it and its verdict, like buf breaking:
//
//	commands.schema.json#/$defs/PlaceOrderPayload/required: client→server: new required field "note": BREAKING
//
// The HTTP roots come from the OpenAPI document generated from schema/,
// and oasdiff compares that document with the released copy, route by
// route. Operations of the released copy that are not API routes are left
// out, each printed: those it tagged as files of the web client, and the
// paths the route table (schema/routes/routes.json) lists as unlisted,
// which the server still serves.
//
// It fails when a change breaks clients of the released version, unless
// schema/ is the next major version (its $id /schemas/v2/… and its
// subprotocol liveorders.v2 both bumped), which may break v1 on purpose.
//
//	go run ./cmd/schemacompat              # make check: fail on a breaking change
//	go run ./cmd/schemacompat -warn        # go generate: print, never fail
//	go run ./cmd/schemacompat -release     # make release-contract
//	go run ./cmd/schemacompat -directions  # the direction of every definition
//
// Releasing copies schema/*.schema.json (and the OpenAPI document, as
// openapi.json) to schema/released/vN/, and is refused while a change
// breaks the released vN.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/liveorders/liveorders/internal/schemacompat"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) && !errors.Is(err, errBreaking) {
			fmt.Fprintln(os.Stderr, "schemacompat:", err)
		}
		os.Exit(1)
	}
}

// errBreaking is returned when a change breaks the released contract; the
// findings have been printed.
var errBreaking = errors.New("breaking changes")

// releasedOpenAPI is the name of the OpenAPI document in a release.
const releasedOpenAPI = "openapi.json"

// run checks, warns or releases, as args say.
func run(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("schemacompat", flag.ContinueOnError)
	fl.SetOutput(stderr)
	schemaDir := fl.String("schemas", "schema", "directory of the changed contract's *.schema.json files")
	releasedDir := fl.String("released", filepath.Join("schema", "released"), "directory of the released contracts, one vN directory each")
	openapi := fl.String("openapi", filepath.Join("handlers", "contract", "openapi.gen.json"), "the OpenAPI document generated from the schemas: its HTTP roots, and its routes compared with the released copy")
	routes := fl.String("routes", "", "the route table, whose unlisted paths (served, not API routes) are left out of the comparison (empty: -schemas/routes/routes.json)")
	warn := fl.Bool("warn", false, "print the findings as warnings and never fail (go generate)")
	release := fl.Bool("release", false, "release the contract: copy it to the released directory, unless it breaks the released version")
	via := fl.Bool("v", false, "print how a root reaches each finding")
	directions := fl.Bool("directions", false, "print the roots and the direction of every definition, then stop")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fl.Args(), " "))
	}
	cur, err := schemacompat.Load(os.DirFS(*schemaDir), *schemaDir)
	if err != nil {
		return err
	}
	c := &check{cur: cur, schemaDir: *schemaDir, releasedDir: *releasedDir, openapi: *openapi, stdout: stdout, via: *via}
	if *routes == "" {
		*routes = filepath.Join(*schemaDir, "routes", "routes.json")
	}
	if c.unlisted, err = unlistedPaths(*routes); err != nil {
		return err
	}
	if c.doc, err = os.ReadFile(*openapi); err != nil {
		return fmt.Errorf("the OpenAPI document: %w (make generate writes it)", err)
	}
	if *directions {
		return c.directions()
	}
	switch {
	case *release:
		return c.release()
	case *warn:
		if err := c.run(); err != nil {
			if !errors.Is(err, errBreaking) {
				fmt.Fprintln(stdout, "schemacompat: warning:", err)
			}
			fmt.Fprintln(stdout, "schemacompat: warning: make check will fail until this is fixed")
		}
		return nil
	}
	return c.run()
}

// readOptional reads a file that may not exist (nil, no error).
func readOptional(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// check is one run against the released contracts.
type check struct {
	cur                    *schemacompat.Contract
	doc                    []byte // the OpenAPI document generated from cur
	schemaDir, releasedDir string
	openapi                string
	unlisted               []string // served paths that are not API routes (the route table's)
	stdout                 io.Writer
	via                    bool
}

// unlistedPaths reads the paths the route table lists as served but not
// routes of the API; a missing table lists none.
func unlistedPaths(path string) ([]string, error) {
	data, err := readOptional(path)
	if err != nil || data == nil {
		return nil, err
	}
	var table struct {
		Unlisted []struct {
			Path string `json:"path"`
		} `json:"unlisted"`
	}
	if err := json.Unmarshal(data, &table); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var paths []string
	for _, u := range table.Unlisted {
		paths = append(paths, u.Path)
	}
	return paths, nil
}

// outcome is what the comparison with the latest release found.
type outcome struct {
	version int                       // schema/'s major version
	latest  *schemacompat.Release     // nil before the first release
	report  *schemacompat.Report      // nil before the first release
	http    []schemacompat.HTTPChange // oasdiff's, when both documents exist
	leftOut []schemacompat.LeftOut    // released operations that are not API routes
	note    string                    // why the HTTP routes were not compared
	bump    bool                      // version is latest's + 1: breaking changes are allowed
}

// breaking counts the breaking findings of both comparisons.
func (o *outcome) breaking() int {
	n := len(o.report.Breaking())
	for _, h := range o.http {
		if h.Breaking {
			n++
		}
	}
	return n
}

// directions prints the roots and the direction of every definition.
func (c *check) directions() error {
	rs, others, err := roots(c.cur, c.doc)
	if err != nil {
		return err
	}
	for _, r := range rs {
		fmt.Fprintln(c.stdout, "root", r)
	}
	fmt.Fprint(c.stdout, schemacompat.DirectionTable(c.cur, rs))
	if len(others) > 0 {
		fmt.Fprintf(c.stdout, "%s only (compared by oasdiff): %s\n", c.openapi, strings.Join(others, ", "))
	}
	return nil
}

// compare finds the latest release, checks the versions agree, and compares.
func (c *check) compare() (*outcome, error) {
	version, err := c.cur.Version()
	if err != nil {
		return nil, err
	}
	if err := c.subprotocol(version); err != nil {
		return nil, err
	}
	curRoots, _, err := roots(c.cur, c.doc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.openapi, err)
	}
	if errs := schemacompat.Unreached(c.cur, curRoots); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	releases, err := schemacompat.Releases(c.releasedDir)
	if err != nil {
		return nil, err
	}
	o := &outcome{version: version}
	if len(releases) == 0 {
		return o, nil
	}
	latest := releases[len(releases)-1]
	o.latest = &latest
	switch {
	case version == latest.Version:
	case version == latest.Version+1:
		o.bump = true
	case version < latest.Version:
		return nil, fmt.Errorf("%s is v%d, but v%d is already released in %s", c.schemaDir, version, latest.Version, latest.Dir)
	default:
		return nil, fmt.Errorf("%s is v%d, but the latest release is v%d: a major version moves one step at a time", c.schemaDir, version, latest.Version)
	}
	old, err := latest.Load()
	if err != nil {
		return nil, err
	}
	oldDocPath := filepath.Join(latest.Dir, releasedOpenAPI)
	oldDoc, err := readOptional(oldDocPath)
	if err != nil {
		return nil, err
	}
	oldRoots := curRoots
	if oldDoc != nil {
		if oldRoots, _, err = roots(old, oldDoc); err != nil {
			return nil, fmt.Errorf("%s: %w", oldDocPath, err)
		}
	}
	o.report = schemacompat.Compare(old, c.cur, append(oldRoots, curRoots...))
	if oldDoc == nil {
		o.note = fmt.Sprintf("%s has no %s: the HTTP routes are compared from its next release on", latest.Dir, releasedOpenAPI)
		return o, nil
	}
	// The released document may list what is not the API (the web
	// client's files, once): those are left out, and said so.
	if oldDoc, o.leftOut, err = schemacompat.LeaveOut(oldDocPath, oldDoc, c.unlisted); err != nil {
		return nil, err
	}
	if o.http, err = schemacompat.DiffOpenAPI(oldDocPath, oldDoc, c.openapi, c.doc); err != nil {
		return nil, err
	}
	return o, nil
}

// subprotocol checks that the subprotocol names the version the $id do, so
// that a major version is never bumped by editing one place only.
func (c *check) subprotocol(version int) error {
	l, err := schemacompat.ParseLocation(subprotocol)
	if err != nil {
		return err
	}
	v, ok := c.cur.Const(l)
	want := fmt.Sprintf("liveorders.v%d", version)
	if !ok || v != want {
		return fmt.Errorf("%s/%s: the subprotocol is %v, but the files' $id say v%d: a major version changes both (%q)", c.schemaDir, l, v, version, want)
	}
	return nil
}

// print writes the findings of both comparisons and their summary.
func (c *check) print(o *outcome) error {
	if err := o.report.Write(c.stdout, c.via); err != nil {
		return err
	}
	for _, l := range o.leftOut {
		if _, err := fmt.Fprintln(c.stdout, l); err != nil {
			return err
		}
	}
	warnings := 0
	for _, h := range o.http {
		if _, err := fmt.Fprintln(c.stdout, h); err != nil {
			return err
		}
		if !h.Breaking {
			warnings++
		}
	}
	summary := o.report.Summary()
	if o.note == "" && len(o.http) > 0 {
		summary += fmt.Sprintf("; HTTP routes (oasdiff): %d breaking, %d %s", len(o.http)-warnings, warnings, plural(warnings, "warning", "warnings"))
	}
	fmt.Fprintf(c.stdout, "schemacompat: %s (v%d) against %s: %s\n", c.schemaDir, o.version, o.latest.Dir, summary)
	if o.note != "" {
		fmt.Fprintf(c.stdout, "schemacompat: %s\n", o.note)
	}
	return nil
}

// run compares and prints, and fails on a change that breaks the release.
func (c *check) run() error {
	o, err := c.compare()
	if err != nil {
		return err
	}
	if o.latest == nil {
		return fmt.Errorf("no released contract in %s to compare with: run make release-contract", c.releasedDir)
	}
	if err := c.print(o); err != nil {
		return err
	}
	n := o.breaking()
	switch {
	case n > 0 && o.bump:
		fmt.Fprintf(c.stdout, "schemacompat: v%d is a new major version: the breaking changes against v%d are accepted; v%d clients need a server that still speaks liveorders.v%d\n", o.version, o.latest.Version, o.latest.Version, o.latest.Version)
	case n > 0:
		fmt.Fprintf(c.stdout, "schemacompat: %d %s clients of the released v%d. Make the change compatible, or make it a new major version: see \"Changing the contract\" in docs/contract.md\n", n, plural(n, "change breaks", "changes break"), o.latest.Version)
		return errBreaking
	}
	return nil
}

// release writes schema/ to the released directory as its version.
func (c *check) release() error {
	o, err := c.compare()
	if err != nil {
		return err
	}
	if o.latest != nil {
		if err := c.print(o); err != nil {
			return err
		}
		if n := o.breaking(); n > 0 && !o.bump {
			return fmt.Errorf("%d %s the released v%d, which a release cannot replace: make the change compatible, or bump the major version", n, plural(n, "change breaks", "changes break"), o.version)
		}
	}
	files := map[string][]byte{}
	for _, name := range c.cur.Files() {
		data, err := os.ReadFile(filepath.Join(c.schemaDir, name))
		if err != nil {
			return err
		}
		files[name] = data
	}
	files[releasedOpenAPI] = c.doc
	dir := filepath.Join(c.releasedDir, fmt.Sprintf("v%d", o.version))
	if err := schemacompat.Write(dir, files); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "schemacompat: released %s as v%d in %s\n", c.schemaDir, o.version, dir)
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
