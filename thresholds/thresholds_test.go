package thresholds

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
)

const cli, srv = "10.0.0.1:40000", "10.0.0.2:80"

// log collects threshold crossings as text.
type log struct{ lines []string }

func (l *log) cb(c *flow.Conn, th Threshold) {
	l.lines = append(l.lines, fmt.Sprintf("%s/%s/%d at pkts=%d/%d bytes=%d/%d",
		th.Kind, th.Dir, th.Value, c.OrigPkts(), c.RespPkts(), c.OrigIPBytes(), c.RespIPBytes()))
}

func (l *log) take() string {
	s := strings.Join(l.lines, "; ")
	l.lines = nil
	return s
}

// open starts a table with one TCP connection (its SYN) and returns both.
func open(t *testing.T) (*flow.Table, *flow.Conn) {
	tbl := flow.New(flow.Config{Seed: 1})
	tbl.Packet(tcp(10, cli, srv, "S", 1000, 0, ""))
	evs := tbl.Events()
	if len(evs) != 1 || evs[0].Kind != flow.EventOpened {
		t.Fatalf("events %v", evs)
	}
	return tbl, evs[0].Conn
}

func TestBytesAndPackets(t *testing.T) {
	tbl, c := open(t)
	var l log
	// orig IP bytes so far: 40 (the SYN).
	Set(tbl, c, Bytes, Orig, 100, l.cb)
	Set(tbl, c, Bytes, Orig, 90, l.cb)
	Set(tbl, c, Bytes, Orig, 200, l.cb)
	Set(tbl, c, Packets, Resp, 2, l.cb)
	Set(tbl, c, Packets, Both, 3, l.cb)
	Set(tbl, c, Bytes, Both, 1000, l.cb)
	if got := l.take(); got != "" {
		t.Fatalf("fired early: %s", got)
	}
	steps := []struct {
		p    *decode.Packet
		want string
	}{
		{tcp(10.1, srv, cli, "SA", 5000, 1001, ""), ""},
		{tcp(10.2, cli, srv, "A", 1001, 5001, ""), "packets/both/3 at pkts=2/1 bytes=80/40"},
		// 40+50 = 130 orig bytes: 90 and 100 at once, in ascending order.
		{tcp(10.3, cli, srv, "AP", 1001, 5001, strings.Repeat("a", 50)), "bytes/orig/90 at pkts=3/1 bytes=170/40; bytes/orig/100 at pkts=3/1 bytes=170/40"},
		{tcp(10.4, srv, cli, "AP", 5001, 1051, strings.Repeat("b", 10)), "packets/resp/2 at pkts=3/2 bytes=170/90"},
		{tcp(10.5, cli, srv, "A", 1051, 5011, ""), "bytes/orig/200 at pkts=4/2 bytes=210/90"},
		{tcp(10.6, srv, cli, "AP", 5011, 1051, strings.Repeat("c", 800)), "bytes/both/1000 at pkts=4/3 bytes=210/930"},
		{tcp(10.7, srv, cli, "AP", 5811, 1051, strings.Repeat("c", 800)), ""},
	}
	for i, st := range steps {
		tbl.Packet(st.p)
		if got := l.take(); got != st.want {
			t.Errorf("packet %d: fired %q, want %q", i+2, got, st.want)
		}
	}
	if p := Pending(c); len(p) != 0 {
		t.Errorf("pending after all fired: %v", p)
	}
}

func TestAlreadyPassedFiresInSet(t *testing.T) {
	tbl, c := open(t)
	var l log
	if !Set(tbl, c, Packets, Orig, 1, l.cb) {
		t.Fatal("Set = false")
	}
	if got := l.take(); got != "packets/orig/1 at pkts=1/0 bytes=40/0" {
		t.Errorf("Set of a passed threshold fired %q", got)
	}
	// Set again after firing: fires again (it is a new threshold).
	Set(tbl, c, Packets, Orig, 1, l.cb)
	if got := l.take(); got == "" {
		t.Error("re-set passed threshold did not fire")
	}
}

