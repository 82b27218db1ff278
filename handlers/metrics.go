package handlers

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/buildinfo"
	"github.com/liveorders/liveorders/internal/hub"
	"github.com/liveorders/liveorders/internal/socket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the server's Prometheus metrics, in a registry of its own so
// that several servers can live in one process (tests, benchmarks). The
// socket engine reports to them (socket.Metrics).
type Metrics struct {
	reg      *prometheus.Registry
	open     *prometheus.GaugeVec
	closes   *prometheus.CounterVec
	errors   *prometheus.CounterVec
	sent     *prometheus.CounterVec
	switches prometheus.Histogram
	delivery prometheus.Histogram
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// sentHelp is the help of liveorders_messages_sent_total, which two
// sources fill (see messagesSent).
const sentHelp = "Messages queued to sockets by type; order counts the order updates put in outboxes, in both modes."

var _ socket.Metrics = (*Metrics)(nil)

// NewMetrics returns the metrics of a server whose view of the store is h
// (nil: none of the hub's counters).
func NewMetrics(h *hub.Hub) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		open: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "liveorders_sockets_open", Help: "Open sockets by mode (v1 or bare).",
		}, []string{"mode"}),
		closes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "liveorders_socket_closes_total", Help: "Closed sockets by close code.",
		}, []string{"code"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "liveorders_command_errors_total", Help: "Refused commands by error code.",
		}, []string{"code"}),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "liveorders_messages_sent_total", Help: sentHelp,
		}, []string{"type"}),
		switches: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "liveorders_switch_seconds", Help: "Time to switch a socket's category and queue its snapshot.",
			Buckets: prometheus.ExponentialBuckets(10e-6, 2.5, 10),
		}),
		delivery: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "liveorders_delivery_seconds", Help: "Time from a socket's outbox filling to its frames being written.",
			Buckets: prometheus.ExponentialBuckets(100e-6, 2.5, 12),
		}),
	}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "liveorders_http_requests_total", Help: "HTTP requests by route template, method and status.",
	}, []string{"route", "method", "status"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "liveorders_http_request_duration_seconds", Help: "Time to answer an HTTP request, by route template and method.",
		Buckets: prometheus.ExponentialBuckets(50e-6, 3, 10),
	}, []string{"route", "method"})
	// Every message type is listed from the start, at 0.
	for _, t := range []api.MessageType{api.MessageTypeWelcome, api.MessageTypeSnapshot, api.MessageTypePlaced, api.MessageTypeError, api.MessageTypePing} {
		m.sent.WithLabelValues(string(t))
	}
	m.reg.MustRegister(m.open, m.closes, m.errors, messagesSent{m.sent, h}, m.switches, m.delivery, m.requests, m.duration,
		buildInfo(), collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if h != nil {
		m.reg.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "liveorders_deliveries_total", Help: "Order updates put in socket outboxes.",
			}, func() float64 { d, _ := h.Stats(); return float64(d) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "liveorders_conflated_updates_total", Help: "Order updates that replaced one still waiting in an outbox (latest wins).",
			}, func() float64 { _, c := h.Stats(); return float64(c) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "liveorders_log_seq", Help: "Position in the order log of the last update applied.",
			}, func() float64 { return float64(h.Seq()) }),
		)
	}
	return m
}

// buildInfo is the liveorders_build_info gauge: always 1, its labels say
// which build is running.
func buildInfo() prometheus.Collector {
	in := buildinfo.Read()
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "liveorders_build_info", Help: "Always 1; the labels name the running build's version, commit and Go version.",
	}, []string{"version", "commit", "goversion"})
	g.WithLabelValues(in.Version, in.Commit, in.GoVersion).Set(1)
	return g
}

func (m *Metrics) handler() fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
}

func modeLabel(mode hub.Mode) string {
	if mode == hub.V1 {
		return "v1"
	}
	return "bare"
}

// SocketOpened implements socket.Metrics.
func (m *Metrics) SocketOpened(mode hub.Mode) { m.open.WithLabelValues(modeLabel(mode)).Inc() }

// SocketClosed implements socket.Metrics.
func (m *Metrics) SocketClosed(mode hub.Mode, code int) {
	m.open.WithLabelValues(modeLabel(mode)).Dec()
	m.closes.WithLabelValues(strconv.Itoa(code)).Inc()
}

// CommandRefused implements socket.Metrics.
func (m *Metrics) CommandRefused(code api.ErrorCode) { m.errors.WithLabelValues(string(code)).Inc() }

// MessageSent implements socket.Metrics.
func (m *Metrics) MessageSent(t api.MessageType) { m.sent.WithLabelValues(string(t)).Inc() }

// Observe implements socket.Metrics.
func (m *Metrics) Observe(t socket.Timing, d time.Duration) {
	switch t {
	case socket.SwitchTime:
		m.switches.Observe(d.Seconds())
	case socket.DeliveryTime:
		m.delivery.Observe(d.Seconds())
	}
}

// messagesSent is liveorders_messages_sent_total: the messages sessions
// report, by type, and the order updates, which the hub puts in outboxes
// without a session seeing them, from the hub's delivery counter.
type messagesSent struct {
	vec *prometheus.CounterVec
	hub *hub.Hub // nil: no order count
}

var orderDesc = prometheus.NewDesc("liveorders_messages_sent_total", sentHelp, []string{"type"}, nil)

// Describe implements prometheus.Collector.
func (m messagesSent) Describe(ch chan<- *prometheus.Desc) { ch <- orderDesc }

// Collect implements prometheus.Collector.
func (m messagesSent) Collect(ch chan<- prometheus.Metric) {
	m.vec.Collect(ch)
	if m.hub != nil {
		d, _ := m.hub.Stats()
		ch <- prometheus.MustNewConstMetric(orderDesc, prometheus.CounterValue, float64(d), string(api.MessageTypeOrder))
	}
}

// observeRequest counts an answered request under its route template
// (/{category}, as the OpenAPI document writes it).
func (m *Metrics) observeRequest(route, method string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route, method).Observe(d.Seconds())
}

// watchServer adds the gauges read off srv at each scrape: whether it is
// ready (what /readyz answers), whether its store can serve, and its socket
// cap, which dashboards and alerts compare liveorders_sockets_open with.
func (m *Metrics) watchServer(srv *Server) {
	for _, c := range []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "liveorders_ready", Help: "1 while /readyz answers 200 (load balancers send this instance new clients), else 0.",
		}, func() float64 { return boolGauge(srv.ready.Load() && srv.storeErr() == nil) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "liveorders_store_ready", Help: "1 while the store can take writes and follows the log, else 0 (writes are refused with 503).",
		}, func() float64 { return boolGauge(srv.storeErr() == nil) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "liveorders_max_sockets", Help: "The cap on open sockets (-max-sockets); 0: no cap.",
		}, func() float64 { return float64(srv.cfg.MaxSockets) }),
	} {
		// A Metrics shared by two servers keeps the first one's.
		_ = m.reg.Register(c)
	}
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
