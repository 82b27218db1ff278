package handlers

import (
	"fmt"
	"testing"
	"time"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)} }

func TestWriteLimiterBurstThenRate(t *testing.T) {
	clock := newFakeClock()
	l := newWriteLimiter(writeLimit{rate: 2, burst: 3}, writeLimit{}, clock.now)
	for i := range 3 {
		if wait := l.allow("192.0.2.1", ""); wait != 0 {
			t.Fatalf("write %d of the burst refused (wait %v)", i+1, wait)
		}
	}
	wait := l.allow("192.0.2.1", "")
	if wait != 500*time.Millisecond {
		t.Fatalf("write past the burst: wait %v, want 500ms (one token at 2/s)", wait)
	}
	if got := retryAfter(wait); got != 1 {
		t.Errorf("Retry-After for %v = %d, want 1", wait, got)
	}
	clock.advance(499 * time.Millisecond)
	if wait := l.allow("192.0.2.1", ""); wait != time.Millisecond {
		t.Fatalf("1ms before the token: wait %v, want 1ms (a refused write takes nothing)", wait)
	}
	clock.advance(time.Millisecond)
	if wait := l.allow("192.0.2.1", ""); wait != 0 {
		t.Fatalf("once the token is back: wait %v, want 0", wait)
	}
	if wait := l.allow("192.0.2.2", ""); wait != 0 {
		t.Errorf("another address shares the first's bucket (wait %v)", wait)
	}
	clock.advance(time.Hour)
	for i := range 3 {
		if wait := l.allow("192.0.2.1", ""); wait != 0 {
			t.Fatalf("after an hour, write %d refused: the bucket must be full again, and no fuller", i+1)
		}
	}
	if wait := l.allow("192.0.2.1", ""); wait == 0 {
		t.Error("after an hour the bucket held more than its burst")
	}
}

func TestWriteLimiterSubject(t *testing.T) {
	clock := newFakeClock()
	l := newWriteLimiter(writeLimit{rate: 1, burst: 4}, writeLimit{rate: 0.1, burst: 2}, clock.now)

	// One subject, two addresses: the subject's bucket binds.
	if l.allow("192.0.2.1", "alice") != 0 || l.allow("192.0.2.2", "alice") != 0 {
		t.Fatal("the subject's burst refused")
	}
	wait := l.allow("192.0.2.3", "alice")
	if wait != 10*time.Second {
		t.Fatalf("third write of the subject: wait %v, want 10s (0.1/s)", wait)
	}
	if got := retryAfter(wait); got != 10 {
		t.Errorf("Retry-After = %d, want 10", got)
	}
	// The refused write took nothing from its address: 192.0.2.3 still
	// has its whole burst of 4.
	for i := range 4 {
		if wait := l.allow("192.0.2.3", ""); wait != 0 {
			t.Fatalf("write %d from 192.0.2.3 refused (wait %v)", i+1, wait)
		}
	}
	if l.allow("192.0.2.3", "") == 0 {
		t.Fatal("192.0.2.3 got more than its burst")
	}
	// Without a subject only the address counts, and 192.0.2.1 has 3 left.
	for i := range 3 {
		if wait := l.allow("192.0.2.1", ""); wait != 0 {
			t.Fatalf("anonymous write %d from 192.0.2.1 refused (wait %v)", i+1, wait)
		}
	}
	// The address bucket binds when it is the emptier one: both wait, the
	// longer wait is reported.
	if wait := l.allow("192.0.2.1", "carol"); wait != time.Second {
		t.Errorf("empty address, full subject: wait %v, want 1s", wait)
	}
	// Were carol charged by these refusals, her two tokens would be gone
	// by the third and it would wait her 10s.
	for range 2 {
		if wait := l.allow("192.0.2.1", "carol"); wait != time.Second {
			t.Errorf("carol's bucket was charged by a refused write (wait %v)", wait)
		}
	}
}

func TestWriteLimiterOff(t *testing.T) {
	var nilLimiter *writeLimiter
	if nilLimiter.allow("192.0.2.1", "alice") != 0 {
		t.Error("a nil limiter refused a write")
	}
	l := newWriteLimiter(writeLimit{}, writeLimit{}, newFakeClock().now)
	for range 1000 {
		if l.allow("192.0.2.1", "alice") != 0 {
			t.Fatal("a limiter with no limits refused a write")
		}
	}
	subjectOnly := newWriteLimiter(writeLimit{}, writeLimit{rate: 1, burst: 1}, newFakeClock().now)
	for range 5 {
		if subjectOnly.allow("192.0.2.1", "") != 0 {
			t.Fatal("a subject-only limiter refused an anonymous write")
		}
	}
	if subjectOnly.allow("192.0.2.1", "alice") != 0 || subjectOnly.allow("192.0.2.1", "alice") == 0 {
		t.Error("a subject-only limiter does not limit the subject")
	}
}

func TestWriteLimiterIPv6Prefix(t *testing.T) {
	l := newWriteLimiter(writeLimit{rate: 1, burst: 1}, writeLimit{}, newFakeClock().now)
	if l.allow("2001:db8:1:2::1", "") != 0 {
		t.Fatal("first write refused")
	}
	if l.allow("2001:db8:1:2:ffff::9", "") == 0 {
		t.Error("another address of the same /64 got a bucket of its own")
	}
	if l.allow("2001:db8:1:3::1", "") != 0 {
		t.Error("another /64 shares the bucket")
	}
	if l.allow("::ffff:192.0.2.1", "") != 0 || l.allow("192.0.2.1", "") == 0 {
		t.Error("an IPv4-mapped address is not the IPv4 address's bucket")
	}
}

func TestWriteLimiterForgetsIdleClients(t *testing.T) {
	clock := newFakeClock()
	// Periods: 10 × 100ms and 5 × 1s; the slower one, 5s, sets rotation.
	l := newWriteLimiter(writeLimit{rate: 10, burst: 10}, writeLimit{rate: 1, burst: 5}, clock.now)
	for i := range 500 {
		l.allow(fmt.Sprintf("192.0.2.%d", i%250), fmt.Sprintf("user-%d", i))
	}
	if n := l.size(); n != 750 {
		t.Fatalf("%d buckets held, want 750 (250 addresses, 500 subjects)", n)
	}

	// dave empties his bucket just before a rotation; it must survive it.
	clock.advance(4900 * time.Millisecond)
	for range 5 {
		if wait := l.allow("198.51.100.7", "dave"); wait != 0 {
			t.Fatalf("dave's burst refused (wait %v)", wait)
		}
	}
	clock.advance(100 * time.Millisecond)
	l.allow("203.0.113.1", "") // one period since the start: rotates
	clock.advance(500 * time.Millisecond)
	if wait := l.allow("198.51.100.7", "dave"); wait != 400*time.Millisecond {
		t.Fatalf("dave 600ms after emptying his bucket: wait %v, want 400ms; a bucket in use was forgotten", wait)
	}

	// Two idle periods later only the clients seen since are held.
	clock.advance(10 * time.Second)
	l.allow("203.0.113.1", "")
	if n := l.size(); n != 1 {
		t.Errorf("%d buckets held after two idle periods, want 1 (the one client seen since)", n)
	}
}

func TestRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		wait time.Duration
		want int
	}{
		{time.Nanosecond, 1},
		{time.Second, 1},
		{time.Second + time.Nanosecond, 2},
		{90 * time.Second, 90},
	} {
		if got := retryAfter(tc.wait); got != tc.want {
			t.Errorf("retryAfter(%v) = %d, want %d", tc.wait, got, tc.want)
		}
	}
}
