package main

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

type series struct {
	name, colour string
	l            Latency
}

// Chart geometry, in SVG user units.
const (
	chartW, chartH = 560.0, 220.0
	padL, padR     = 48.0, 12.0
	padT, padB     = 12.0, 34.0
)

// xRange picks the decades the series span.
func xRange(ss []series) (lo, hi int) {
	lo, hi = histBuckets, 0
	for _, s := range ss {
		for i, c := range s.l.Hist {
			if c > 0 {
				lo, hi = min(lo, i), max(hi, i+1)
			}
		}
	}
	if lo >= hi {
		return 0, histPerDecade
	}
	lo = lo / histPerDecade * histPerDecade
	hi = (hi + histPerDecade - 1) / histPerDecade * histPerDecade
	return lo, hi
}

func axes(b *strings.Builder, lo, hi int, yLabel string) func(i float64) float64 {
	plotW := chartW - padL - padR
	x := func(i float64) float64 { return padL + plotW*(i-float64(lo))/float64(hi-lo) }
	fmt.Fprintf(b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#444"/>`, padL, chartH-padB, chartW-padR, chartH-padB)
	fmt.Fprintf(b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#444"/>`, padL, padT, padL, chartH-padB)
	for i := lo; i <= hi; i += histPerDecade {
		v := histEdge(i)
		label := fmt.Sprintf("%g", v)
		if v >= 1000 {
			label = fmt.Sprintf("%gs", v/1000)
		}
		fmt.Fprintf(b, `<line x1="%.1f" y1="%g" x2="%.1f" y2="%g" stroke="#ddd"/>`, x(float64(i)), padT, x(float64(i)), chartH-padB)
		fmt.Fprintf(b, `<text x="%.1f" y="%g" font-size="11" text-anchor="middle">%s</text>`, x(float64(i)), chartH-padB+14, label)
	}
	fmt.Fprintf(b, `<text x="%g" y="%g" font-size="11" text-anchor="middle">latency, ms (log scale)</text>`, padL+(chartW-padL-padR)/2, chartH-4)
	fmt.Fprintf(b, `<text x="12" y="%g" font-size="11" transform="rotate(-90 12 %g)" text-anchor="middle">%s</text>`, chartH/2, chartH/2, yLabel)
	return x
}

func legend(b *strings.Builder, ss []series) {
	for i, s := range ss {
		y := padT + 14*float64(i) + 4
		fmt.Fprintf(b, `<rect x="%g" y="%g" width="10" height="10" fill="%s"/>`, chartW-padR-190, y, s.colour)
		fmt.Fprintf(b, `<text x="%g" y="%g" font-size="11">%s (n=%d)</text>`, chartW-padR-175, y+9, template.HTMLEscapeString(s.name), s.l.Count)
	}
}

// histogramSVG draws each series' share of samples per bucket.
func histogramSVG(ss []series) template.HTML {
	lo, hi := xRange(ss)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g">`, chartW, chartH, chartW, chartH)
	x := axes(&b, lo, hi, "share of samples")
	plotH := chartH - padT - padB
	peak := 0.0
	for _, s := range ss {
		for _, c := range s.l.Hist {
			if s.l.Count > 0 {
				peak = math.Max(peak, float64(c)/float64(s.l.Count))
			}
		}
	}
	if peak == 0 {
		peak = 1
	}
	fmt.Fprintf(&b, `<text x="%g" y="%g" font-size="10" text-anchor="end">%.0f%%</text>`, padL-4, padT+8, 100*peak)
	for _, s := range ss {
		if s.l.Count == 0 {
			continue
		}
		var pts strings.Builder
		fmt.Fprintf(&pts, "%.1f,%.1f", x(float64(lo)), chartH-padB)
		for i := lo; i < hi; i++ {
			var c uint64
			if i < len(s.l.Hist) {
				c = s.l.Hist[i]
			}
			y := chartH - padB - plotH*float64(c)/float64(s.l.Count)/peak
			fmt.Fprintf(&pts, " %.1f,%.1f %.1f,%.1f", x(float64(i)), y, x(float64(i+1)), y)
		}
		fmt.Fprintf(&pts, " %.1f,%.1f", x(float64(hi)), chartH-padB)
		fmt.Fprintf(&b, `<polygon points="%s" fill="%s" fill-opacity="0.35" stroke="%s"/>`, pts.String(), s.colour, s.colour)
	}
	legend(&b, ss)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// cdfSVG draws the cumulative share of samples at or below each latency.
func cdfSVG(ss []series) template.HTML {
	lo, hi := xRange(ss)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g">`, chartW, chartH, chartW, chartH)
	x := axes(&b, lo, hi, "cumulative share")
	plotH := chartH - padT - padB
	for _, q := range []float64{0.5, 0.9, 0.99, 1} {
		y := chartH - padB - plotH*q
		fmt.Fprintf(&b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#eee"/>`, padL, y, chartW-padR, y)
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" font-size="10" text-anchor="end">%g</text>`, padL-4, y+3, q)
	}
	for _, s := range ss {
		if s.l.Count == 0 {
			continue
		}
		var pts strings.Builder
		var cum uint64
		fmt.Fprintf(&pts, "%.1f,%.1f", x(float64(lo)), chartH-padB)
		for i := lo; i < hi; i++ {
			if i < len(s.l.Hist) {
				cum += s.l.Hist[i]
			}
			fmt.Fprintf(&pts, " %.1f,%.1f", x(float64(i+1)), chartH-padB-plotH*float64(cum)/float64(s.l.Count))
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`, pts.String(), s.colour)
	}
	legend(&b, ss)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
