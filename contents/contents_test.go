package contents

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
)

// run feeds pkts to a new table, extracting every connection it opens with
// x (Dir set to a temporary directory), flushes, and returns the files
// written (base name -> contents).
func run(t *testing.T, x *Extractor, pkts ...*decode.Packet) map[string]string {
	t.Helper()
	if x.Dir == "" {
		x.Dir = t.TempDir()
	}
	tbl := flow.New(flow.Config{Seed: 1})
	for _, p := range pkts {
		tbl.Packet(p)
		if err := x.Events(tbl, tbl.Events()); err != nil {
			t.Fatal(err)
		}
	}
	tbl.Flush()
	if x.Err() != nil {
		t.Fatal(x.Err())
	}
	return files(t, x.Dir)
}

func files(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

func names(m map[string]string) string {
	var ns []string
	for n := range m {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return strings.Join(ns, " ")
}

const (
	cli = "10.0.0.1:40000"
	srv = "10.0.0.2:80"
	fo  = "contents_10.0.0.1:40000-10.0.0.2:80_orig.dat"
	fr  = "contents_10.0.0.1:40000-10.0.0.2:80_resp.dat"
)

// A TCP stream with reordering, a retransmission, an overlap and a hole.
func reordered(isn, risn uint32) []*decode.Packet {
	return []*decode.Packet{
		tcp(1, cli, srv, "S", isn, 0, ""),
		tcp(1.1, srv, cli, "SA", risn, isn+1, ""),
		tcp(1.2, cli, srv, "A", isn+1, risn+1, ""),
		tcp(1.3, cli, srv, "AP", isn+1+6, risn+1, "world\n"), // ahead of "hello "
		tcp(1.4, cli, srv, "AP", isn+1, risn+1, "hello "),
		tcp(1.5, cli, srv, "AP", isn+1, risn+1, "hello wor"), // retransmission, overlap
		tcp(1.6, srv, cli, "AP", risn+1, isn+13, "OK "),
		tcp(1.7, srv, cli, "AP", risn+1+3+4, isn+13, "done"), // 4 bytes never seen
		tcp(1.8, cli, srv, "AF", isn+13, risn+12, ""),
		tcp(1.9, srv, cli, "AF", risn+12, isn+14, ""),
	}
}

func TestTCPStream(t *testing.T) {
	for _, buf := range []int{0, -1, 4, 7} {
		for _, isn := range []uint32{1000, 0xfffffff8} { // second: wraps inside the stream
			got := run(t, &Extractor{Buffer: buf}, reordered(isn, isn^0x5a5a5a5a)...)
			want := map[string]string{fo: "hello world\n", fr: "OK \x00\x00\x00\x00done"}
			if names(got) != names(want) || got[fo] != want[fo] || got[fr] != want[fr] {
				t.Errorf("buffer %d isn %#x: files %q, want %q", buf, isn, got, want)
			}
		}
	}
}

// Without a SYN, the first byte seen is offset 0; data below it is cut.
func TestPartial(t *testing.T) {
	got := run(t, &Extractor{},
		udp(0.5, "10.9.9.9:1", "10.9.9.9:2", ""), // opens another connection first
		tcp(1, cli, srv, "A", 5000, 9000, ""),    // creates it (no payload)
		tcp(1.1, cli, srv, "AP", 5000, 9000, "abc"),
		tcp(1.2, cli, srv, "AP", 4998, 9000, "xyabcd"), // starts 2 bytes before offset 0
	)
	if got[fo] != "abcd" || got[fr] != "" {
		t.Errorf("files %q", got)
	}
}

func TestWhichAndNames(t *testing.T) {
	got := run(t, &Extractor{Which: Orig}, reordered(1, 2)...)
	if names(got) != fo {
		t.Errorf("Which=Orig wrote %s", names(got))
	}
	p := []*decode.Packet{
		tcp(1, "[2001:db8::1]:1234", "[2001:db8::2]:25", "S", 1, 0, ""),
		tcp(1.1, "[2001:db8::2]:25", "[2001:db8::1]:1234", "SA", 7, 2, ""),
		tcp(1.2, "[2001:db8::2]:25", "[2001:db8::1]:1234", "AP", 8, 2, "220 hi\r\n"),
	}
	got = run(t, &Extractor{Which: Resp}, p...)
	if n := "contents_[2001:db8::1]:1234-[2001:db8::2]:25_resp.dat"; names(got) != n || got[n] != "220 hi\r\n" {
		t.Errorf("IPv6 files %q", got)
	}
}

func TestUDP(t *testing.T) {
	got := run(t, &Extractor{Buffer: 3},
		udp(1, cli, "10.0.0.2:53", "first"), // before extraction: not written
		udp(2, cli, "10.0.0.2:53", "one"),
		udp(3, "10.0.0.2:53", cli, "reply"),
		udp(4, cli, "10.0.0.2:53", "two"),
	)
	o, r := "contents_10.0.0.1:40000-10.0.0.2:53_orig.dat", "contents_10.0.0.1:40000-10.0.0.2:53_resp.dat"
	if got[o] != "onetwo" || got[r] != "reply" {
		t.Errorf("files %q", got)
	}
}

// A connection first seen by its SYN-ACK flips on the next packet: the
// files follow the roles conn.log ends with.
func TestFlip(t *testing.T) {
	got := run(t, &Extractor{},
		tcp(1, srv, cli, "SA", 7000, 1001, ""),
		tcp(1.1, cli, srv, "A", 1001, 7001, ""),
		tcp(1.2, cli, srv, "AP", 1001, 7001, "GET /"),
		tcp(1.3, srv, cli, "AP", 7001, 1006, "200"),
	)
	if names(got) != fo+" "+fr || got[fo] != "GET /" || got[fr] != "200" {
		t.Errorf("files %q", got)
	}
}

// Buffered data reaches the files when the connection is removed; a later
// connection on the same 5-tuple truncates them, as in Zeek.
func TestLifecycle(t *testing.T) {
	dir := t.TempDir()
	tbl := flow.New(flow.Config{Seed: 1})
	pk := reordered(100, 200)
	tbl.Packet(pk[0])
	c := tbl.Events()[0].Conn
	if err := Extract(tbl, c, dir, Both); err != nil {
		t.Fatal(err)
	}
	if err := Extract(tbl, c, dir, Both); err != nil { // again: nothing new
		t.Fatal(err)
	}
	for _, p := range pk[1:] {
		tbl.Packet(p)
	}
	if got := files(t, dir); got[fr] != "OK " {
		t.Errorf("before removal (\"done\" still buffered): %q", got)
	}
	tbl.Advance(sec(100))
	if got := files(t, dir); got[fo] != "hello world\n" {
		t.Errorf("after removal: %q", got)
	}
	tbl.Packet(tcp(200, cli, srv, "S", 1, 0, ""))
	if err := Extract(tbl, tbl.Events()[0].Conn, dir, Orig); err != nil {
		t.Fatal(err)
	}
	if got := files(t, dir); got[fo] != "" || got[fr] == "" {
		t.Errorf("a new connection on the 5-tuple: %q", got)
	}
}

func TestRefused(t *testing.T) {
	tbl := flow.New(flow.Config{Seed: 1})
	p := &decode.Packet{TS: 1, N: 1}
	a, _ := endpoint("10.0.0.1:0")
	b, _ := endpoint("10.0.0.2:0")
	p.Layers[0] = decode.Layer{Session: true, IPLen: 28, Key: decode.Key{Src: a, Dst: b, SrcPort: 8, Proto: decode.ProtoICMP}}
	tbl.Packet(p)
	dir := t.TempDir()
	if err := Extract(tbl, tbl.Events()[0].Conn, dir, Both); !errors.Is(err, ErrUnsupported) {
		t.Errorf("ICMP: %v", err)
	}
	x := &Extractor{Dir: dir}
	if err := x.Events(tbl, tbl.Events()); err != nil {
		t.Errorf("Events on ICMP: %v", err)
	}
	// A directory that cannot be made.
	tbl.Packet(udp(2, cli, "10.0.0.2:53", "x"))
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	if err := Extract(tbl, tbl.Events()[0].Conn, filepath.Join(file, "sub"), Both); err == nil {
		t.Error("Extract into a path under a file: no error")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("files left: %d", len(ents))
	}
}

// Selector chooses; connections not chosen get nothing.
func TestSelector(t *testing.T) {
	var seen []string
	x := &Extractor{Select: SelectFunc(func(c *flow.Conn) bool {
		seen = append(seen, c.RespH.String())
		return c.RespP == 80
	})}
	got := run(t, x, append(reordered(5, 6), udp(3, cli, "10.0.0.3:53", "dns"))...)
	if names(got) != fo+" "+fr || len(seen) != 2 {
		t.Errorf("files %s, selector saw %v", names(got), seen)
	}
	if !bytes.Equal([]byte(got[fo]), []byte("hello world\n")) {
		t.Errorf("orig %q", got[fo])
	}
}

// A segment with a sequence number far beyond the stream is dropped rather
// than written 1 GiB into a sparse file.
func TestBogusSeq(t *testing.T) {
	pk := reordered(100, 200)
	pk = append(pk[:4:4], tcp(1.35, cli, srv, "AP", 101+1<<30, 201, "junk"))
	pk = append(pk, reordered(100, 200)[4:]...)
	got := run(t, &Extractor{}, pk...)
	if got[fo] != "hello world\n" {
		t.Errorf("orig %q", got[fo])
	}
}
