package natsbus

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liveorders/liveorders/internal/orders"
	"github.com/nats-io/nats.go/jetstream"
)

// Snapshots of the folded state: a Store starts from the newest one and
// replays only the events after it, so that its start does not grow with
// the log. The newest is the value of the stream's key in the snapshot
// key-value bucket, read in one round trip: a header line, then the
// snapshot itself, or, past inlineMax, the name of the object of the
// snapshot object store (same bucket name) that holds it, named
// "<stream>/<stream created, ns>/<seq, 20 digits>".
const (
	snapshotVersion = 1
	// inlineMax is the largest snapshot held in the key-value bucket
	// itself: well under the 1 MiB message a NATS server takes by default.
	inlineMax = 512 << 10
	// snapshotsKept is how many snapshot objects of the stream the writer
	// keeps: the newest, and the one before for a Store reading it now.
	snapshotsKept = 2
	// casTries bounds the writer's compare-and-set of the key.
	casTries = 5
)

// snapMagic starts every snapshot value.
const snapMagic = "liveorders-snapshot"

// snapRef is the header of a snapshot value: which snapshot it is, and
// where its body is (object: the object's name; empty: after the header).
type snapRef struct {
	seq    uint64
	log    string
	object string
}

func (r snapRef) header() []byte {
	where := "inline"
	if r.object != "" {
		where = "object " + r.object
	}
	return fmt.Appendf(nil, "%s %d %d %s %s\n", snapMagic, snapshotVersion, r.seq, r.log, where)
}

// parseSnap splits a snapshot value into its header and its inline body.
func parseSnap(v []byte) (snapRef, []byte, error) {
	line, body, ok := bytes.Cut(v, []byte("\n"))
	f := strings.Fields(string(line))
	if !ok || len(f) < 5 || f[0] != snapMagic {
		return snapRef{}, nil, errors.New("not a snapshot")
	}
	if f[1] != strconv.Itoa(snapshotVersion) {
		return snapRef{}, nil, fmt.Errorf("snapshot version %s, not %d", f[1], snapshotVersion)
	}
	seq, err := strconv.ParseUint(f[2], 10, 64)
	if err != nil {
		return snapRef{}, nil, fmt.Errorf("snapshot seq %q", f[2])
	}
	r := snapRef{seq: seq, log: f[3]}
	switch {
	case f[4] == "inline" && len(f) == 5:
	case f[4] == "object" && len(f) == 6:
		r.object, body = f[5], nil
	default:
		return snapRef{}, nil, fmt.Errorf("snapshot body %q", strings.Join(f[4:], " "))
	}
	return r, body, nil
}

// snapshot is the folded state as of the event at Seq, stored at Time.
type snapshot struct {
	Version    int               `json:"version"`
	Stream     string            `json:"stream"`
	Log        string            `json:"log"`  // logID of the stream
	Base       string            `json:"base"` // fingerprint of the starting catalogue
	Seq        uint64            `json:"seq"`
	Time       time.Time         `json:"time"`
	Categories []snapCategory    `json:"categories"`
	AddSeq     map[string]uint64 `json:"addSeq,omitempty"`
	Keys       []snapKey         `json:"keys,omitempty"`
}

type snapCategory struct {
	Name     string        `json:"name"`
	Prefix   string        `json:"prefix"`
	Products []snapProduct `json:"products"`
}

type snapProduct struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	RRP   string `json:"rrp"`
	Info  string `json:"info,omitempty"`
	Total int64  `json:"total"`
	Seq   uint64 `json:"seq,omitempty"`
}

// snapKey is a keyed order of the duplicate window and its answer.
type snapKey struct {
	Key      string    `json:"key"`
	ID       string    `json:"id"`
	Amount   int64     `json:"amount"`
	Seq      uint64    `json:"seq"`
	Category string    `json:"category"`
	Total    int64     `json:"total"`
	At       time.Time `json:"at"`
}

