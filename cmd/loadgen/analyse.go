package main

import (
	"math"
	"slices"
	"time"
)

// Result is everything one run measured. Latencies are in milliseconds,
// memory in bytes.
type Result struct {
	Config     Config    `json:"config"`
	Started    time.Time `json:"started"`
	CPUs       int       `json:"cpus"`
	GoVersion  string    `json:"goVersion"`
	Categories int       `json:"categories"`
	Products   int       `json:"products"`

	Sockets struct {
		Requested        int      `json:"requested"`
		Connected        int      `json:"connected"`
		V1               int      `json:"v1"`
		Bare             int      `json:"bare"`
		DialErrors       int      `json:"dialErrors"`
		DialErrorSamples []string `json:"dialErrorSamples,omitempty"`
		ConnectSeconds   float64  `json:"connectSeconds"`
	} `json:"sockets"`

	Orders        OrderStats `json:"orders"`
	LoadSeconds   float64    `json:"loadSeconds"`
	DrainSeconds  float64    `json:"drainSeconds"`
	Frames        int64      `json:"frames"`
	Updates       int64      `json:"updates"`
	FramesPerSec  float64    `json:"framesPerSec"`
	UpdatesPerSec float64    `json:"updatesPerSec"`

	// Delivery is order → each socket that received a frame with that
	// order's total; LastSocket is order → the last subscribed socket to
	// hold a total at least that order's; Switch is update-category → its
	// snapshot.
	Delivery   Latency `json:"delivery"`
	LastSocket Latency `json:"lastSocket"`
	Switch     Latency `json:"switch"`

	// Unreached counts (order, socket) pairs where a socket subscribed when
	// the order was due, and still at the end, never held its total;
	// OrdersUnreached counts the orders with at least one such socket.
	Unreached       int64 `json:"unreached"`
	OrdersUnreached int64 `json:"ordersUnreached"`
	// Lost counts (socket, product) pairs whose final total the socket never
	// received by the end of the drain; LostSockets the sockets concerned.
	Lost             int64          `json:"lost"`
	LostSockets      int64          `json:"lostSockets"`
	Backwards        int64          `json:"backwards"`
	Duplicated       int64          `json:"duplicated"`
	WrongCategory    int64          `json:"wrongCategory"`
	Malformed        int64          `json:"malformed"`
	ServerErrors     int64          `json:"serverErrors"`
	ConnErrors       int64          `json:"connErrors"`
	CloseCodes       map[string]int `json:"closeCodes,omitempty"`
	SwitchesSent     int64          `json:"switchesSent"`
	SwitchesAnswered int64          `json:"switchesAnswered"`

	Server struct {
		PID          int     `json:"pid"`
		BaselineRSS  int64   `json:"baselineRSS"`
		IdleRSS      int64   `json:"idleRSS"`
		PeakRSS      int64   `json:"peakRSS"`
		EndRSS       int64   `json:"endRSS"`
		RSSPerSocket float64 `json:"rssPerSocket"`
		CPUPercent   float64 `json:"cpuPercent"`
		CPUSeconds   float64 `json:"cpuSeconds"`
		Exited       bool    `json:"exitedDuringRun"`
	} `json:"server"`
	Client struct {
		CPUPercent float64 `json:"cpuPercent"`
	} `json:"client"`
	Notes []string `json:"notes,omitempty"`
}

// OrderStats counts the orders placed.
type OrderStats struct {
	Scheduled int64          `json:"scheduled"`
	Sent      int64          `json:"sent"`
	OK        int64          `json:"ok"`
	Failed    int64          `json:"failed"`
	Skipped   int64          `json:"skipped"`
	PerSec    float64        `json:"perSec"`
	Errors    map[string]int `json:"errors,omitempty"`
}

// Latency summarises a latency distribution, in milliseconds. Hist counts
// samples in logarithmic buckets: bucket i holds [histEdge(i),
// histEdge(i+1)).
type Latency struct {
	Count int64    `json:"count"`
	Mean  float64  `json:"mean"`
	P50   float64  `json:"p50"`
	P90   float64  `json:"p90"`
	P99   float64  `json:"p99"`
	P999  float64  `json:"p999"`
	Max   float64  `json:"max"`
	Hist  []uint64 `json:"hist"`
}

// The latency histogram: histPerDecade buckets per power of ten, from
// 10^histLo ms (10 µs) to 10^(histLo+histDecades) ms (100 s).
const (
	histLo        = -2
	histDecades   = 7
	histPerDecade = 10
	histBuckets   = histDecades * histPerDecade
)

