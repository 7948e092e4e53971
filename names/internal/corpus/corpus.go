// Package corpus runs the shared Zeek parity corpus (../shared/zeek-parity
// beside the repository, see its README.md) through flowlog's real
// pipeline for the names tests: capture.Open, the entry's BPF filter,
// decode.New(...).Decode and flow.Table.Packet, with Zeek's -C and the
// likely_server_ports of a bare-mode (-b) run as scripts/parity does.
package corpus

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/flowlog/flowlog/capture"
	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
)

// Dir returns the corpus directory: $FLOWLOG_ZEEK_CORPUS, or
// shared/zeek-parity beside the module root. ok is false when absent.
func Dir() (string, bool) {
	if d := os.Getenv("FLOWLOG_ZEEK_CORPUS"); d != "" {
		_, err := os.Stat(d)
		return d, err == nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			c := filepath.Join(filepath.Dir(d), "shared", "zeek-parity")
			_, err := os.Stat(c)
			return c, err == nil
		}
		if filepath.Dir(d) == d {
			return "", false
		}
	}
}

// Entry is one corpus entry.
type Entry struct {
	Name string
	Dir  string
	Meta Meta
}

// Meta holds the meta.json fields the tests use.
type Meta struct {
	BareMode        bool           `json:"bare_mode"`
	ScriptsLoaded   []string       `json:"scripts_loaded"`
	IgnoreChecksums bool           `json:"ignore_checksums"`
	BPFFilter       *string        `json:"bpf_filter"`
	EventHandlers   []string       `json:"event_handlers"`
	Redefs          []string       `json:"redefs"`
	UIDRank         map[string]int `json:"uid_creation_rank"`
	Trace           struct {
		File string `json:"file"`
	} `json:"trace"`
}

