package arrow

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/file"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"

	"github.com/flowlog/flowlog/flow"
	"github.com/flowlog/flowlog/writers/communityid"
)

var kinds = []Kind{IPCFile, IPCStream, Parquet}

// write writes conns with a new Writer and returns the output.
func write(t *testing.T, kind Kind, opt Options, conns []*flow.Conn) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := New(kind, &buf, opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range conns {
		if err := w.Write(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readBack reads the output with arrow's own readers: the IPC file and
// stream readers, or pqarrow for Parquet. It returns the schema and the
// record batches (row groups for Parquet), which the caller releases.
//
// The readers get an allocator of their own: arrow v15's ipc.FileReader
// never releases the dictionaries it read (Close leaves its memo), which
// would fail the writers' checked allocators.
func readBack(t *testing.T, kind Kind, data []byte) (*arrow.Schema, []arrow.Record) {
	t.Helper()
	mem := memory.NewGoAllocator()
	var recs []arrow.Record
	switch kind {
	case IPCFile:
		r, err := ipc.NewFileReader(bytes.NewReader(data), ipc.WithAllocator(mem))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		for i := 0; i < r.NumRecords(); i++ {
			rec, err := r.Record(i)
			if err != nil {
				t.Fatal(err)
			}
			rec.Retain()
			recs = append(recs, rec)
		}
		return r.Schema(), recs
	case IPCStream:
		r, err := ipc.NewReader(bytes.NewReader(data), ipc.WithAllocator(mem))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Release()
		for r.Next() {
			rec := r.Record()
			rec.Retain()
			recs = append(recs, rec)
		}
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
		return r.Schema(), recs
	}
	pf, err := file.NewParquetReader(bytes.NewReader(data), file.WithReadProps(parquet.NewReaderProperties(mem)))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 1 << 20}, mem)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := fr.Schema()
	if err != nil {
		t.Fatal(err)
	}
	for g := 0; g < pf.NumRowGroups(); g++ {
		rr, err := fr.GetRecordReader(context.Background(), nil, []int{g})
		if err != nil {
			t.Fatal(err)
		}
		for rr.Next() {
			rec := rr.Record()
			rec.Retain()
			recs = append(recs, rec)
		}
		if err := rr.Err(); err != nil && err != io.EOF {
			t.Fatal(err)
		}
		rr.Release()
	}
	return sc, recs
}

func release(recs []arrow.Record) {
	for _, r := range recs {
		r.Release()
	}
}

// micros formats microseconds as Zeek's 6-decimal seconds.
func micros(us int64) string { return fmt.Sprintf("%d.%06d", us/1e6, us%1e6) }

// zeekText renders row i of a column as Zeek's ASCII writer would print it.
func zeekText(t *testing.T, a arrow.Array, i int) string {
	if a.IsNull(i) {
		return "-"
	}
	switch a := a.(type) {
	case *array.Timestamp:
		return micros(int64(a.Value(i)))
	case *array.Duration:
		return micros(int64(a.Value(i)))
	case *array.Int64: // Parquet's duration
		return micros(a.Value(i))
	case *array.String:
		return a.Value(i)
	case *array.Uint8:
		return strconv.FormatUint(uint64(a.Value(i)), 10)
	case *array.Uint16:
		return strconv.FormatUint(uint64(a.Value(i)), 10)
	case *array.Uint64:
		return strconv.FormatUint(a.Value(i), 10)
	case *array.Boolean:
		if a.Value(i) {
			return "T"
		}
		return "F"
	case *array.Dictionary:
		return a.Dictionary().(*array.String).Value(a.GetValueIndex(i))
	case *array.List:
		from, to := a.ValueOffsets(i)
		vals := a.ListValues().(*array.String)
		var s []string
		for j := from; j < to; j++ {
			s = append(s, vals.Value(int(j)))
		}
		return strings.Join(s, ",")
	}
	t.Fatalf("unexpected array type %s", a.DataType())
	return ""
}

// checkRows compares every value of the records with zeeklog's TSV for the
// same connections (and community_id with the communityid package).
func checkRows(t *testing.T, recs []arrow.Record, conns []*flow.Conn, opt Options) {
	t.Helper()
	want := zeekRows(t, conns)
	row := 0
	for _, rec := range recs {
		for i := 0; i < int(rec.NumRows()); i++ {
			if row >= len(want) {
				t.Fatalf("more rows than connections")
			}
			for j := 0; j < len(want[row]); j++ {
				if got := zeekText(t, rec.Column(j), i); got != want[row][j] {
					t.Errorf("row %d %s: got %q, zeeklog has %q", row, rec.ColumnName(j), got, want[row][j])
				}
			}
			if opt.CommunityID {
				got := zeekText(t, rec.Column(colCommunityID), i)
				if w := communityid.CommunityID(opt.CommunityIDSeed, conns[row]); got != w {
					t.Errorf("row %d community_id: got %q, want %q", row, got, w)
				}
			}
			row++
		}
	}
	if row != len(conns) {
		t.Errorf("read %d rows, wrote %d", row, len(conns))
	}
}

func TestSchema(t *testing.T) {
	names := func(s *arrow.Schema) string {
		var n []string
		for _, f := range s.Fields() {
			n = append(n, f.Name)
		}
		return strings.Join(n, " ")
	}
	zeek := "ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto service duration orig_bytes resp_bytes conn_state " +
		"local_orig local_resp missed_bytes history orig_pkts orig_ip_bytes resp_pkts resp_ip_bytes tunnel_parents ip_proto"
	if got := names(Schema(Options{})); got != zeek {
		t.Errorf("columns:\n%s\nwant\n%s", got, zeek)
	}
	if got := names(ParquetSchema(Options{CommunityID: true})); got != zeek+" community_id" {
		t.Errorf("columns with community_id: %s", got)
	}
	want := map[string]string{
		"ts": "timestamp[us, tz=UTC]", "uid": "utf8", "id.orig_p": "uint16", "proto": "dictionary<values=utf8, indices=int32, ordered=false>",
		"duration": "duration[us]", "orig_bytes": "uint64", "local_orig": "bool", "tunnel_parents": "list<item: utf8, nullable>", "ip_proto": "uint8",
	}
	sc := Schema(Options{})
	for name, typ := range want {
		f, _ := sc.FieldsByName(name)
		if len(f) != 1 || f[0].Type.String() != typ {
			t.Errorf("%s: got %v, want %s", name, f, typ)
		}
	}
	for _, name := range []string{"service", "duration", "orig_bytes", "resp_bytes", "history", "tunnel_parents"} {
		if f, _ := sc.FieldsByName(name); !f[0].Nullable {
			t.Errorf("%s should be nullable", name)
		}
	}
	for _, name := range []string{"ts", "uid", "conn_state", "missed_bytes", "ip_proto"} {
		if f, _ := sc.FieldsByName(name); f[0].Nullable {
			t.Errorf("%s should not be nullable", name)
		}
	}
}

// sameSchema compares field names, types and nullability (pqarrow adds
// PARQUET:field_id metadata and names a list's element "list", not "item").
func sameSchema(t *testing.T, got, want *arrow.Schema) {
	t.Helper()
	if got.NumFields() != want.NumFields() {
		t.Fatalf("schema read back:\n%s\nwant:\n%s", got, want)
	}
	for i, f := range got.Fields() {
		w := want.Field(i)
		if f.Name != w.Name || f.Nullable != w.Nullable || !arrow.TypeEqual(f.Type, w.Type) {
			t.Errorf("field %d: read back %s, want %s", i, f, w)
		}
	}
}

// TestRoundTrip writes the test connections with each kind, in batches of
// 4 (so 4 + 2 rows), reads them back with arrow's own readers and compares
// every value with zeeklog's TSV.
func TestRoundTrip(t *testing.T) {
	conns := testConns(t)
	for _, kind := range kinds {
		for _, cid := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/community_id=%v", kind, cid), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				opt := Options{Allocator: mem, BatchRows: 4, RowGroupRows: 4, CommunityID: cid, CommunityIDSeed: 3}
				data := write(t, kind, opt, conns)
				sc, recs := readBack(t, kind, data)
				defer release(recs)
				if len(recs) != 2 || recs[0].NumRows() != 4 || recs[1].NumRows() != 2 {
					t.Errorf("want batches of 4 and 2 rows, got %d batches", len(recs))
				}
				ws := Schema(opt)
				if kind == Parquet {
					ws = ParquetSchema(opt)
				}
				sameSchema(t, sc, ws)
				checkRows(t, recs, conns, opt)
			})
		}
	}
}

