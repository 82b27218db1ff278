package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// routesSchema is the name of the route table's own schema, which the
// table's $schema names by a path relative to the table.
const routesSchema = "routes.schema.json"

// routeFile is the route table as written in its JSON file.
type routeFile struct {
	Title   string `json:"title"`
	Version string `json:"version"`
	Server  string `json:"server"`
	Socket  struct {
		Address     string `json:"address"`
		Subprotocol string `json:"subprotocol"`
		Commands    string `json:"commands"`
		Messages    string `json:"messages"`
		Correlation string `json:"correlation"`
		Errors      string `json:"errors"`
		CloseCodes  string `json:"closeCodes"`
		SeedFrame   string `json:"seedFrame"`
	} `json:"socket"`
	Replies  []reply              `json:"replies"`
	Security []security           `json:"security"`
	Problem  string               `json:"problem"`
	Params   map[string]paramJSON `json:"params"`
	Headers  map[string]paramJSON `json:"headers"`
	Routes   []routeJSON          `json:"routes"`
	Unlisted []unlisted           `json:"unlisted"`
}

type paramJSON struct {
	Def         string `json:"def"`
	Description string `json:"description"`
}

type routeJSON struct {
	Method       string              `json:"method"`
	Path         string              `json:"path"`
	ID           string              `json:"id"`
	Tag          string              `json:"tag"`
	Scope        string              `json:"scope"`
	Headers      []string            `json:"headers"`
	Body         string              `json:"body"`
	BodyOptional bool                `json:"bodyOptional"`
	Answer       string              `json:"answer"`
	Type         string              `json:"type"`
	Status       int                 `json:"status"`
	Location     bool                `json:"location"`
	ETag         bool                `json:"etag"`
	Problems     map[string][]string `json:"problems"`
	Note         string              `json:"note"`
}

// loadProtocol reads the route table at path, checks it against its schema
// (its $schema, a path relative to it) and against itself, and returns it. Every
// fault is reported with its JSON pointer.
func loadProtocol(path string) (*protocol, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	file := filepath.ToSlash(path)
	var errs errorList
	var head struct {
		Schema string `json:"$schema"`
	}
	_ = json.Unmarshal(data, &head) // a broken file is reported by validateRoutes
	if head.Schema == "" || strings.Contains(head.Schema, ":") {
		errs.at(file, "/$schema", "want the relative path of %s, the route table's schema", routesSchema)
		return nil, errs
	}
	if err := validateRoutes(data, filepath.Join(filepath.Dir(path), filepath.FromSlash(head.Schema))); err != nil {
		if list, ok := err.(errorList); ok {
			for _, e := range list {
				errs.add(file, e)
			}
		} else {
			errs.add(file, err)
		}
		return nil, errs
	}
	var rf routeFile
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&rf); err != nil {
		errs.add(file, err)
		return nil, errs
	}
	p := &protocol{
		Title: rf.Title, Version: rf.Version, Server: rf.Server,
		Address: rf.Socket.Address, Commands: rf.Socket.Commands, Messages: rf.Socket.Messages,
		Subprotocol: rf.Socket.Subprotocol, Correlation: rf.Socket.Correlation,
		Errors: rf.Socket.Errors, CloseCodes: rf.Socket.CloseCodes, SeedFrame: rf.Socket.SeedFrame,
		Replies: rf.Replies, Security: rf.Security, Problem: rf.Problem, Unlisted: rf.Unlisted,
	}
	if names := templateParam.FindAllStringSubmatch(p.Address, -1); len(names) != 1 {
		errs.at(file, "/socket/address", "the socket's address %q needs exactly one {parameter}", p.Address)
	} else if pm, ok := rf.Params[names[0][1]]; !ok {
		errs.at(file, "/socket/address", "the parameter {%s} is not in params", names[0][1])
	} else {
		p.Param, p.ParamDef = names[0][1], pm.Def
	}
	seen := map[string]string{}
	for i, rj := range rf.Routes {
		at := "/routes/" + strconv.Itoa(i)
		r := route{Method: rj.Method, Path: rj.Path, ID: rj.ID, Tag: rj.Tag, Scope: rj.Scope, Body: rj.Body,
			BodyOptional: rj.BodyOptional, Answer: rj.Answer, Type: rj.Type, Status: rj.Status,
			Location: rj.Location, ETag: rj.ETag, Note: rj.Note}
		key := rj.Method + " " + templateParam.ReplaceAllString(rj.Path, "{}")
		if prev, dup := seen[key]; dup {
			errs.at(file, at, "%s %s is the same route as %s", rj.Method, rj.Path, prev)
		}
		seen[key] = at
		if prev, dup := seen["id "+rj.ID]; dup {
			errs.at(file, at+"/id", "operationId %q is also %s's", rj.ID, prev)
		}
		seen["id "+rj.ID] = at
		for _, n := range templateParam.FindAllStringSubmatch(rj.Path, -1) {
			if n[1] == "file" { // one route per schema file (openapiWriter.expand)
				continue
			}
			pm, ok := rf.Params[n[1]]
			if !ok {
				errs.at(file, at+"/path", "the parameter {%s} is not in params", n[1])
				continue
			}
			r.Params = append(r.Params, param{Name: n[1], Def: pm.Def, Description: pm.Description})
		}
		for j, h := range rj.Headers {
			hp, ok := rf.Headers[h]
			if !ok {
				errs.at(file, at+"/headers/"+strconv.Itoa(j), "the header %s is not in headers", h)
				continue
			}
			r.Headers = append(r.Headers, param{Name: h, Def: hp.Def, Description: hp.Description})
		}
		for status, codes := range rj.Problems {
			n, _ := strconv.Atoi(status) // the schema's pattern
			if http.StatusText(n) == "" {
				errs.at(file, at+"/problems/"+status, "%s is not an HTTP status", status)
			}
			r.Problems = append(r.Problems, problem{n, codes})
		}
		slices.SortFunc(r.Problems, func(a, b problem) int { return a.Status - b.Status })
		p.Routes = append(p.Routes, r)
	}
	for i, u := range rf.Unlisted {
		if prev, dup := seen[u.Method+" "+u.Path]; dup {
			errs.at(file, "/unlisted/"+strconv.Itoa(i), "%s %s is also %s", u.Method, u.Path, prev)
		}
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	return p, nil
}

// validateRoutes checks the route table against its schema, naming each
// fault by its JSON pointer in the table.
func validateRoutes(data []byte, schemaPath string) error {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	sdata, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	sdoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(sdata))
	if err != nil {
		return fmt.Errorf("%s: %w", schemaPath, err)
	}
	const url = "https://liveorders.invalid/routes.schema.json"
	if err := c.AddResource(url, sdoc); err != nil {
		return fmt.Errorf("%s: %w", schemaPath, err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		return fmt.Errorf("%s: %w", schemaPath, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	err = sch.Validate(inst)
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return err
	}
	var list errorList
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			ptr := ""
			for _, tok := range e.InstanceLocation {
				ptr += "/" + strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
			}
			list = append(list, &schemaError{pointer: ptr, msg: e.ErrorKind.LocalizedString(message.NewPrinter(language.English))})
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return list
}