func histEdge(i int) float64 { return math.Pow(10, histLo+float64(i)/histPerDecade) }

func histBucket(ms float64) int {
	if ms <= 0 {
		return 0
	}
	b := int(math.Floor((math.Log10(ms) - histLo) * histPerDecade))
	return min(max(b, 0), histBuckets-1)
}

// summarise sorts ns (nanoseconds) and summarises it.
func summarise(ns []int64) Latency {
	var l Latency
	l.Count = int64(len(ns))
	if len(ns) == 0 {
		return l
	}
	slices.Sort(ns)
	ms := func(v int64) float64 { return float64(v) / 1e6 }
	q := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(ns)))) - 1
		return ms(ns[min(max(i, 0), len(ns)-1)])
	}
	var sum float64
	l.Hist = make([]uint64, histBuckets)
	for _, v := range ns {
		sum += ms(v)
		l.Hist[histBucket(ms(v))]++
	}
	last := len(l.Hist)
	for last > 0 && l.Hist[last-1] == 0 {
		last--
	}
	l.Hist = l.Hist[:last]
	l.Mean = sum / float64(len(ns))
	l.P50, l.P90, l.P99, l.P999 = q(0.50), q(0.90), q(0.99), q(0.999)
	l.Max = ms(ns[len(ns)-1])
	return l
}

type orderKey struct {
	prod  int32
	total int64
}

// analyse joins the orders with what every socket received.
func analyse(res *Result, cat *catalogue, pl *placer, socks []*sock) {
	orders := pl.orders
	slices.SortFunc(orders, func(a, b order) int {
		if a.prod != b.prod {
			return int(a.prod - b.prod)
		}
		return int(a.total - b.total)
	})
	byKey := make(map[orderKey]int, len(orders))
	byProd := make([][]order, len(cat.prods))
	first := make([]int, len(cat.prods)) // index in orders of byProd[p][0]
	for i, o := range orders {
		byKey[orderKey{o.prod, o.total}] = i
		if len(byProd[o.prod]) == 0 {
			first[o.prod] = i
		}
		byProd[o.prod] = append(byProd[o.prod], o)
	}

	var delivery, switches []int64
	lastLat := make([]int64, len(orders))
	for i := range lastLat {
		lastLat[i] = -1
	}
	missed := make([]int64, len(orders))
	perProd := make([][]rec, len(cat.prods))
	finalMax := make([]int64, len(cat.prods))
	for _, s := range socks {
		switches = append(switches, s.switchLat...)
		for _, r := range s.recs {
			if r.snap {
				continue
			}
			if i, ok := byKey[orderKey{r.prod, r.total}]; ok {
				delivery = append(delivery, max(r.at-orders[i].sched, 0))
			}
		}
		for n, iv := range s.ivals {
			for p := range perProd {
				perProd[p] = perProd[p][:0]
			}
			for _, r := range s.recs[iv.from:iv.to] {
				perProd[r.prod] = append(perProd[r.prod], r)
			}
			open := iv.end < 0 && n == len(s.ivals)-1
			for _, p := range cat.byCat[iv.cat] {
				recs, os := perProd[p], byProd[p]
				j := 0
				for k, o := range os {
					if o.sched < iv.start || (!open && o.sched >= iv.end) {
						continue
					}
					for j < len(recs) && recs[j].total < o.total {
						j++
					}
					oi := first[p] + k
					switch {
					case j < len(recs):
						lastLat[oi] = max(lastLat[oi], max(recs[j].at-o.sched, 0))
					case open && s.closed == nil:
						missed[oi]++
					}
				}
				if open && s.closed == nil {
					finalMax[p] = -1
					for _, r := range recs {
						finalMax[p] = max(finalMax[p], r.total)
					}
				}
			}
			if open && s.closed == nil {
				lost := false
				for _, p := range cat.byCat[iv.cat] {
					if finalMax[p] < pl.maxSeen[p] {
						res.Lost++
						lost = true
					}
				}
				if lost {
					res.LostSockets++
				}
			}
		}
	}
	var last []int64
	for i, l := range lastLat {
		if missed[i] > 0 {
			res.Unreached += missed[i]
			res.OrdersUnreached++
		}
		if l >= 0 {
			last = append(last, l)
		}
	}
	res.Delivery = summarise(delivery)
	res.LastSocket = summarise(last)
	res.Switch = summarise(switches)
}