// TestNulls checks the unset rules on the one-packet UDP flow and the
// unknown-protocol flow directly.
func TestNulls(t *testing.T) {
	conns := testConns(t)
	for _, kind := range kinds {
		t.Run(kind.String(), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			data := write(t, kind, Options{Allocator: mem}, conns)
			_, recs := readBack(t, kind, data)
			defer release(recs)
			rec := recs[0]
			for i, c := range conns {
				dur := rec.Column(colDuration)
				if got, want := dur.IsNull(i), c.Duration() <= 0; got != want {
					t.Errorf("row %d: duration null %v, want %v", i, got, want)
				}
				for _, col := range []int{colOrigBytes, colRespBytes} {
					if rec.Column(col).IsNull(i) != dur.IsNull(i) {
						t.Errorf("row %d: %s null differs from duration", i, rec.ColumnName(col))
					}
				}
				if svc := c.Service(); rec.Column(colService).IsNull(i) != (svc == "") {
					t.Errorf("row %d: service null %v, detected %q", i, rec.Column(colService).IsNull(i), svc)
				}
				if got, want := rec.Column(colHistory).IsNull(i), c.History() == ""; got != want {
					t.Errorf("row %d: history null %v, want %v", i, got, want)
				}
				if got, want := rec.Column(colTunnelParents).IsNull(i), len(c.TunnelParents()) == 0; got != want {
					t.Errorf("row %d: tunnel_parents null %v, want %v", i, got, want)
				}
				if got := rec.Column(colConnState).(*array.Dictionary); got.Dictionary().(*array.String).Value(got.GetValueIndex(i)) != c.State() {
					t.Errorf("row %d: conn_state differs from Conn.State", i)
				}
			}
			var nullDur, nullHist bool
			for i := range conns {
				nullDur = nullDur || rec.Column(colDuration).IsNull(i)
				nullHist = nullHist || rec.Column(colHistory).IsNull(i)
			}
			if !nullDur || !nullHist {
				t.Errorf("test data should have a null duration (%v) and a null history (%v)", nullDur, nullHist)
			}
		})
	}
}

