package arrow

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowlog/flowlog/capture"
	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
	"github.com/flowlog/flowlog/zeeklog"
)

// corpusDir is the public Zeek parity corpus: one directory per entry with
// a trace.pcap or trace.pcapng and a meta.json.
const corpusDir = "../../../shared/zeek-parity"

// corpusEntry is one corpus entry with a trace, and where its outputs went.
type corpusEntry struct {
	name, trace string
	meta        struct {
		IgnoreChecksums bool `json:"ignore_checksums"`
	}
	dir string // conn.log, conn.arrow, conn.parquet
	tsv tsvLog
	// spans holds each record's Start and Last (ns), in conn.log's order;
	// subMicro is set when a frame's time has a sub-microsecond part.
	spans    [][2]int64
	subMicro bool
}

// tsvLog is a conn.log as zeeklog wrote it: its #fields and its records'
// fields, unset as "-".
type tsvLog struct {
	fields []string
	rows   [][]string
}

// corpusEntries lists the entries that have a trace, skipping the test when
// the corpus is absent.
func corpusEntries(t *testing.T) []*corpusEntry {
	t.Helper()
	metas, _ := filepath.Glob(filepath.Join(corpusDir, "*", "meta.json"))
	var out []*corpusEntry
	for _, m := range metas {
		dir := filepath.Dir(m)
		e := &corpusEntry{name: filepath.Base(dir)}
		for _, n := range []string{"trace.pcap", "trace.pcapng"} {
			if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
				e.trace = filepath.Join(dir, n)
				break
			}
		}
		if e.trace == "" {
			continue
		}
		b, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &e.meta); err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		t.Skipf("SKIPPED: the Zeek parity corpus (%s/<entry>/trace.pcap or trace.pcapng) is not present", corpusDir)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// runPipeline runs the entry's trace through flowlog's pipeline (capture,
// decode, flow table) and writes every removed connection to conn.log
// (zeeklog TSV), conn.arrow (IPC file) and conn.parquet in e.dir. Small
// batches and row groups make the larger traces span several of each.
func runPipeline(t *testing.T, e *corpusEntry, opt Options) {
	t.Helper()
	src, err := capture.Open(e.trace)
	if err != nil {
		t.Fatalf("%s: %v", e.name, err)
	}
	defer src.Close()

	var outs []*os.File
	create := func(name string) *os.File {
		f, err := os.Create(filepath.Join(e.dir, name))
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, f)
		return f
	}
	defer func() {
		for _, f := range outs {
			f.Close()
		}
	}()
	tsv := zeeklog.NewConnWriter(create("conn.log"), zeeklog.Options{})
	var ws []*Writer
	for _, kind := range []Kind{IPCFile, Parquet} {
		w, err := New(kind, create(kind.FileName()), opt)
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
	}

	tbl := flow.New(flow.Config{Seed: 1})
	dec := decode.New(decode.Options{IgnoreChecksums: e.meta.IgnoreChecksums})
	closed := func() {
		for _, ev := range tbl.Events() {
			if ev.Kind != flow.EventClosed {
				continue
			}
			e.spans = append(e.spans, [2]int64{ev.Conn.Start, ev.Conn.Last})
			if err := tsv.Write(ev.Conn); err != nil {
				t.Fatalf("%s: conn.log: %v", e.name, err)
			}
			for _, w := range ws {
				if err := w.Write(ev.Conn); err != nil {
					t.Fatalf("%s: %s: %v", e.name, w.Kind(), err)
				}
			}
		}
	}
	var p decode.Packet
	for {
		f, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var re *capture.ReadError
		if errors.As(err, &re) {
			// The frames before the damage are valid; the source ends here.
			t.Logf("%s: %v (keeping the frames before it)", e.name, err)
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", e.name, err)
		}
		e.subMicro = e.subMicro || f.TS%1000 != 0
		dec.Decode(f.LinkType, f.TS, f.Data, f.WireLen, &p)
		p.Num = f.Num
		tbl.Packet(&p)
		closed()
	}
	tbl.Flush()
	closed()
	if err := tsv.Close(); err != nil {
		t.Fatalf("%s: conn.log: %v", e.name, err)
	}
	for _, w := range ws {
		if err := w.Close(); err != nil {
			t.Fatalf("%s: %s: %v", e.name, w.Kind(), err)
		}
	}
	for _, f := range outs {
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	outs = nil
	e.tsv = readTSV(t, filepath.Join(e.dir, "conn.log"))
	if len(e.tsv.rows) != len(e.spans) {
		t.Fatalf("%s: conn.log has %d rows for %d connections", e.name, len(e.tsv.rows), len(e.spans))
	}
}

// parseMicros parses Zeek's 6-decimal seconds as microseconds.
func parseMicros(s string) (int64, bool) {
	sec, frac, ok := strings.Cut(s, ".")
	if !ok || len(frac) != 6 {
		return 0, false
	}
	n, err := strconv.ParseInt(sec+frac, 10, 64)
	return n, err == nil
}

