package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/liveorders/liveorders/internal/natsbus"
)

// The setters of the settings: each parses a flag's text into the config,
// or says why it cannot.

// text returns a setter of *p that takes any string.
func text(p *string) func(string) error {
	return func(s string) error { *p = s; return nil }
}

// boolean returns a setter of *p that takes what strconv.ParseBool does.
func boolean(p *bool) func(string) error {
	return func(s string) (err error) { *p, err = strconv.ParseBool(s); return err }
}

// seed returns a setter of *p that takes a whole number, or nothing for a
// random one.
func seed(p *uint64) func(string) error {
	return func(s string) (err error) {
		if s == "" {
			*p = rand.Uint64()
			return nil
		}
		*p, err = strconv.ParseUint(s, 10, 64)
		return err
	}
}

// replicas returns a setter of *p that accepts 1 to natsbus.MaxReplicas.
func replicas(p *int) func(string) error {
	return func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > natsbus.MaxReplicas {
			return fmt.Errorf("%q is not a whole number from 1 to %d", s, natsbus.MaxReplicas)
		}
		*p = n
		return nil
	}
}

// nonNegativeDuration returns a setter of *p that accepts durations from 0.
func nonNegativeDuration(p *time.Duration) func(string) error {
	return func(s string) error {
		d, err := parseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a duration of at least 0 such as 1m", s)
		}
		*p = d
		return nil
	}
}

func parseDuration(s string) (time.Duration, error) {
	if s == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a non-negative duration such as 1.5s", s)
	}
	return d, nil
}

// wholeNumber returns a setter of *p that accepts whole numbers of at least
// least.
func wholeNumber(p *int, least int) func(string) error {
	return func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil || n < least {
			return fmt.Errorf("%q is not a whole number of at least %d", s, least)
		}
		*p = n
		return nil
	}
}

// positiveRate returns a setter of *p that accepts finite numbers above 0.
func positiveRate(p *float64) func(string) error {
	return func(s string) error {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || !(f > 0) || math.IsInf(f, 0) {
			return fmt.Errorf("%q is not a number above 0 such as 20 or 0.5", s)
		}
		*p = f
		return nil
	}
}

// nonNegativeRate returns a setter of *p that accepts finite numbers from
// 0 (off).
func nonNegativeRate(p *float64) func(string) error {
	return func(s string) error {
		f, err := strconv.ParseFloat(s, 64)
		// Below minRate, a write's interval overflows a time.Duration.
		if err != nil || !(f == 0 || f >= minRate) || math.IsInf(f, 0) {
			return fmt.Errorf("%q is not 0 or a number of at least %g such as 100 or 0.5", s, minRate)
		}
		*p = f
		return nil
	}
}

// minRate is the smallest rate a limit takes: one a day, about.
const minRate = 1e-5

// positiveDuration returns a setter of *p that accepts durations above 0.
func positiveDuration(p *time.Duration) func(string) error {
	return func(s string) error {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return fmt.Errorf("%q is not a duration above 0 such as 10s", s)
		}
		*p = d
		return nil
	}
}

// prefixes returns a setter of *p that takes a comma-separated list of
// CIDRs and addresses (an address is a prefix of its full length).
func prefixes(p *[]netip.Prefix) func(string) error {
	return func(s string) error {
		var ps []netip.Prefix
		for _, f := range strings.Split(s, ",") {
			if f = strings.TrimSpace(f); f == "" {
				continue
			}
			pr, err := netip.ParsePrefix(f)
			if err != nil {
				a, aerr := netip.ParseAddr(f)
				if aerr != nil {
					return fmt.Errorf("%q is not an address or a CIDR such as 10.0.0.0/8", f)
				}
				pr = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
			}
			ps = append(ps, pr.Masked())
		}
		*p = ps
		return nil
	}
}