// TestBatchRows covers the batch size edge cases documented on
// Options.BatchRows.
func TestBatchRows(t *testing.T) {
	conns := testConns(t) // 6 rows
	for _, kind := range kinds {
		for _, tc := range []struct {
			batch   int
			flushAt []int // Flush after writing this many rows
			want    []int64
		}{
			{0, nil, []int64{6}},
			{1, nil, []int64{1, 1, 1, 1, 1, 1}},
			{3, nil, []int64{3, 3}},
			{3, []int{3, 3}, []int64{3, 3}}, // Flush with nothing pending writes no batch
			{4, []int{1}, []int64{1, 4, 1}},
			{6, nil, []int64{6}},
			{-1, nil, []int64{6}},
			{-1, []int{2, 5}, []int64{2, 3, 1}},
		} {
			t.Run(fmt.Sprintf("%s/batch=%d/flush=%v", kind, tc.batch, tc.flushAt), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				var buf bytes.Buffer
				// One row group per batch, so that Parquet shows the batches.
				w, err := New(kind, &buf, Options{Allocator: mem, BatchRows: tc.batch, RowGroupRows: 1})
				if err != nil {
					t.Fatal(err)
				}
				for i, c := range conns {
					if err := w.Write(c); err != nil {
						t.Fatal(err)
					}
					for _, n := range tc.flushAt {
						if n == i+1 {
							if err := w.Flush(); err != nil {
								t.Fatal(err)
							}
						}
					}
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				if kind == Parquet {
					// Row groups are of RowGroupRows = 1 whatever the batches.
					tc.want = []int64{1, 1, 1, 1, 1, 1}
				}
				_, recs := readBack(t, kind, buf.Bytes())
				defer release(recs)
				var got []int64
				for _, r := range recs {
					got = append(got, r.NumRows())
				}
				if fmt.Sprint(got) != fmt.Sprint(tc.want) {
					t.Errorf("batches %v, want %v", got, tc.want)
				}
			})
		}
	}
}

