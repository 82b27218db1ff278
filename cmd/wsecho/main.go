// Command wsecho is an echo server on the liveorders socket engine: the
// same reader, write pool, slow-client hand-off and close handshake as the
// orders socket (internal/socket, internal/ws), with every message sent
// back unchanged instead of being read as a command. It exists to hold
// the engine to Autobahn|Testsuite, whose fuzzing client expects an echo
// server (make conformance).
//
//	wsecho -addr 127.0.0.1:9001
//	wsecho report /tmp/autobahn-reports/index.json
package main

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/liveorders/liveorders/internal/hub"
	"github.com/liveorders/liveorders/internal/memstore"
	"github.com/liveorders/liveorders/internal/orders"
	"github.com/liveorders/liveorders/internal/socket"
	"github.com/liveorders/liveorders/internal/ws"
)

// The suite's largest messages are 16 MiB, and its batches a thousand
// messages long.
const (
	readLimit  = 64 << 20
	maxPending = 1 << 16
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "report" {
		if err := report(os.Args[2:], os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "wsecho:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "wsecho:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("wsecho", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:9001", "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	store, err := memstore.New(orders.State{}, memstore.Config{})
	if err != nil {
		return err
	}
	life, end := context.WithCancel(context.Background())
	defer end()
	h, err := hub.New(life, store, hub.Config{Frame: ws.AppendText, MaxControl: maxPending})
	if err != nil {
		return err
	}
	engine := socket.New(socket.Config{
		Hub:       h,
		Store:     store,
		Logger:    slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		OnMessage: echo,
		ReadLimit: readLimit,
		Heartbeat: time.Hour, // the suite counts every frame it gets
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: upgrader{engine}, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "wsecho listening on ws://%s\n", ln.Addr())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	engine.Shutdown(sctx)
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// echo sends a message back as it came: text as text, binary as binary.
func echo(s *socket.Session, op byte, payload []byte) {
	s.Send(ws.AppendFrame(nil, op, payload))
}

// upgrader answers the WebSocket opening handshake (RFC 6455 §4.2) and
// hands the connection to the engine.
type upgrader struct{ engine *socket.Engine }

func (u upgrader) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Sec-WebSocket-Key")
	if r.Method != http.MethodGet || !headerHas(r.Header, "Connection", "upgrade") ||
		!headerHas(r.Header, "Upgrade", "websocket") || r.Header.Get("Sec-WebSocket-Version") != "13" || key == "" {
		http.Error(w, "a WebSocket upgrade is expected", http.StatusUpgradeRequired)
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	_ = conn.SetDeadline(time.Time{})
	_, err = io.WriteString(conn, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Accept: "+acceptKey(key)+"\r\n\r\n")
	if err != nil {
		_ = conn.Close()
		return
	}
	u.engine.Serve(conn, buffered(brw.Reader), socket.Params{})
}

// buffered returns what the client sent past the upgrade request.
func buffered(br *bufio.Reader) []byte {
	b, _ := br.Peek(br.Buffered())
	return append([]byte(nil), b...)
}

func acceptKey(key string) string {
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(sum[:])
}

func headerHas(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
