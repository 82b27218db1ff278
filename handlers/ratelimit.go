package handlers

import (
	"math"
	"net/netip"
	"sync"
	"time"
)

// writeLimit is one client's allowance: rate writes per second on average,
// bursts of up to burst. A zero rate or burst means no limit.
type writeLimit struct {
	rate  float64
	burst int
}

func (l writeLimit) on() bool { return l.rate > 0 && l.burst > 0 }

// interval is the time one write's token takes to come back.
func (l writeLimit) interval() time.Duration {
	return time.Duration(float64(time.Second) / l.rate)
}

// tolerance is how far ahead of now a client's schedule may run: the burst
// less the write being asked for.
func (l writeLimit) tolerance() time.Duration { return time.Duration(l.burst-1) * l.interval() }

// writeLimiter limits HTTP writes (orders, products, mock controls) per
// client address and, when the request carries a token, per token subject
// too: a write goes ahead only when both allow it, and counts against both.
//
// Each client is a token bucket kept as the GCRA keeps it: one time, the
// theoretical arrival time of its next write (tat). A write at now is
// allowed when tat - now is within the limit's tolerance, and moves tat one
// interval on; a refused one changes nothing and waits tat - now -
// tolerance. Durations are whole nanoseconds, so waits are exact.
//
// Clients live in two generations swapped every period (burst intervals of
// the slower limit): a client untouched for a period has tat <= now, which
// is a full bucket, so dropping it loses nothing, and memory stays bounded
// by the clients active in the last two periods. IPv6 addresses share a
// bucket per /64, the block one host is usually given.
type writeLimiter struct {
	perAddr, perSubject writeLimit
	now                 func() time.Time
	period              time.Duration

	mu        sync.Mutex
	cur, prev map[string]time.Time // key → tat
	rotated   time.Time
}

// newWriteLimiter returns a limiter; now is the clock (time.Now outside
// tests).
func newWriteLimiter(perAddr, perSubject writeLimit, now func() time.Time) *writeLimiter {
	l := &writeLimiter{perAddr: perAddr, perSubject: perSubject, now: now,
		cur: map[string]time.Time{}, prev: map[string]time.Time{}, rotated: now()}
	for _, w := range []writeLimit{perAddr, perSubject} {
		if w.on() {
			l.period = max(l.period, time.Duration(w.burst)*w.interval())
		}
	}
	return l
}

// allow counts one write against addr and, if subject is not empty,
// against the subject. It returns 0 if the write may go ahead, otherwise
// how long until it could (for Retry-After); a refused write counts
// against neither.
func (l *writeLimiter) allow(addr, subject string) time.Duration {
	if l == nil || (!l.perAddr.on() && !l.perSubject.on()) {
		return 0
	}
	type charge struct {
		key   string
		limit writeLimit
		tat   time.Time
	}
	var charges [2]charge
	n := 0
	if l.perAddr.on() {
		charges[n] = charge{key: "a " + addrKey(addr), limit: l.perAddr}
		n++
	}
	if subject != "" && l.perSubject.on() {
		charges[n] = charge{key: "s " + subject, limit: l.perSubject}
		n++
	}

	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rotate(now)
	var wait time.Duration
	for i := range n {
		c := &charges[i]
		c.tat = l.tat(c.key, now)
		wait = max(wait, c.tat.Sub(now)-c.limit.tolerance())
	}
	if wait > 0 {
		return wait
	}
	for _, c := range charges[:n] {
		l.cur[c.key] = c.tat.Add(c.limit.interval())
	}
	return 0
}

// tat returns key's theoretical arrival time, at least now, moving the key
// into the current generation.
func (l *writeLimiter) tat(key string, now time.Time) time.Time {
	tat, ok := l.cur[key]
	if !ok {
		if tat, ok = l.prev[key]; ok {
			delete(l.prev, key)
			l.cur[key] = tat
		}
	}
	if tat.Before(now) {
		return now
	}
	return tat
}

// rotate swaps the generations once a period has passed.
func (l *writeLimiter) rotate(now time.Time) {
	switch since := now.Sub(l.rotated); {
	case since >= 2*l.period:
		l.cur, l.prev = map[string]time.Time{}, map[string]time.Time{}
	case since >= l.period:
		l.cur, l.prev = map[string]time.Time{}, l.cur
	default:
		return
	}
	l.rotated = now
}

// size is the number of buckets held, for tests.
func (l *writeLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.cur) + len(l.prev)
}

// addrKey is the bucket key of a client address: the address itself, or
// its /64 for IPv6. A string that is no address is its own key.
func addrKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap()
	if ip.Is4() {
		return ip.String()
	}
	p, _ := ip.Prefix(64)
	return p.String()
}

// retryAfter is the Retry-After value for a wait: whole seconds, rounded
// up, at least 1 (RFC 9110 §10.2.3).
func retryAfter(wait time.Duration) int {
	return max(1, int(math.Ceil(wait.Seconds())))
}
