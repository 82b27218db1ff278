package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/schema"
)

// storeTimeout bounds one store call made for an HTTP request.
const storeTimeout = 5 * time.Second

// isCategory and isProductID check a path segment against its schema
// definition, the one place the patterns are written.
func isCategory(s string) bool {
	return schema.Validate("catalogue.schema.json#/$defs/Category", s) == nil
}

func isProductID(s string) bool {
	return schema.Validate("catalogue.schema.json#/$defs/ProductID", s) == nil
}

func (srv *Server) listCategories(c *fiber.Ctx) error {
	return c.JSON(srv.cfg.Hub.Categories())
}

// listProducts answers GET /{category}: the original client's product list.
func (srv *Server) listProducts(c *fiber.Ctx) error {
	list, err := srv.products(c.Params("category"))
	if err != nil {
		return err
	}
	return c.JSON(list)
}

func (srv *Server) products(category string) ([]api.Product, error) {
	ps, ok := srv.cfg.Hub.Products(category)
	if !ok {
		return nil, unknownCategory(category)
	}
	out := make([]api.Product, len(ps))
	for i, p := range ps {
		out[i] = toAPI(p)
	}
	return out, nil
}

func (srv *Server) getProduct(c *fiber.Ctx) error {
	category, id := c.Params("category"), c.Params("id")
	if !srv.cfg.Hub.Has(category) {
		return unknownCategory(category)
	}
	p, ok := srv.cfg.Hub.Product(category, id)
	if !ok {
		return problem(http.StatusNotFound, api.ErrorCodeUnknownProduct,
			fmt.Sprintf("category %q has no product %q", category, id))
	}
	return c.JSON(toAPI(p.Product))
}

// addProduct answers POST /{category}: validates the body, stores the
// product and answers with the whole list, as the original client expects.
func (srv *Server) addProduct(c *fiber.Ctx) error {
	category := c.Params("category")
	if !srv.cfg.Hub.Has(category) {
		return unknownCategory(category)
	}
	if err := allowCategory(c, category); err != nil {
		return err
	}
	var in api.NewProduct
	if err := decodeBody(c, "catalogue.schema.json#/$defs/NewProduct", "NewProduct", &in); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), storeTimeout)
	defer cancel()
	u, err := srv.cfg.Store.AddProduct(ctx, category, orders.NewProduct{Name: in.Name, RRP: string(in.Rrp), Info: in.Info})
	if err != nil {
		return err
	}
	if err := srv.cfg.Hub.Wait(ctx, u.Seq); err != nil {
		return fmt.Errorf("add product: %w", orders.ErrUnavailable)
	}
	list, err := srv.products(category)
	if err != nil {
		return err
	}
	c.Location("/" + category + "/" + u.ID)
	return c.JSON(list)
}

// placeOrder answers POST /orders/{id} with the product's new total.
func (srv *Server) placeOrder(c *fiber.Ctx) error {
	id := c.Params("id")
	if !isProductID(id) {
		return problem(http.StatusNotFound, api.ErrorCodeUnknownProduct, fmt.Sprintf("no product %q", id))
	}
	if category, ok := srv.cfg.Hub.CategoryOf(id); ok {
		if err := allowCategory(c, category); err != nil {
			return err
		}
	}
	var in api.OrderInput
	if err := decodeBody(c, "catalogue.schema.json#/$defs/OrderInput", "OrderInput", &in); err != nil {
		return err
	}
	key, err := idempotencyKey(c)
	if err != nil {
		return err
	}
	// A key is the token subject's own: two users choosing the same one
	// place two orders.
	var subject string
	if cl := requestClaims(c); cl != nil {
		subject = cl.Subject
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), storeTimeout)
	defer cancel()
	u, err := srv.cfg.Store.PlaceOrder(ctx, orders.Order{ID: id, Amount: int64(in.Amount), Key: orders.ScopeKey(subject, key)})
	if err != nil {
		return orders.UnscopeError(err, subject, key)
	}
	return c.JSON(api.OrderTotal{ID: api.ProductID(u.ID), Total: api.Total(u.Total)})
}

// headerIdempotencyKey makes POST /orders/{id} idempotent (see
// IdempotencyKey in the schema).
const headerIdempotencyKey = "Idempotency-Key"

// idempotencyKey returns the request's Idempotency-Key, "" without one,
// checked against the schema's IdempotencyKey.
func idempotencyKey(c *fiber.Ctx) (string, error) {
	v := c.Request().Header.Peek(headerIdempotencyKey)
	if v == nil {
		return "", nil
	}
	key := string(v) // a copy: fasthttp reuses the header's bytes
	if vs := schema.Validate("catalogue.schema.json#/$defs/IdempotencyKey", key); vs != nil {
		return "", problem(http.StatusBadRequest, api.ErrorCodeInvalidPayload,
			"the "+headerIdempotencyKey+" header does not match IdempotencyKey: "+api.Describe(vs[0]))
	}
	return key, nil
}

// decodeBody validates the JSON body against def and decodes it into dst.
func decodeBody(c *fiber.Ctx, def, name string, dst any) error {
	if ct := c.Get(fiber.HeaderContentType); ct != "" && !isJSON(ct) {
		return problem(http.StatusUnsupportedMediaType, api.ErrorCodeUnsupportedMediaType,
			"the body must be application/json, not "+ct)
	}
	body := c.Body()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return problem(http.StatusBadRequest, api.ErrorCodeInvalidJSON, "the body is not valid JSON: "+err.Error())
	}
	if vs := schema.Validate(def, v); vs != nil {
		return invalid(name, vs)
	}
	if err := json.Unmarshal(body, dst); err != nil {
		// The schema counts 3.0 as an integer; encoding/json does not.
		plain, merr := json.Marshal(v)
		if merr != nil || json.Unmarshal(plain, dst) != nil {
			return problem(http.StatusBadRequest, api.ErrorCodeInvalidPayload, "the body does not fit "+name)
		}
	}
	return nil
}

func isJSON(ct string) bool {
	mt := ct
	for i := 0; i < len(ct); i++ {
		if ct[i] == ';' {
			mt = ct[:i]
			break
		}
	}
	switch mt {
	case "application/json", "text/plain":
		return true
	}
	return false
}

func unknownCategory(name string) error {
	if !isCategory(name) {
		return problem(http.StatusNotFound, api.ErrorCodeNotFound, fmt.Sprintf("no route for %q", name))
	}
	return problem(http.StatusNotFound, api.ErrorCodeUnknownCategory, fmt.Sprintf("unknown category %q", name))
}

func toAPI(p orders.Product) api.Product {
	return api.Product{ID: api.ProductID(p.ID), Name: p.Name, Rrp: api.Price(p.RRP), Info: p.Info}
}
