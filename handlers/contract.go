package handlers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/handlers/contract"
	"github.com/liveorders/liveorders/schema"
)

// contractRoutes publishes the contract: the schema files under schema.Base
// (served without their $id, so that each file's base is the URL it was
// fetched from and references between them resolve against this server,
// whichever URL a client used; see mustWithoutID), a listing of them, the
// AsyncAPI and OpenAPI documents (naming this server) and the reference
// page. Every answer carries an ETag
// and goes through the CORS middleware.
func (srv *Server) contractRoutes() {
	var list []api.SchemaEntry
	names, _ := fs.Glob(schema.Files(), "*.schema.json")
	for _, name := range names { // Glob sorts
		body, err := fs.ReadFile(schema.Files(), name)
		if err != nil {
			continue
		}
		var head struct {
			Title string `json:"title"`
		}
		_ = json.Unmarshal(body, &head)
		list = append(list, api.SchemaEntry{ID: schema.Base + name, Name: name, Title: head.Title})
		srv.app.Get(schema.Base+name, typedFile("application/schema+json", mustWithoutID(name, body)))
	}
	listing, _ := json.Marshal(list)
	// /schemas/v1, without the slash a path of an API does not end in;
	// routing is not strict, so /schemas/v1/, where v1 first listed them,
	// gets the same answer.
	srv.app.Get(strings.TrimSuffix(schema.Base, "/"), typedFile(fiber.MIMEApplicationJSONCharsetUTF8, listing))
	const yamlType = "application/yaml; charset=utf-8"
	jsonStr := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	wsScheme := func(scheme string) string {
		if scheme == "https" {
			return "wss"
		}
		return "ws"
	}
	// Each document's server entry, as go generate writes it in JSON
	// ("key": "value") and in YAML (key: value), and as it is served.
	entry := func(key, generated string, value func(scheme, host string) string) (js, ym splice) {
		return splice{jsonStr(key) + ": " + jsonStr(generated), func(scheme, host string) string { return jsonStr(key) + ": " + jsonStr(value(scheme, host)) }},
			splice{key + ": " + generated + "\n", func(scheme, host string) string { return key + ": " + jsonStr(value(scheme, host)) + "\n" }}
	}
	hostJS, hostYAML := entry("host", contract.GeneratedHost, func(_, host string) string { return host })
	protoJS, protoYAML := entry("protocol", "ws", func(scheme, _ string) string { return wsScheme(scheme) })
	urlJS, urlYAML := entry("url", "http://"+contract.GeneratedHost, func(scheme, host string) string { return scheme + "://" + host })
	srv.app.Get("/asyncapi.json", mustHosted(fiber.MIMEApplicationJSONCharsetUTF8, contract.AsyncAPIJSON, hostJS, protoJS))
	srv.app.Get("/asyncapi.yaml", mustHosted(yamlType, contract.AsyncAPIYAML, hostYAML, protoYAML))
	srv.app.Get("/openapi.json", mustHosted(fiber.MIMEApplicationJSONCharsetUTF8, contract.OpenAPIJSON, urlJS))
	srv.app.Get("/openapi.yaml", mustHosted(yamlType, contract.OpenAPIYAML, urlYAML))
	srv.app.Get("/docs", typedFile(fiber.MIMETextHTMLCharsetUTF8, contract.DocsHTML))
	srv.app.Get("/docs/try.js", typedFile(jsType, contract.TryJS))
	srv.app.Get("/docs/scenario.js", typedFile(jsType, contract.ScenarioJS))
	srv.app.Get("/docs/validate.gen.js", typedFile(jsType, contract.ValidateJS))
}

// mustWithoutID returns a schema file without its top-level $id member, the
// rest byte for byte. A schema without $id has the URL it was retrieved
// from as its base (JSON Schema 2020-12, section 9.1.1), so a validator
// that loads the files by their full URL, by their path from this server,
// or from disk (where the $id is the path) keys each file once and
// resolves the references between them consistently: Ajv refuses a file
// reached under two keys when its $id is neither. The files are embedded,
// so a file whose $id is not where this expects it is a fault of the build.
func mustWithoutID(name string, body []byte) []byte {
	member := []byte(`"$id": "` + schema.Base + name + `",`)
	i := bytes.Index(body, []byte(`"$id"`))
	if i < 0 || !bytes.HasPrefix(body[i:], member) || i > bytes.Index(body, []byte(`"$defs"`)) {
		panic(fmt.Sprintf("handlers: schema/%s does not start with %s", name, member))
	}
	start := bytes.LastIndexByte(body[:i], '\n') // the member's line, with its indent
	if start < 0 {
		start = i
	}
	return append(bytes.Clone(body[:start]), body[i+len(member):]...)
}

// jsType is the media type of JavaScript (RFC 9239).
const jsType = "text/javascript; charset=utf-8"

// splice replaces one passage of a generated document, found by its
// generated text, with a value made from the request's scheme and host.
type splice struct {
	generated string
	value     func(scheme, host string) string
}

// mustHosted serves a generated document with each splice applied in
// order, so that its server entry names the server that serves it: a
// document is read from many places, and the host it was fetched from is
// the one it describes. Each passage must occur exactly once; the
// documents are generated, so anything else is a fault of the build.
func mustHosted(ctype string, body []byte, splices ...splice) fiber.Handler {
	var parts [][]byte // parts[i] before splices[i]; the last part after them all
	rest := bytes.Clone(body)
	for _, sp := range splices {
		if n := bytes.Count(rest, []byte(sp.generated)); n != 1 {
			panic(fmt.Sprintf("handlers: a generated document holds %q %d times, want once; run go generate", sp.generated, n))
		}
		before, after, _ := bytes.Cut(rest, []byte(sp.generated))
		parts = append(parts, before)
		rest = after
	}
	parts = append(parts, rest)
	return func(c *fiber.Ctx) error {
		scheme, host := c.Protocol(), c.Hostname()
		var b bytes.Buffer
		b.Grow(len(body) + 64)
		for i, sp := range splices {
			b.Write(parts[i])
			b.WriteString(sp.value(scheme, host))
		}
		b.Write(parts[len(splices)])
		return sendTagged(c, ctype, etagOf(b.Bytes()), b.Bytes())
	}
}

// typedFile serves body as ctype with a strong ETag, answering a matching
// If-None-Match with 304.
func typedFile(ctype string, body []byte) fiber.Handler {
	body = bytes.Clone(body)
	etag := etagOf(body)
	return func(c *fiber.Ctx) error { return sendTagged(c, ctype, etag, body) }
}

// etagOf is the strong ETag of body.
func etagOf(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}

// sendTagged answers body as ctype with its etag, or 304 when the client
// already holds it.
func sendTagged(c *fiber.Ctx, ctype, etag string, body []byte) error {
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Content-Type-Options", "nosniff")
	if c.Get(fiber.HeaderIfNoneMatch) == etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, ctype)
	return c.Send(body)
}