// TestParquetRowGroups: batches wait until RowGroupRows rows can be
// written; Close writes the rest.
func TestParquetRowGroups(t *testing.T) {
	conns := testConns(t) // 6 rows
	for _, tc := range []struct {
		batch int
		rg    int64
		want  string
	}{
		{2, 4, "[4 2]"},
		{3, 4, "[4 2]"},
		{1, 2, "[2 2 2]"},
		{0, 0, "[6]"},
		{-1, 4, "[4 2]"},
		{4, 10, "[6]"},
	} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		data := write(t, Parquet, Options{Allocator: mem, BatchRows: tc.batch, RowGroupRows: tc.rg}, conns)
		pf, err := file.NewParquetReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for g := 0; g < pf.NumRowGroups(); g++ {
			got = append(got, pf.MetaData().RowGroup(g).NumRows())
		}
		if fmt.Sprint(got) != tc.want {
			t.Errorf("batch %d, row groups of %d: got %v, want %s", tc.batch, tc.rg, got, tc.want)
		}
		if kv := pf.MetaData().KeyValueMetadata().FindValue("flowlog.duration_unit"); kv == nil || *kv != "us" {
			t.Errorf("flowlog.duration_unit: %v", kv)
		}
		pf.Close()
		mem.AssertSize(t, 0)
	}
}

// TestEmpty: a writer closed without rows leaves a valid, empty output.
func TestEmpty(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind.String(), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			data := write(t, kind, Options{Allocator: mem}, nil)
			sc, recs := readBack(t, kind, data)
			defer release(recs)
			if len(recs) != 0 {
				t.Errorf("%d batches", len(recs))
			}
			if sc.NumFields() != 22 {
				t.Errorf("schema has %d fields", sc.NumFields())
			}
		})
	}
}

func TestClosed(t *testing.T) {
	conns := testConns(t)
	for _, kind := range kinds {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		w, err := New(kind, &bytes.Buffer{}, Options{Allocator: mem})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(conns[0]); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Errorf("%s: second Close: %v", kind, err)
		}
		if err := w.Write(conns[0]); !errors.Is(err, ErrClosed) {
			t.Errorf("%s: Write after Close: %v", kind, err)
		}
		if err := w.Flush(); !errors.Is(err, ErrClosed) {
			t.Errorf("%s: Flush after Close: %v", kind, err)
		}
		mem.AssertSize(t, 0)
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(b []byte) (int, error) {
	if f.n -= len(b); f.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(b), nil
}

// TestWriteError: an error from the io.Writer is returned and sticks.
func TestWriteError(t *testing.T) {
	conns := testConns(t)
	for _, kind := range kinds {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		w, err := New(kind, &failWriter{n: 100}, Options{Allocator: mem, BatchRows: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range conns {
			w.Write(c)
		}
		if err := w.Close(); err == nil {
			t.Errorf("%s: no error from a failing writer", kind)
		}
		mem.AssertSize(t, 0)
	}
}

// TestFiles writes conn.arrow and conn.parquet as files (the IPC file
// writer then starts at the *os.File's position) and reads them back.
func TestFiles(t *testing.T) {
	conns := testConns(t)
	dir := t.TempDir()
	for _, kind := range []Kind{IPCFile, Parquet} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		path := filepath.Join(dir, kind.FileName())
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		w, err := New(kind, f, Options{Allocator: mem})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range conns {
			if err := w.Write(c); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		_, recs := readBack(t, kind, data)
		checkRows(t, recs, conns, Options{})
		release(recs)
		mem.AssertSize(t, 0)
	}
}

// TestWriteAllocs: Write allocates nothing per row once the batch's
// buffers are reserved.
func TestWriteAllocs(t *testing.T) {
	conns := testConns(t)
	for _, kind := range kinds {
		w, err := New(kind, &bytes.Buffer{}, Options{BatchRows: 100000, CommunityID: true})
		if err != nil {
			t.Fatal(err)
		}
		i := 0
		n := testing.AllocsPerRun(500, func() {
			w.Write(conns[i%len(conns)])
			i++
		})
		if n != 0 {
			t.Errorf("%s: %v allocations per Write", kind, n)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
