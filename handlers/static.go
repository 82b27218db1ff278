package handlers

import (
	"io/fs"
	"mime"
	"path"

	"github.com/gofiber/fiber/v2"
	"github.com/liveorders/liveorders/static"
)

// staticRoutes serves the embedded web client: one exact route per file,
// registered at start, so no request path ever reaches the file system and
// nothing outside the embedded web root can be served.
func (srv *Server) staticRoutes() {
	_ = fs.WalkDir(static.Files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(name) == ".go" {
			return err
		}
		body, err := fs.ReadFile(static.Files, name)
		if err != nil {
			return err
		}
		serve := fileHandler(name, body)
		srv.app.Get("/"+name, serve)
		if name == "index.html" {
			srv.app.Get("/", serve)
		}
		return nil
	})
}

func fileHandler(name string, body []byte) fiber.Handler {
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	return typedFile(ctype, body)
}
