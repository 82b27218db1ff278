package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io"
	"os"
	"text/tabwriter"
)

// runReport merges result files (each one Result or a list of them) into
// one JSON, HTML and markdown report.
func runReport(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadgen report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	jsonOut := fs.String("json", "", "write every result, as one JSON list, to this file")
	htmlOut := fs.String("html", "", "write the HTML report to this file")
	mdOut := fs.String("md", "", "write a markdown summary to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("report: name at least one result file")
	}
	var all []*Result
	for _, name := range fs.Args() {
		b, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		var list []*Result
		if err := json.Unmarshal(b, &list); err != nil {
			var one Result
			if err := json.Unmarshal(b, &one); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			list = []*Result{&one}
		}
		all = append(all, list...)
	}
	printTable(stdout, all)
	if *jsonOut != "" {
		if err := writeJSON(*jsonOut, all); err != nil {
			return err
		}
	}
	if *htmlOut != "" {
		if err := writeHTML(*htmlOut, all); err != nil {
			return err
		}
	}
	if *mdOut != "" {
		f, err := os.Create(*mdOut)
		if err != nil {
			return err
		}
		writeMarkdown(f, all)
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}

func writeJSON(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(name, append(b, '\n'), 0o644)
}

// row is one line of the summary table: a label and one value per run.
type row struct {
	label string
	value func(r *Result) string
}

func ms(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v < 1:
		return fmt.Sprintf("%.3f", v)
	case v < 100:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

func latRow(label string, l func(r *Result) Latency) []row {
	f := func(name string, v func(Latency) float64) row {
		return row{label + " " + name + " ms", func(r *Result) string {
			x := l(r)
			if x.Count == 0 {
				return "–"
			}
			return ms(v(x))
		}}
	}
	return []row{
		f("p50", func(x Latency) float64 { return x.P50 }),
		f("p90", func(x Latency) float64 { return x.P90 }),
		f("p99", func(x Latency) float64 { return x.P99 }),
		f("max", func(x Latency) float64 { return x.Max }),
	}
}

func n(v int64) string { return fmt.Sprint(v) }

func rows() []row {
	rs := []row{
		{"sockets open/asked", func(r *Result) string {
			return fmt.Sprintf("%d/%d", r.Sockets.Connected, r.Sockets.Requested)
		}},
		{"v1 / bare", func(r *Result) string { return fmt.Sprintf("%d / %d", r.Sockets.V1, r.Sockets.Bare) }},
		{"categories / products", func(r *Result) string { return fmt.Sprintf("%d / %d", r.Categories, r.Products) }},
		{"orders ok/sent (failed, skipped)", func(r *Result) string {
			return fmt.Sprintf("%d/%d (%d, %d)", r.Orders.OK, r.Orders.Sent, r.Orders.Failed, r.Orders.Skipped)
		}},
		{"orders/s", func(r *Result) string { return fmt.Sprintf("%.1f", r.Orders.PerSec) }},
		{"frames/s", func(r *Result) string { return si(r.FramesPerSec) }},
		{"updates/s", func(r *Result) string { return si(r.UpdatesPerSec) }},
	}
	rs = append(rs, latRow("order→socket", func(r *Result) Latency { return r.Delivery })...)
	rs = append(rs, latRow("order→last socket", func(r *Result) Latency { return r.LastSocket })...)
	rs = append(rs, latRow("switch→snapshot", func(r *Result) Latency { return r.Switch })...)
	rs = append(rs,
		row{"switches answered/sent", func(r *Result) string { return fmt.Sprintf("%d/%d", r.SwitchesAnswered, r.SwitchesSent) }},
		row{"lost (pairs / sockets)", func(r *Result) string { return fmt.Sprintf("%d / %d", r.Lost, r.LostSockets) }},
		row{"unreached (pairs / orders)", func(r *Result) string { return fmt.Sprintf("%d / %d", r.Unreached, r.OrdersUnreached) }},
		row{"backwards", func(r *Result) string { return n(r.Backwards) }},
		row{"duplicated", func(r *Result) string { return n(r.Duplicated) }},
		row{"wrong category", func(r *Result) string { return n(r.WrongCategory) }},
		row{"connection errors", func(r *Result) string { return n(r.ConnErrors + int64(r.Sockets.DialErrors)) }},
		row{"server error frames", func(r *Result) string { return n(r.ServerErrors) }},
		row{"server RSS idle / peak", func(r *Result) string {
			return bytesHuman(r.Server.IdleRSS) + " / " + bytesHuman(r.Server.PeakRSS)
		}},
		row{"server RSS per socket", func(r *Result) string { return bytesHuman(int64(r.Server.RSSPerSocket)) }},
		row{"server CPU under load", func(r *Result) string { return fmt.Sprintf("%.0f%%", r.Server.CPUPercent) }},
		row{"client CPU under load", func(r *Result) string { return fmt.Sprintf("%.0f%%", r.Client.CPUPercent) }},
	)
	return rs
}

// printTable writes the runs side by side.
func printTable(w io.Writer, rs []*Result) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "\t")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t", r.Config.Name)
	}
	fmt.Fprintln(tw)
	for _, row := range rows() {
		fmt.Fprintf(tw, "%s\t", row.label)
		for _, r := range rs {
			fmt.Fprintf(tw, "%s\t", row.value(r))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	for _, r := range rs {
		for _, note := range notes(r) {
			fmt.Fprintf(w, "%s: %s\n", r.Config.Name, note)
		}
	}
}

// notes lists what went wrong in a run, in words.
func notes(r *Result) []string {
	out := append([]string(nil), r.Notes...)
	for _, e := range r.Sockets.DialErrorSamples {
		out = append(out, "dial error: "+e)
	}
	for k, v := range r.Orders.Errors {
		out = append(out, fmt.Sprintf("order error ×%d: %s", v, k))
	}
	for k, v := range r.CloseCodes {
		out = append(out, fmt.Sprintf("socket closed by the server ×%d: %s", v, k))
	}
	if r.Server.Exited {
		out = append(out, "the server exited during the run")
	}
	return out
}

func writeMarkdown(w io.Writer, rs []*Result) {
	fmt.Fprintln(w, "# Load benchmark summary")
	fmt.Fprintln(w)
	if len(rs) > 0 {
		fmt.Fprintf(w, "%d CPUs, %s, started %s. Latencies in ms; see report.html for the distributions.\n\n",
			rs[0].CPUs, rs[0].GoVersion, rs[0].Started.Format("2006-01-02 15:04 UTC"))
	}
	fmt.Fprint(w, "| |")
	for _, r := range rs {
		fmt.Fprintf(w, " %s |", r.Config.Name)
	}
	fmt.Fprint(w, "\n|---|")
	for range rs {
		fmt.Fprint(w, "---:|")
	}
	fmt.Fprintln(w)
	for _, row := range rows() {
		fmt.Fprintf(w, "| %s |", row.label)
		for _, r := range rs {
			fmt.Fprintf(w, " %s |", row.value(r))
		}
		fmt.Fprintln(w)
	}
	for _, r := range rs {
		for _, note := range notes(r) {
			fmt.Fprintf(w, "\n- **%s**: %s", r.Config.Name, note)
		}
	}
	fmt.Fprintln(w)
}

func si(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

func bytesHuman(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d B", b)
}

// series is one latency distribution drawn in a chart.
type htmlRun struct {
	R         *Result
	Hist, CDF template.HTML
	Notes     []string
}

type htmlTable struct {
	Names []string
	Rows  [][]string
}

var page = template.Must(template.New("report").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>liveorders load report</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}section{margin:2em 0;border-top:2px solid #888}
.charts{display:flex;flex-wrap:wrap;gap:1em}.note{color:#a00}
</style></head><body>
<h1>liveorders load report</h1>
<p>Every run drives the server over loopback. Order→socket: from an order's scheduled send time to each socket
receiving a frame with its total. Order→last socket: to the last socket, subscribed when the order was due, to
hold a total at least that order's. Switch: update-category sent → snapshot with its ref received.</p>
<table><tr><th></th>{{range .Table.Names}}<th>{{.}}</th>{{end}}</tr>
{{range .Table.Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</table>
{{range .Runs}}<section><h2>{{.R.Config.Name}}</h2>
<p>{{.R.Sockets.Connected}} sockets ({{.R.Sockets.V1}} v1, {{.R.Sockets.Bare}} bare) over {{.R.Categories}} categories,
{{printf "%.1f" .R.Orders.PerSec}} orders/s for {{printf "%.1f" .R.LoadSeconds}} s; {{.R.CPUs}} CPUs, {{.R.GoVersion}}.</p>
{{range .Notes}}<p class="note">{{.}}</p>{{end}}
<div class="charts"><figure>{{.Hist}}<figcaption>Latency histogram</figcaption></figure>
<figure>{{.CDF}}<figcaption>Latency CDF</figcaption></figure></div></section>{{end}}
</body></html>
`))

func writeHTML(name string, rs []*Result) error {
	var data struct {
		Table htmlTable
		Runs  []htmlRun
	}
	for _, r := range rs {
		data.Table.Names = append(data.Table.Names, r.Config.Name)
	}
	for _, row := range rows() {
		line := []string{row.label}
		for _, r := range rs {
			line = append(line, row.value(r))
		}
		data.Table.Rows = append(data.Table.Rows, line)
	}
	for _, r := range rs {
		ss := []series{
			{"order→socket", "#1f77b4", r.Delivery},
			{"order→last socket", "#d62728", r.LastSocket},
		}
		if r.Switch.Count > 0 {
			ss = append(ss, series{"switch→snapshot", "#2ca02c", r.Switch})
		}
		data.Runs = append(data.Runs, htmlRun{R: r, Hist: histogramSVG(ss), CDF: cdfSVG(ss), Notes: notes(r)})
	}
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := page.Execute(f, data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