// Entries lists the corpus entries (sorted by name).
func Entries(dir string) ([]Entry, error) {
	ms, err := filepath.Glob(filepath.Join(dir, "*", "meta.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(ms)
	var out []Entry
	for _, m := range ms {
		b, err := os.ReadFile(m)
		if err != nil {
			return nil, err
		}
		e := Entry{Name: filepath.Base(filepath.Dir(m)), Dir: filepath.Dir(m)}
		if err := json.Unmarshal(b, &e.Meta); err != nil {
			return nil, fmt.Errorf("%s: %v", m, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// Trace returns the entry's capture file.
func (e *Entry) Trace() string {
	if e.Meta.Trace.File != "" {
		return filepath.Join(e.Dir, e.Meta.Trace.File)
	}
	p := filepath.Join(e.Dir, "trace.pcap")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return filepath.Join(e.Dir, "trace.pcapng")
}

// Loaded reports whether the Zeek scripts of protocol dir name (as in
// base/protocols/<name>) were loaded: always in default mode, else when
// scripts_loaded names them (policy scripts of the protocol count too).
func (e *Entry) Loaded(name string) bool {
	if !e.Meta.BareMode {
		return true
	}
	for _, s := range e.Meta.ScriptsLoaded {
		s = strings.TrimSuffix(s, "/")
		if s == "base/protocols/"+name || strings.HasPrefix(s, "base/protocols/"+name+"/") ||
			strings.HasPrefix(s, "policy/protocols/"+name+"/") || strings.HasPrefix(s, "protocols/"+name+"/") {
			return true
		}
	}
	return false
}

// likelyPorts is run-entry.sh's mapping of a bare-mode entry's scripts to
// likely_server_ports.
func (e *Entry) likelyPorts() map[flow.PortProto]bool {
	if !e.Meta.BareMode {
		return nil
	}
	var names []string
	for _, s := range e.Meta.ScriptsLoaded {
		s = strings.TrimSuffix(s, "/")
		if strings.HasPrefix(s, "base/protocols/") {
			names = append(names, strings.Split(s, "/")[2])
		} else if s == "base/frameworks/tunnels" {
			names = append(names, "tunnels")
		}
	}
	var known []string
	for _, n := range names {
		if _, ok := flow.ProtocolPorts()[n]; ok {
			known = append(known, n)
		}
	}
	m, _ := flow.ParsePorts(strings.Join(known, ","))
	return m
}

// Hooks are called by Replay. Opened runs for each new connection (attach
// watchers there) with the packet that created it (nil when the event came
// from Flush); Closed for each removed one, its record final.
type Hooks struct {
	Opened func(t *flow.Table, c *flow.Conn, p *decode.Packet)
	Closed func(c *flow.Conn)
}

// Replay runs the entry's trace through the pipeline.
func (e *Entry) Replay(h Hooks) error {
	src, err := capture.Open(e.Trace())
	if err != nil {
		return err
	}
	defer src.Close()
	var filter *capture.Filter
	if e.Meta.BPFFilter != nil && *e.Meta.BPFFilter != "" {
		if filter, err = capture.NewFilter(*e.Meta.BPFFilter); err != nil {
			return err
		}
	}
	cfg := flow.Defaults()
	cfg.Seed = 1
	cfg.LikelyServerPorts = e.likelyPorts()
	t := flow.New(cfg)
	dec := decode.New(decode.Options{IgnoreChecksums: e.Meta.IgnoreChecksums})
	var p decode.Packet
	events := func(p *decode.Packet) {
		for _, ev := range t.Events() {
			switch ev.Kind {
			case flow.EventOpened:
				if h.Opened != nil {
					h.Opened(t, ev.Conn, p)
				}
			case flow.EventClosed:
				if h.Closed != nil {
					h.Closed(ev.Conn)
				}
			}
		}
	}
	var readErr error
	for {
		f, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var re *capture.ReadError
		if errors.As(err, &re) {
			readErr = err
			continue
		}
		if err != nil {
			return err
		}
		if filter != nil && !filter.Match(f.LinkType, f.Data, f.WireLen) {
			continue
		}
		dec.Decode(f.LinkType, f.TS, f.Data, f.WireLen, &p)
		p.Num = f.Num
		t.Packet(&p)
		events(&p)
	}
	t.Flush()
	events(nil)
	return readErr
}

// Log is a Zeek log as stored in the corpus: a full TSV header (#fields)
// or a zeek-cut -m header (one line of column names).
type Log struct {
	Fields []string
	Rows   []map[string]string
}

// Has reports whether the log has column c.
func (l *Log) Has(c string) bool {
	for _, f := range l.Fields {
		if f == c {
			return true
		}
	}
	return false
}

// ReadLog reads a baseline log. Values are kept as written ("-" unset,
// "(empty)" empty).
func ReadLog(path string) (*Log, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	l := &Log{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "" || strings.HasPrefix(line, "###"):
			continue
		case strings.HasPrefix(line, "#fields\t"):
			l.Fields = strings.Split(line, "\t")[1:]
			continue
		case strings.HasPrefix(line, "#"):
			continue
		case l.Fields == nil:
			l.Fields = strings.Split(line, "\t")
			continue
		}
		vals := strings.Split(line, "\t")
		row := make(map[string]string, len(l.Fields))
		for i, c := range l.Fields {
			if i < len(vals) {
				row[c] = vals[i]
			}
		}
		l.Rows = append(l.Rows, row)
	}
	return l, sc.Err()
}

// Match pairs baseline rows with actual records, as the corpus's
// compare.py does: by the 5-tuple columns the baseline has (proto,
// id.orig_h, id.orig_p, id.resp_h, id.resp_p), then by the reversed
// 4-tuple; rows without key columns are paired in creation order (baseline
// rows by uid rank). key returns an actual record's value of a column;
// actual records must be given in creation order. It returns, per baseline
// row, the index of its actual record or -1.
func Match(base *Log, ranks map[string]int, n int, key func(i int, col string) string) []int {
	cols := []string{}
	for _, c := range []string{"proto", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p"} {
		if base.Has(c) {
			cols = append(cols, c)
		}
	}
	out := make([]int, len(base.Rows))
	for i := range out {
		out[i] = -1
	}
	used := make([]bool, n)
	order := make([]int, len(base.Rows))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		ra, oka := ranks[base.Rows[order[a]]["uid"]]
		rb, okb := ranks[base.Rows[order[b]]["uid"]]
		if !oka {
			ra = 1 << 30
		}
		if !okb {
			rb = 1 << 30
		}
		return ra < rb
	})
	for _, reverse := range []bool{false, true} {
		if reverse && len(cols) < 4 {
			break
		}
		for _, i := range order {
			if out[i] >= 0 {
				continue
			}
			r := base.Rows[i]
			for j := 0; j < n; j++ {
				if used[j] {
					continue
				}
				ok := true
				for _, c := range cols {
					kc := c
					if reverse {
						kc = swap(c)
					}
					if r[c] != key(j, kc) {
						ok = false
						break
					}
				}
				if ok {
					out[i], used[j] = j, true
					break
				}
			}
		}
	}
	return out
}

func swap(c string) string {
	switch c {
	case "id.orig_h":
		return "id.resp_h"
	case "id.resp_h":
		return "id.orig_h"
	case "id.orig_p":
		return "id.resp_p"
	case "id.resp_p":
		return "id.orig_p"
	}
	return c
}
