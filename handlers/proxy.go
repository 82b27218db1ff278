package handlers

import (
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// trustedProxies is the set of peers whose forwarding headers are believed.
type trustedProxies []netip.Prefix

// contains reports whether a is in one of the prefixes.
func (ps trustedProxies) contains(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// strings returns the prefixes as Fiber's TrustedProxies takes them.
func (ps trustedProxies) strings() []string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return s
}

// clientIP returns the address of the client that made c's request, which
// write limits key on and request logs name. It is the connection's peer,
// unless the peer is a trusted proxy: then it is the rightmost address of
// X-Forwarded-For that is not itself a trusted proxy (the leftmost if all
// are), since each proxy appends the peer it serves and only the entries
// that trusted proxies added can be believed; a client may send any
// X-Forwarded-For it likes. The forwarded scheme and host (X-Forwarded-Proto
// and -Host) follow the same rule, through Fiber's trusted proxy check.
func (srv *Server) clientIP(c *fiber.Ctx) string {
	peer, ok := netip.AddrFromSlice(c.Context().RemoteIP())
	if !ok {
		return c.IP()
	}
	peer = peer.Unmap()
	if !srv.trusted.contains(peer) {
		return peer.String()
	}
	var hops []string
	for _, h := range c.Request().Header.PeekAll(fiber.HeaderXForwardedFor) {
		hops = append(hops, strings.Split(string(h), ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a malformed entry: nothing left of it can be believed
		}
		client = a.Unmap()
		if !srv.trusted.contains(client) {
			break
		}
	}
	return client.String()
}
