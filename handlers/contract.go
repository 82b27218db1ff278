package handlers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"

	"github.com/gofiber/fiber/v2"
	"github.com/liveorders/liveorders/handlers/contract"
	"github.com/liveorders/liveorders/schema"
)

// schemaEntry is one row of the GET /schemas/v1/ listing.
type schemaEntry struct {
	ID    string `json:"$id"`
	Name  string `json:"name"`
	Title string `json:"title"`
}

// contractRoutes publishes the contract: the schema files under schema.Base
// (each file's $id is its URL, so references between them resolve against
// this server), a listing of them, the AsyncAPI document and the reference
// page. Every answer carries an ETag and goes through the CORS middleware.
func (srv *Server) contractRoutes() {
	var list []schemaEntry
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
		list = append(list, schemaEntry{ID: schema.Base + name, Name: name, Title: head.Title})
		srv.app.Get(schema.Base+name, typedFile("application/schema+json", body))
	}
	listing, _ := json.Marshal(list)
	srv.app.Get(schema.Base, typedFile(fiber.MIMEApplicationJSONCharsetUTF8, listing))
	srv.app.Get("/asyncapi.json", typedFile(fiber.MIMEApplicationJSONCharsetUTF8, contract.AsyncAPIJSON))
	srv.app.Get("/asyncapi.yaml", typedFile("application/yaml; charset=utf-8", contract.AsyncAPIYAML))
	srv.app.Get("/docs", typedFile(fiber.MIMETextHTMLCharsetUTF8, contract.DocsHTML))
}

// typedFile serves body as ctype with a strong ETag, answering a matching
// If-None-Match with 304.
func typedFile(ctype string, body []byte) fiber.Handler {
	body = bytes.Clone(body)
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderETag, etag)
		c.Set(fiber.HeaderCacheControl, "no-cache")
		c.Set("X-Content-Type-Options", "nosniff")
		if c.Get(fiber.HeaderIfNoneMatch) == etag {
			return c.SendStatus(fiber.StatusNotModified)
		}
		c.Set(fiber.HeaderContentType, ctype)
		return c.Send(body)
	}
}
