package polling

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flowlog/flowlog/flow"
)

const cli, srv = "10.0.0.1:40000", "10.0.0.2:53"

type calls struct {
	tbl   *flow.Table
	lines []string
}

// poll returns a callback that logs each call and returns the intervals
// given in turn (the last one repeated).
func (cs *calls) poll(name string, next ...time.Duration) Callback {
	return func(c *flow.Conn, cnt int) time.Duration {
		cs.lines = append(cs.lines, fmt.Sprintf("%s#%d@%g pkts=%d", name, cnt, float64(cs.tbl.Now())/1e9, c.OrigPkts()+c.RespPkts()))
		if cnt < len(next) {
			return next[cnt]
		}
		return next[len(next)-1]
	}
}

func (cs *calls) take() string {
	s := strings.Join(cs.lines, " ")
	cs.lines = nil
	return s
}

func open(t *testing.T) (*flow.Table, *flow.Conn, *calls) {
	tbl := flow.New(flow.Config{Seed: 1})
	tbl.Packet(udp(100, cli, srv, "q"))
	return tbl, tbl.Events()[0].Conn, &calls{tbl: tbl}
}

func TestCountLimit(t *testing.T) {
	tbl, c, cs := open(t)
	Watch(tbl, c, cs.poll("a", 10*time.Second), 3, 10*time.Second)
	tbl.Advance(sec(109))
	if got := cs.take(); got != "" {
		t.Errorf("early: %s", got)
	}
	for _, ts := range []float64{110, 125, 130, 135, 159} {
		tbl.Advance(sec(ts))
	}
	// 110, then 10 s after the time it ran (125: due at 120), then 135.
	if got := cs.take(); got != "a#0@110 pkts=1 a#1@125 pkts=1 a#2@135 pkts=1" {
		t.Errorf("calls %s", got)
	}
}

func TestStopAndChangeInterval(t *testing.T) {
	tbl, c, cs := open(t)
	Watch(tbl, c, cs.poll("a", time.Second, 5*time.Second, -1), 0, 2*time.Second)
	for ts := 100.5; ts < 130; ts += 0.5 {
		tbl.Advance(sec(ts))
	}
	if got := cs.take(); got != "a#0@102 pkts=1 a#1@103 pkts=1 a#2@108 pkts=1" {
		t.Errorf("calls %s", got)
	}
}

// Polls run on packet time: one due between packets runs when the next
// packet (of any connection) arrives, before that packet is counted.
func TestPacketTime(t *testing.T) {
	tbl, c, cs := open(t)
	Watch(tbl, c, cs.poll("a", 30*time.Second), 2, 5*time.Second)
	tbl.Packet(udp(107, srv, cli, "answer"))
	tbl.Packet(udp(108, "10.9.9.9:1", "10.9.9.8:2", "other"))
	tbl.Packet(udp(140, srv, cli, "answer"))
	if got := cs.take(); got != "a#0@107 pkts=1 a#1@140 pkts=2" {
		t.Errorf("calls %s", got)
	}
}

// Polling stops silently when the connection goes away: the poll due after
// its removal never runs, even though the 5-tuple is back.
func TestStopsWhenRemoved(t *testing.T) {
	tbl, c, cs := open(t)
	Watch(tbl, c, cs.poll("a", 50*time.Second), 0, 50*time.Second)
	tbl.Advance(sec(150)) // poll at 150, next due at 200
	tbl.Advance(sec(170)) // UDP inactivity (60 s after 100) removed it at 160
	if tbl.Len() != 0 {
		t.Fatalf("%d connections live", tbl.Len())
	}
	tbl.Packet(udp(190, cli, srv, "q")) // same 5-tuple, new connection
	tbl.Advance(sec(240))
	if got := cs.take(); got != "a#0@150 pkts=1" {
		t.Errorf("calls %s", got)
	}
	// Watch on a removed connection does nothing.
	tbl.Flush()
	gone := tbl.Events()[0].Conn
	Watch(tbl, gone, cs.poll("b", time.Second), 0, time.Second)
	tbl.Advance(sec(1000))
	if got := cs.take(); got != "" {
		t.Errorf("polled a removed connection: %s", got)
	}
}

// A zero interval polls again at the next packet time after now, not in a
// loop at one instant; a zero first interval polls at the next call.
func TestZeroInterval(t *testing.T) {
	tbl, c, cs := open(t)
	Watch(tbl, c, cs.poll("a", 0), 3, 0)
	if got := cs.take(); got != "" {
		t.Errorf("polled inside Watch: %s", got)
	}
	tbl.Advance(sec(100)) // same time: the first poll (due now)
	tbl.Advance(sec(100)) // nothing: the next is due after 100
	tbl.Advance(sec(100.001))
	tbl.Advance(sec(100.002))
	tbl.Advance(sec(100.003))
	if got := cs.take(); got != "a#0@100 pkts=1 a#1@100.001 pkts=1 a#2@100.002 pkts=1" {
		t.Errorf("calls %s", got)
	}
}

// Several watches on one connection are independent.
func TestSeveral(t *testing.T) {
	tbl, c, cs := open(t)
	Watch(tbl, c, cs.poll("a", 2*time.Second), 2, time.Second)
	Watch(tbl, c, cs.poll("b", time.Second), 3, time.Second)
	for ts := 100.0; ts <= 110; ts++ {
		tbl.Advance(sec(ts))
	}
	if got := cs.take(); got != "a#0@101 pkts=1 b#0@101 pkts=1 b#1@102 pkts=1 a#1@103 pkts=1 b#2@103 pkts=1" {
		t.Errorf("calls %s", got)
	}
	Watch(tbl, c, nil, 1, time.Second) // ignored
}
