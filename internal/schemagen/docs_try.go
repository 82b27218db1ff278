package main

import "encoding/json"

// tryable reports whether the page has the try panel: the schemas have
// the commands, the messages and the subprotocol it needs.
func (w *docsWriter) tryable() bool {
	sp := w.p.def(w.m, w.p.Subprotocol)
	return w.p.union(w.m, w.p.Commands) != nil && w.p.union(w.m, w.p.Messages) != nil && sp != nil && sp.Kind == KindConst
}

// try writes the panel that opens a socket to the serving server, sends
// commands (any example, or typed in) and shows each frame with its
// validation against the schemas; /docs/try.js runs it.
func (w *docsWriter) try() {
	if !w.tryable() {
		return
	}
	m, p := w.m, w.p
	sp := p.def(m, p.Subprotocol)
	category := ""
	if d := p.def(m, p.ParamDef); d != nil && len(d.Examples) > 0 {
		_ = json.Unmarshal(d.Examples[0], &category)
	}
	w.line(`<section id="try">`)
	w.line(`<h2>Try it</h2>`)
	w.line("<p>Open a socket to this server, send commands, and see every frame each way, checked in this page against the schemas by Ajv's validators compiled from them (<a href=\"/docs/validate.gen.js\"><code>/docs/validate.gen.js</code></a>): a message against the definition of its type, a frame of the seed-compatible mode against %s, a command against the definition of its <code>%s</code>.</p>",
		w.link(p.SeedFrame), esc(p.union(m, p.Commands).Property))
	w.line(`<form id="try-connect">`)
	w.line(`<label>Category <input id="try-category" value="%s" required></label>`, esc(category))
	w.line(`<label>Subprotocol <select id="try-protocol"><option value="%s">%s</option><option value="">none (seed-compatible mode)</option></select></label>`, esc(sp.Const), esc(sp.Const))
	w.line(`<button id="try-open" type="submit">Connect</button> <button id="try-close" type="button" disabled>Disconnect</button>`)
	w.line(`<label><input id="try-pong" type="checkbox" checked> answer ping with pong</label>`)
	w.line(`<output id="try-state">closed</output>`)
	w.line(`</form>`)
	w.line(`<form id="try-send">`)
	w.line(`<label>Example <select id="try-example">`)
	for _, mb := range p.union(m, p.Commands).Members {
		for i, e := range mb.Def.Examples {
			w.line(`<option value="%s">%s %d</option>`, esc(string(e)), esc(mb.Value.String), i+1)
		}
	}
	w.line(`</select></label>`)
	w.line(`<textarea id="try-command" rows="3" aria-label="Command to send"></textarea>`)
	w.line(`<button id="try-submit" type="submit" disabled>Send</button> <output id="try-command-check"></output>`)
	w.line(`</form>`)
	w.line(`<ol id="try-log" aria-live="polite"></ol>`)
	w.line(`</section>`)
}
