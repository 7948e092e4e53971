package arrow

import (
	"fmt"
	"testing"

	"github.com/flowlog/flowlog/flow"
	"github.com/flowlog/flowlog/internal/flowtest"
	"github.com/flowlog/flowlog/zeeklog"
)

// countWriter counts the bytes written, to report the output size per row.
type countWriter struct{ n int64 }

func (c *countWriter) Write(b []byte) (int, error) {
	c.n += int64(len(b))
	return len(b), nil
}

// BenchmarkWrite measures the cost of one record (one op) for each output,
// zeeklog's TSV and JSON included as the reference: compare the ns/op and
// allocs/op of the sub-benchmarks. Batches (8192 rows), row groups and the
// encoders' work are included, amortized over the rows; Close is not.
func BenchmarkWrite(b *testing.B) {
	conns := testConns(b)
	type writer interface {
		Write(*flow.Conn) error
		Close() error
	}
	cases := []struct {
		name string
		open func(*countWriter) (writer, error)
	}{
		{"zeeklog-tsv", func(w *countWriter) (writer, error) { return zeeklog.NewConnWriter(w, zeeklog.Options{}), nil }},
		{"zeeklog-json", func(w *countWriter) (writer, error) {
			return zeeklog.NewConnWriter(w, zeeklog.Options{Format: zeeklog.JSON}), nil
		}},
		{"arrow-file", func(w *countWriter) (writer, error) { return New(IPCFile, w, Options{}) }},
		{"arrow-stream", func(w *countWriter) (writer, error) { return New(IPCStream, w, Options{}) }},
		{"parquet", func(w *countWriter) (writer, error) { return New(Parquet, w, Options{}) }},
		{"arrow-file+community_id", func(w *countWriter) (writer, error) { return New(IPCFile, w, Options{CommunityID: true}) }},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			var out countWriter
			w, err := bc.open(&out)
			if err != nil {
				b.Fatal(err)
			}
			// Unique uids, times and client ports, as in a real log (a
			// repeated record would flatter Parquet's dictionaries).
			rows := make([]flow.Conn, len(conns))
			for i, c := range conns {
				rows[i] = *c
			}
			uids := uniqueUIDs(b, 1<<14)
			b.ReportAllocs()
			i, n := 0, uint64(0)
			for b.Loop() {
				c := &rows[i]
				n++
				c.CopyUID(uids[n%uint64(len(uids))])
				c.Start += 1000
				c.Last += 1000
				c.OrigP = uint16(n) | 1024
				if err := w.Write(c); err != nil {
					b.Fatal(err)
				}
				if i++; i == len(rows) {
					i = 0
				}
			}
			b.StopTimer()
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(out.n)/float64(b.N), "B/rec")
		})
	}
}

// uniqueUIDs returns n connections with distinct uids, made by a table.
func uniqueUIDs(b *testing.B, n int) []*flow.Conn {
	t := flow.New(flow.Config{Seed: 7})
	out := make([]*flow.Conn, 0, n)
	for i := 0; i < n; i++ {
		t.Packet(flowtest.UDP(1, fmt.Sprintf("10.%d.%d.1:5000", i>>8, i&255), "10.0.0.2:53", "x"))
		for _, e := range t.Events() {
			if e.Kind == flow.EventOpened {
				c := new(flow.Conn)
				e.Conn.CopyTo(c)
				out = append(out, c)
			}
		}
	}
	if len(out) != n {
		b.Fatalf("%d connections, want %d", len(out), n)
	}
	return out
}
