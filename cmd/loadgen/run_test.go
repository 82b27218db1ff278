package main

import (
	"context"
	"io"
	"os"
	"strconv"
	"testing"

	"github.com/liveorders/liveorders/internal/testenv"
)

// TestRunAgainstALiveServer runs a short load with switches against a real
// server, in both timing modes: every socket connects and ends on the
// server's totals, nothing goes backwards, every switch is answered, and
// every frame is understood.
func TestRunAgainstALiveServer(t *testing.T) {
	for _, stamps := range []string{"kernel", "read"} {
		t.Run(stamps, func(t *testing.T) {
			srv := testenv.Start(t, testenv.Options{})
			cfg, err := parseConfig([]string{
				"-addr", srv.Addr, "-pid", strconv.Itoa(os.Getpid()), "-q",
				"-sockets", "60", "-rate", "40", "-duration", "1s", "-switch", "200ms",
				"-drain", "5s", "-settle", "0s", "-connect-timeout", "20s", "-stamps", stamps,
			}, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Run(context.Background(), cfg, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if res.Sockets.Connected != 60 || res.ConnErrors != 0 {
				t.Errorf("connected %d of 60, %d connection errors", res.Sockets.Connected, res.ConnErrors)
			}
			if res.Orders.OK == 0 || res.Updates == 0 || res.LastSocket.Count == 0 {
				t.Errorf("orders ok %d, updates %d, order→last-socket samples %d: want some of each",
					res.Orders.OK, res.Updates, res.LastSocket.Count)
			}
			if res.Lost != 0 || res.Unreached != 0 || res.Backwards != 0 || res.Malformed != 0 ||
				res.WrongCategory != 0 || res.ServerErrors != 0 {
				t.Errorf("lost %d, unreached %d, backwards %d, malformed %d, wrong category %d, server errors %d: want 0",
					res.Lost, res.Unreached, res.Backwards, res.Malformed, res.WrongCategory, res.ServerErrors)
			}
			if res.SwitchesSent == 0 || res.SwitchesAnswered != res.SwitchesSent {
				t.Errorf("switches answered %d of %d", res.SwitchesAnswered, res.SwitchesSent)
			}
		})
	}
}
