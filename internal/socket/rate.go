package socket

import "time"

// bucket is a token bucket limiting one session's commands. Each refused
// command counts as a strike; strikes fade at the refill rate, and a
// session that keeps flooding past abuseStrikes is abusive.
type bucket struct {
	rate, burst float64 // tokens per second, capacity; rate 0: unlimited
	tokens      float64
	strikes     float64
	last        time.Time
}

// abuseStrikes is how many refused commands, net of the refill, make a
// session abusive: far more than a client that merely bursts would reach.
const abuseStrikes = 100

func newBucket(rate float64, burst int) bucket {
	return bucket{rate: rate, burst: float64(burst), tokens: float64(burst)}
}

// allow takes a token if there is one.
func (b *bucket) allow(now time.Time) bool {
	if b.rate <= 0 {
		return true
	}
	if !b.last.IsZero() {
		refill := now.Sub(b.last).Seconds() * b.rate
		b.tokens = min(b.burst, b.tokens+refill)
		b.strikes = max(0, b.strikes-refill)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	b.strikes++
	return false
}

// abusive reports whether the session has been flooding for a while.
func (b *bucket) abusive() bool { return b.strikes > abuseStrikes }