func TestDelete(t *testing.T) {
	tbl, c := open(t)
	var l log
	Set(tbl, c, Bytes, Resp, 10, l.cb)
	Set(tbl, c, Bytes, Resp, 20, l.cb)
	if Delete(tbl, c, Bytes, Orig, 10) {
		t.Error("Delete of the other direction = true")
	}
	if !Delete(tbl, c, Bytes, Resp, 10) {
		t.Error("Delete = false")
	}
	if Delete(tbl, c, Bytes, Resp, 10) {
		t.Error("second Delete = true")
	}
	tbl.Packet(tcp(10.1, srv, cli, "SA", 5000, 1001, ""))
	if got := l.take(); got != "bytes/resp/20 at pkts=1/1 bytes=40/40" {
		t.Errorf("fired %q", got)
	}
}

func TestReplaceCallback(t *testing.T) {
	tbl, c := open(t)
	var a, b log
	Set(tbl, c, Packets, Orig, 2, a.cb)
	Set(tbl, c, Packets, Orig, 2, b.cb)
	if n := len(Pending(c)); n != 1 {
		t.Errorf("%d pending, want 1", n)
	}
	tbl.Packet(tcp(10.2, cli, srv, "A", 1001, 5001, ""))
	if a.take() != "" || b.take() == "" {
		t.Error("the replaced callback ran, or the new one did not")
	}
}

func TestRefused(t *testing.T) {
	tbl, c := open(t)
	var l log
	for i, ok := range []bool{
		Set(tbl, c, Bytes, Orig, 0, l.cb),
		Set(tbl, c, Bytes, Orig, 10, nil),
		Set(tbl, c, Kind(9), Orig, 10, l.cb),
		Set(tbl, c, Bytes, Dir(0), 10, l.cb),
		SetDuration(tbl, c, -time.Second, l.cb),
		Delete(tbl, c, Bytes, Orig, 10),
	} {
		if ok {
			t.Errorf("case %d: accepted", i)
		}
	}
	tbl.Flush()
	removed := tbl.Events()[0].Conn
	if Set(tbl, removed, Packets, Orig, 100, l.cb) {
		t.Error("Set on a removed connection = true")
	}
}

// Duration thresholds fire when packet time passes start+d, with or
// without a packet of the connection; Zeek fires them only on the
// connection's next packet.
func TestDuration(t *testing.T) {
	tbl, c := open(t) // start 10 s
	tbl.Packet(tcp(10.1, srv, cli, "SA", 5000, 1001, ""))
	tbl.Packet(tcp(10.2, cli, srv, "A", 1001, 5001, ""))
	var l log
	SetDuration(tbl, c, 5*time.Second, l.cb)
	SetDuration(tbl, c, 2*time.Second, l.cb)
	SetDuration(tbl, c, 60*time.Second, l.cb)
	SetDuration(tbl, c, 61*time.Second, l.cb)
	SetDuration(tbl, c, time.Hour, l.cb)
	DeleteDuration(tbl, c, 61*time.Second)
	tbl.Advance(sec(12)) // exactly start+2s: not passed yet
	if got := l.take(); got != "" {
		t.Errorf("fired at start+d: %q", got)
	}
	tbl.Advance(sec(12) + 1)
	if got := l.take(); got != "duration/both/2000000000 at pkts=2/1 bytes=80/40" {
		t.Errorf("at start+2s+1ns fired %q", got)
	}
	// Another connection's packet moves the clock past start+5s.
	tbl.Packet(udp(15.5, "10.9.9.9:1", "10.9.9.8:2", "x"))
	if got := l.take(); got != "duration/both/5000000000 at pkts=2/1 bytes=80/40" {
		t.Errorf("fired %q", got)
	}
	// Already passed: fires in Set.
	if !SetDuration(tbl, c, time.Second, l.cb) {
		t.Fatal("SetDuration = false")
	}
	if got := l.take(); got != "duration/both/1000000000 at pkts=2/1 bytes=80/40" {
		t.Errorf("passed duration fired %q", got)
	}
	tbl.Advance(sec(100))
	if got := l.take(); got != "duration/both/60000000000 at pkts=2/1 bytes=80/40" {
		t.Errorf("fired %q", got)
	}
	// The connection times out (5 min after its last packet) before the
	// 1 h threshold: that one never fires.
	tbl.Advance(sec(400))
	if tbl.Len() != 0 {
		t.Fatalf("%d connections left", tbl.Len())
	}
	tbl.Advance(sec(4000))
	if got := l.take(); got != "" {
		t.Errorf("fired after removal: %q", got)
	}
}