func categoriesOf(st orders.State) []snapCategory {
	out := make([]snapCategory, len(st.Categories))
	for i, c := range st.Categories {
		sc := snapCategory{Name: c.Name, Prefix: c.Prefix, Products: make([]snapProduct, len(c.Products))}
		for j, p := range c.Products {
			sc.Products[j] = snapProduct{ID: p.ID, Name: p.Name, RRP: p.RRP, Info: p.Info, Total: p.Total, Seq: p.Seq}
		}
		out[i] = sc
	}
	return out
}

// fingerprint identifies a starting catalogue: a snapshot folded onto
// another one is not used.
func fingerprint(st orders.State) string {
	b, err := json.Marshal(categoriesOf(st))
	if err != nil {
		panic(err) // strings and numbers only
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}

// snapSeqs returns the seqs of the snapshot objects named with prefix
// among infos, newest first.
func snapSeqs(infos []*jetstream.ObjectInfo, prefix string) []uint64 {
	var seqs []uint64
	for _, oi := range infos {
		if rest, ok := strings.CutPrefix(oi.Name, prefix); ok {
			if seq, err := strconv.ParseUint(rest, 10, 64); err == nil {
				seqs = append(seqs, seq)
			}
		}
	}
	slices.Sort(seqs)
	slices.Reverse(seqs)
	return seqs
}

// restore makes snap the state; l is not yet shared.
func (l *ledger) restore(snap *snapshot) {
	st := orders.State{Seq: snap.Seq, Categories: make([]orders.CategoryState, len(snap.Categories))}
	for i, c := range snap.Categories {
		cs := orders.CategoryState{Name: c.Name, Prefix: c.Prefix, Products: make([]orders.ProductState, len(c.Products))}
		for j, p := range c.Products {
			cs.Products[j] = orders.ProductState{
				Product: orders.Product{ID: p.ID, Name: p.Name, RRP: p.RRP, Info: p.Info}, Total: p.Total, Seq: p.Seq}
		}
		st.Categories[i] = cs
	}
	l.state, l.logTime, l.snapSeq = st, snap.Time, snap.Seq
	for name, seq := range snap.AddSeq {
		l.addSeq[name] = seq
	}
	for _, k := range snap.Keys {
		l.keys.Add(orders.Keyed{
			Order:  orders.Order{ID: k.ID, Amount: k.Amount, Key: k.Key},
			Update: orders.Update{Seq: k.Seq, Category: k.Category, ID: k.ID, Total: k.Total},
			At:     k.At,
		})
	}
	l.keys.Forget(snap.Time)
	l.index()
}

// snapshot returns the state as a snapshot of the stream ls, folded onto
// the catalogue of fingerprint base; it fails once the log cannot be
// followed.
func (l *ledger) snapshot(ls *logStream, base string) (*snapshot, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.broken != nil {
		return nil, l.broken
	}
	snap := &snapshot{
		Version: snapshotVersion, Stream: ls.name, Log: ls.id, Base: base,
		Seq: l.state.Seq, Time: l.logTime, Categories: categoriesOf(l.state),
		AddSeq: make(map[string]uint64, len(l.addSeq)),
	}
	for name, seq := range l.addSeq {
		snap.AddSeq[name] = seq
	}
	for _, k := range l.keys.All() {
		snap.Keys = append(snap.Keys, snapKey{Key: k.Order.Key, ID: k.Order.ID, Amount: k.Order.Amount,
			Seq: k.Update.Seq, Category: k.Update.Category, Total: k.Update.Total, At: k.At})
	}
	return snap, nil
}

// written records that a snapshot covers the events up to seq.
func (l *ledger) written(seq uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.snapSeq = max(l.snapSeq, seq)
}

// progress returns the seq applied and the one the newest snapshot known
// covers.
func (l *ledger) progress() (applied, covered uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state.Seq, l.snapSeq
}
