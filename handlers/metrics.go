package handlers

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/liveorders/liveorders/api"
	"github.com/liveorders/liveorders/internal/hub"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus metrics, in a registry of its own so
// that several servers can live in one process (tests, benchmarks).
type metrics struct {
	reg      *prometheus.Registry
	open     *prometheus.GaugeVec
	closes   *prometheus.CounterVec
	errors   *prometheus.CounterVec
	sent     *prometheus.CounterVec
	switches prometheus.Histogram
	delivery prometheus.Histogram
}

func newMetrics(h *hub.Hub) *metrics {
	m := &metrics{
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
			Name: "liveorders_messages_sent_total", Help: "Control messages queued to sockets by type (order updates: liveorders_deliveries_total).",
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
	m.reg.MustRegister(m.open, m.closes, m.errors, m.sent, m.switches, m.delivery,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
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

func (m *metrics) handler() fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
}

func modeLabel(mode hub.Mode) string {
	if mode == hub.V1 {
		return "v1"
	}
	return "bare"
}

func (m *metrics) socketOpened(mode hub.Mode) { m.open.WithLabelValues(modeLabel(mode)).Inc() }

func (m *metrics) socketClosed(mode hub.Mode, code int) {
	m.open.WithLabelValues(modeLabel(mode)).Dec()
	m.closes.WithLabelValues(strconv.Itoa(code)).Inc()
}

func (m *metrics) commandError(code api.ErrorCode) { m.errors.WithLabelValues(string(code)).Inc() }

func (m *metrics) messageSent(t api.MessageType) { m.sent.WithLabelValues(string(t)).Inc() }

func (m *metrics) switched(d time.Duration) { m.switches.Observe(d.Seconds()) }

func (m *metrics) delivered(d time.Duration) { m.delivery.Observe(d.Seconds()) }