// Callbacks may set further thresholds: one already reached fires in the
// same round, after the current one.
func TestCallbackSets(t *testing.T) {
	tbl, c := open(t)
	var l log
	var chain Callback
	chain = func(c *flow.Conn, th Threshold) {
		l.cb(c, th)
		if th.Value < 4 {
			Set(tbl, c, Packets, Orig, th.Value+1, chain)
		}
	}
	Set(tbl, c, Packets, Orig, 2, chain)
	for i := 0; i < 3; i++ {
		tbl.Packet(tcp(10.1+float64(i)/10, cli, srv, "A", 1001, 5001, ""))
	}
	if got := l.take(); got != "packets/orig/2 at pkts=2/0 bytes=80/0; packets/orig/3 at pkts=3/0 bytes=120/0; packets/orig/4 at pkts=4/0 bytes=160/0" {
		t.Errorf("chain fired %q", got)
	}
	// Callback setting a threshold already reached: fires in the same loop.
	Set(tbl, c, Packets, Orig, 5, func(c *flow.Conn, th Threshold) {
		l.cb(c, th)
		Set(tbl, c, Packets, Orig, 1, l.cb)
	})
	tbl.Packet(tcp(10.5, cli, srv, "A", 1001, 5001, ""))
	if got := l.take(); got != "packets/orig/5 at pkts=5/0 bytes=200/0; packets/orig/1 at pkts=5/0 bytes=200/0" {
		t.Errorf("fired %q", got)
	}
}

// Once nothing is left to count, the watcher goes away (at the next call
// into the table), so the connection costs nothing more per packet.
func TestDetach(t *testing.T) {
	tbl, c := open(t)
	var l log
	Set(tbl, c, Packets, Orig, 2, l.cb)
	SetDuration(tbl, c, time.Hour, l.cb)
	s := lookup(c)
	if !s.watching {
		t.Fatal("not watching after Set")
	}
	tbl.Packet(tcp(10.1, cli, srv, "A", 1001, 5001, "")) // fires
	if !s.watching || !s.detach {
		t.Fatalf("watching=%v detach=%v right after firing", s.watching, s.detach)
	}
	tbl.Packet(tcp(10.2, cli, srv, "A", 1001, 5001, ""))
	if s.watching {
		t.Error("still watching one call later")
	}
	// A new threshold attaches it again.
	Set(tbl, c, Packets, Orig, 4, l.cb)
	tbl.Packet(tcp(10.3, cli, srv, "A", 1001, 5001, ""))
	if got := l.take(); got != "packets/orig/2 at pkts=2/0 bytes=80/0; packets/orig/4 at pkts=4/0 bytes=160/0" {
		t.Errorf("fired %q", got)
	}
	// Deleting the last one detaches too.
	Set(tbl, c, Packets, Orig, 100, l.cb)
	Delete(tbl, c, Packets, Orig, 100)
	tbl.Advance(sec(10.4))
	if s.watching {
		t.Error("still watching after Delete of the last counter threshold")
	}
}