// roundingOnly reports whether a ts or duration that differs from conn.log
// is the documented difference for captures with nanosecond timestamps:
// the Arrow/Parquet value is the packet times rounded to the microsecond
// (roundMicros of Start, of Last-Start), zeeklog's is the 6-decimal
// rendering of float seconds, and the two are at most 1 µs apart.
func roundingOnly(e *corpusEntry, row int, col, got, tsv string) bool {
	if !e.subMicro {
		return false
	}
	g, ok1 := parseMicros(got)
	w, ok2 := parseMicros(tsv)
	if !ok1 || !ok2 || g-w > 1 || w-g > 1 {
		return false
	}
	sp := e.spans[row]
	switch col {
	case "ts":
		return g == roundMicros(sp[0])
	case "duration":
		return g == roundMicros(sp[1]-sp[0])
	}
	return false
}

// readTSV reads a conn.log written by zeeklog.
func readTSV(t *testing.T, path string) tsvLog {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var l tsvLog
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if rest, ok := strings.CutPrefix(line, "#fields\t"); ok {
			l.fields = strings.Split(rest, "\t")
			continue
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		row := strings.Split(line, "\t")
		if len(row) != len(l.fields) {
			t.Fatalf("%s: %d fields in %q, #fields has %d", path, len(row), line, len(l.fields))
		}
		l.rows = append(l.rows, row)
	}
	if l.fields == nil {
		t.Fatalf("%s: no #fields line", path)
	}
	return l
}

// runNodeFiles runs one of the node scripts over all paths in one process
// and returns its output per file, in order.
func runNodeFiles(t *testing.T, dir, script string, paths []string) []nodeOutput {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{filepath.Join(dir, script)}, paths...)...)
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("node %s: %v", script, err)
	}
	var outs []nodeOutput
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	for sc.Scan() {
		var o nodeOutput
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatalf("node %s: line %d: %v", script, len(outs)+1, err)
		}
		outs = append(outs, o)
	}
	scanErr := sc.Err()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, stderr.String())
	}
	if scanErr != nil {
		t.Fatalf("node %s: %v", script, scanErr)
	}
	if len(outs) != len(paths) {
		t.Fatalf("node %s printed %d results for %d files", script, len(outs), len(paths))
	}
	for i, o := range outs {
		if o.File != paths[i] {
			t.Fatalf("node %s: result %d is for %s, want %s", script, i, o.File, paths[i])
		}
	}
	return outs
}

// TestCorpusIndependentReader runs every trace of the Zeek parity corpus
// through flowlog's pipeline, writing conn.log (zeeklog), conn.arrow and
// conn.parquet side by side, reads the Arrow and Parquet files back with
// JavaScript readers that share no code with arrow's Go module (apache-arrow
// and hyparquet, one node process per format for the whole corpus) and
// checks that they hold the same rows as the TSV, value for value, with the
// documented types.
func TestCorpusIndependentReader(t *testing.T) {
	entries := corpusEntries(t)
	dir := nodeReaders(t)
	start := time.Now()

	opt := Options{BatchRows: 16, RowGroupRows: 64}
	tmp := t.TempDir()
	var arrowPaths, parquetPaths []string
	for i, e := range entries {
		e.dir = filepath.Join(tmp, fmt.Sprintf("%03d", i))
		if err := os.Mkdir(e.dir, 0o755); err != nil {
			t.Fatal(err)
		}
		runPipeline(t, e, opt)
		arrowPaths = append(arrowPaths, filepath.Join(e.dir, IPCFile.FileName()))
		parquetPaths = append(parquetPaths, filepath.Join(e.dir, Parquet.FileName()))
	}
	pipelineTime := time.Since(start)

	sc := Schema(opt)
	zeekFields := entries[0].tsv.fields
	if len(zeekFields) != sc.NumFields() {
		t.Fatalf("conn.log has %d columns, the Arrow schema %d", len(zeekFields), sc.NumFields())
	}
	for i, f := range zeekFields {
		if sc.Field(i).Name != f {
			t.Errorf("column %d: Arrow %q, conn.log %q", i, sc.Field(i).Name, f)
		}
	}

	// The types apache-arrow reports (String(field.type)) and the Parquet
	// physical and logical types hyparquet reports, for every column.
	arrowTypes := map[string]string{
		"ts": "Timestamp<MICROSECOND, UTC>", "uid": "Utf8", "id.orig_h": "Utf8", "id.orig_p": "Uint16",
		"id.resp_h": "Utf8", "id.resp_p": "Uint16", "proto": "Dictionary<Int32, Utf8>", "service": "Utf8",
		"duration": "Duration<MICROSECOND>", "orig_bytes": "Uint64", "resp_bytes": "Uint64",
		"conn_state": "Dictionary<Int32, Utf8>", "local_orig": "Bool", "local_resp": "Bool",
		"missed_bytes": "Uint64", "history": "Utf8", "orig_pkts": "Uint64", "orig_ip_bytes": "Uint64",
		"resp_pkts": "Uint64", "resp_ip_bytes": "Uint64", "tunnel_parents": "List<Utf8>", "ip_proto": "Uint8",
	}
	parquetTypes := map[string]string{
		"ts": "INT64 TIMESTAMP", "id.orig_p": "INT32 INTEGER", "id.resp_p": "INT32 INTEGER",
		"proto": "BYTE_ARRAY STRING", "duration": "INT64 INTEGER", "orig_bytes": "INT64 INTEGER",
		"resp_bytes": "INT64 INTEGER", "conn_state": "BYTE_ARRAY STRING", "local_orig": "BOOLEAN ",
		"local_resp": "BOOLEAN ", "missed_bytes": "INT64 INTEGER", "orig_pkts": "INT64 INTEGER",
		"tunnel_parents": "group LIST", "ip_proto": "INT32 INTEGER",
	}

	nodeStart := time.Now()
	results := map[string][]nodeOutput{
		"read_arrow.mjs":   runNodeFiles(t, dir, "read_arrow.mjs", arrowPaths),
		"read_parquet.mjs": runNodeFiles(t, dir, "read_parquet.mjs", parquetPaths),
	}
	nodeTime := time.Since(nodeStart)

	const maxReported = 30
	var rows, values, mismatches, rounded, batches, rowGroups, withRows int
	mismatch := func(format string, args ...any) {
		mismatches++
		if mismatches <= maxReported {
			t.Errorf(format, args...)
		}
	}
	for _, script := range []string{"read_arrow.mjs", "read_parquet.mjs"} {
		parquet := script == "read_parquet.mjs"
		for i, e := range entries {
			out := results[script][i]
			want := e.tsv
			if !parquet {
				rows += len(want.rows)
				batches += out.Batches
				if len(want.rows) > 0 {
					withRows++
				}
			} else {
				rowGroups += out.RowGroups
				if out.KeyValue["flowlog.duration_unit"] != "us" {
					mismatch("%s: %s: key/value metadata %v, want flowlog.duration_unit=us", e.name, script, out.KeyValue)
				}
			}
			if out.Rows != len(want.rows) {
				mismatch("%s: %s read %d rows, conn.log has %d", e.name, script, out.Rows, len(want.rows))
				continue
			}
			if len(out.Fields) != len(want.fields) {
				mismatch("%s: %s read %d fields, conn.log has %d", e.name, script, len(out.Fields), len(want.fields))
				continue
			}
			for j, f := range out.Fields {
				name := want.fields[j]
				if f.Name != name {
					mismatch("%s: %s: field %d is %q, conn.log has %q", e.name, script, j, f.Name, name)
					continue
				}
				nullable := f.Nullable
				typ, wantTyp := f.Type, arrowTypes[name]
				if parquet {
					nullable = f.Repetition == "OPTIONAL"
					typ, wantTyp = f.Type+" "+f.Logical, parquetTypes[name]
				}
				if nullable != sc.Field(j).Nullable {
					mismatch("%s: %s: %s nullable %v, want %v", e.name, script, name, nullable, sc.Field(j).Nullable)
				}
				if wantTyp != "" && typ != wantTyp {
					mismatch("%s: %s: %s has type %q, want %q", e.name, script, name, typ, wantTyp)
				}
				vals := out.Columns[name]
				if len(vals) != len(want.rows) {
					mismatch("%s: %s: %s has %d values, want %d", e.name, script, name, len(vals), len(want.rows))
					continue
				}
				for r, v := range vals {
					values++
					got := jsText(name, v)
					if got != want.rows[r][j] && roundingOnly(e, r, name, got, want.rows[r][j]) {
						rounded++
						t.Logf("%s: %s: row %d (%s) %s: read %s, conn.log has %s: nanosecond trace, %s rounded to the microsecond (Start %d ns, Last %d ns)",
							e.name, script, r, want.rows[r][1], name, got, want.rows[r][j], name, e.spans[r][0], e.spans[r][1])
					} else if got != want.rows[r][j] {
						mismatch("%s: %s: row %d (%s) %s: read %q, conn.log has %q",
							e.name, script, r, want.rows[r][1], name, got, want.rows[r][j])
					}
				}
			}
		}
	}
	if mismatches > maxReported {
		t.Errorf("... %d mismatches in all (the first %d shown)", mismatches, maxReported)
	}
	t.Logf("corpus: %d entries (%d with connections), %d rows per format in %d Arrow batches and %d Parquet row groups; %d values compared (Arrow + Parquet), %d mismatches, %d documented 1 µs rounding differences (nanosecond traces); pipeline %v, node %v",
		len(entries), withRows, rows, batches, rowGroups, values, mismatches, rounded,
		pipelineTime.Round(time.Millisecond), nodeTime.Round(time.Millisecond))
}
