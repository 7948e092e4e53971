package contents

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/flowlog/flowlog/capture"
	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
)

// corpusDir is the zeek-parity corpus (Zeek's test traces); override with
// FLOWLOG_ZEEK_PARITY.
func corpusDir() string {
	if d := os.Getenv("FLOWLOG_ZEEK_PARITY"); d != "" {
		return d
	}
	return "/work/shared/zeek-parity"
}

// sessionPorts are the ports that make an entry part of the comparison:
// HTTP and SMTP (plain and submission).
var sessionPorts = map[uint16]bool{80: true, 25: true, 587: true}

// extracted is one TCP connection of a replay and its two files.
type extracted struct {
	orig, resp netip.AddrPort
	files      [2]string // orig, resp
	first      []byte    // payload of the packet that created it (not in the files)
	firstFrom  netip.AddrPort
	missed     uint64
}

func (e *extracted) key() string { return pairKey(e.orig, e.resp) }

func pairKey(a, b netip.AddrPort) string {
	x, y := a.String(), b.String()
	if x > y {
		x, y = y, x
	}
	return x + " " + y
}

func addrPort(a decode.Addr, p uint16) netip.AddrPort { return netip.AddrPortFrom(a.Netip(), p) }

// replayTrace runs the whole pipeline on one trace (capture.Open, decode,
// flow.Table), extracting both sides of every TCP connection into its own
// directory under out as it opens.
func replayTrace(t *testing.T, trace, out string) []*extracted {
	src, err := capture.Open(trace)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dec := decode.New(decode.Options{IgnoreChecksums: true}) // as tshark: no checksum validation
	tbl := flow.New(flow.Config{Seed: 1})
	var pkt decode.Packet
	var conns []*extracted
	byUID := map[flow.UID]*extracted{}
	events := func() {
		for _, ev := range tbl.Events() {
			c := ev.Conn
			if c.Trans != flow.TransportTCP {
				continue
			}
			switch ev.Kind {
			case flow.EventOpened:
				e := &extracted{}
				for i := 0; i < pkt.N; i++ {
					l := &pkt.Layers[i]
					if l.Session && l.Key.Proto == decode.ProtoTCP && len(l.Payload) > 0 &&
						pairKey(addrPort(l.Key.Src, l.Key.SrcPort), addrPort(l.Key.Dst, l.Key.DstPort)) ==
							pairKey(addrPort(c.OrigH, c.OrigP), addrPort(c.RespH, c.RespP)) {
						e.first = append([]byte(nil), l.Payload...)
						e.firstFrom = addrPort(l.Key.Src, l.Key.SrcPort)
					}
				}
				dir := filepath.Join(out, strconv.Itoa(len(conns)))
				if err := Extract(tbl, c, dir, Both); err != nil {
					t.Fatal(err)
				}
				e.files[0] = dir // completed at removal
				conns = append(conns, e)
				byUID[c.UID()] = e
			case flow.EventClosed:
				e := byUID[c.UID()]
				if e == nil {
					continue
				}
				e.orig, e.resp = addrPort(c.OrigH, c.OrigP), addrPort(c.RespH, c.RespP)
				e.missed = c.MissedBytes()
				dir := e.files[0]
				e.files = [2]string{filepath.Join(dir, FileName(c, Orig)), filepath.Join(dir, FileName(c, Resp))}
			}
		}
	}
	for {
		f, err := src.Next()
		if err == io.EOF {
			break
		}
		var rerr *capture.ReadError
		if errors.As(err, &rerr) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		dec.Decode(f.LinkType, f.TS, f.Data, f.WireLen, &pkt)
		tbl.Packet(&pkt)
		events()
	}
	tbl.Flush()
	events()
	return conns
}

// followed is one TCP stream as tshark's "follow,tcp,raw" reassembles it.
type followed struct {
	node [2]netip.AddrPort
	data [2][]byte
}

// tsharkFollow reassembles streams 0..n-1 of trace with tshark.
func tsharkFollow(t *testing.T, tshark, trace string, n int) []*followed {
	args := []string{"-r", trace, "-q"}
	for i := 0; i < n; i++ {
		args = append(args, "-z", fmt.Sprintf("follow,tcp,raw,%d", i))
	}
	cmd := exec.Command(tshark, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark %s: %v: %s", trace, err, stderr.String())
	}
	var streams []*followed
	var cur *followed
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<26)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "Filter: tcp.stream eq"):
			cur = &followed{}
			streams = append(streams, cur)
		case cur == nil:
		case strings.HasPrefix(line, "Node 0: "), strings.HasPrefix(line, "Node 1: "):
			i := 0
			if line[5] == '1' {
				i = 1
			}
			s := line[8:]
			j := strings.LastIndexByte(s, ':')
			if j < 0 {
				continue
			}
			a, err1 := netip.ParseAddr(strings.Trim(s[:j], "[]"))
			p, err2 := strconv.ParseUint(s[j+1:], 10, 16)
			if err1 == nil && err2 == nil {
				cur.node[i] = netip.AddrPortFrom(a.Unmap(), uint16(p))
			}
		case strings.HasPrefix(line, "====="), line == "", strings.HasPrefix(line, "Follow:"):
		default:
			i := 0
			if line[0] == '\t' {
				i = 1
			}
			b, err := hex.DecodeString(strings.TrimSpace(line))
			if err != nil {
				t.Fatalf("tshark %s: bad line %q", trace, line)
			}
			cur.data[i] = append(cur.data[i], b...)
		}
	}
	return streams
}

// TestTsharkFollow extracts every TCP connection of the corpus entries that
// carry HTTP or SMTP sessions through the real pipeline (capture, decode,
// flow.Table, Extract on EventOpened) and checks each side's file against
// the stream tshark's "follow,tcp,raw" reassembles from the same trace.
func TestTsharkFollow(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark is not installed: the extracted streams are not compared")
	}
	corpus := corpusDir()
	ents, err := os.ReadDir(corpus)
	if err != nil {
		t.Skipf("zeek-parity corpus not found at %s (set FLOWLOG_ZEEK_PARITY): %v", corpus, err)
	}
	var (
		entries, compared, sessionSides, firstCut, holes, ambiguous, unmatched int
		mismatches                                                             []string
	)
	for _, ent := range ents {
		if !ent.IsDir() {
			continue
		}
		var trace string
		for _, n := range []string{"trace.pcap", "trace.pcapng"} {
			if _, err := os.Stat(filepath.Join(corpus, ent.Name(), n)); err == nil {
				trace = filepath.Join(corpus, ent.Name(), n)
			}
		}
		if trace == "" {
			continue
		}
		out := filepath.Join(t.TempDir(), ent.Name())
		conns := replayTrace(t, trace, out)
		session := false
		for _, e := range conns {
			if sessionPorts[e.orig.Port()] || sessionPorts[e.resp.Port()] {
				session = true
			}
		}
		if !session {
			continue
		}
		entries++
		ours := map[string][]*extracted{}
		for _, e := range conns {
			ours[e.key()] = append(ours[e.key()], e)
		}
		streams := tsharkFollow(t, tshark, trace, len(conns)+4)
		theirs := map[string]int{}
		for _, s := range streams {
			if s.node[0].IsValid() {
				theirs[pairKey(s.node[0], s.node[1])]++
			}
		}
		for _, s := range streams {
			if !s.node[0].IsValid() {
				continue
			}
			k := pairKey(s.node[0], s.node[1])
			switch {
			case len(ours[k]) == 0:
				unmatched++
				continue
			case len(ours[k]) > 1 || theirs[k] > 1:
				ambiguous++ // a reused 5-tuple: no one-to-one pairing
				continue
			}
			e := ours[k][0]
			for side := 0; side < 2; side++ {
				ap := e.orig
				if side == 1 {
					ap = e.resp
				}
				var want []byte
				switch ap {
				case s.node[0]:
					want = s.data[0]
				case s.node[1]:
					want = s.data[1]
				}
				got, err := os.ReadFile(e.files[side])
				if err != nil {
					t.Fatal(err)
				}
				if e.missed > 0 {
					// tshark writes a marker for each hole; the file has
					// the hole itself (zeros) at the same place.
					want = fillHoles(want)
					holes++
				}
				if len(e.first) > 0 && ap == e.firstFrom && !bytes.Equal(got, want) {
					// Extraction starts after the packet that created
					// the connection: unless it was retransmitted later,
					// its payload is exactly what the file lacks.
					if !bytes.HasPrefix(want, e.first) {
						mismatches = append(mismatches, fmt.Sprintf("%s: %s side %d: tshark's stream does not start with the first packet's payload",
							ent.Name(), k, side))
						continue
					}
					want = want[len(e.first):]
					firstCut++
				}
				compared++
				if sessionPorts[e.orig.Port()] || sessionPorts[e.resp.Port()] {
					sessionSides++
				}
				if !bytes.Equal(got, want) {
					mismatches = append(mismatches, fmt.Sprintf("%s: %s side %d: %d bytes, tshark %d (first difference at %d)",
						ent.Name(), k, side, len(got), len(want), firstDiff(got, want)))
				}
			}
		}
	}
	t.Logf("%d entries with HTTP/SMTP sessions: %d of %d stream sides equal to tshark's (%d on ports 80/25/587; "+
		"%d of them less the payload of the packet that created the connection, which precedes extraction; "+
		"%d sides of connections with content gaps, tshark's gap markers read as holes); "+
		"skipped: %d streams on reused 5-tuples, %d tshark streams with no connection",
		entries, compared-len(mismatches), compared, sessionSides, firstCut, holes, ambiguous, unmatched)
	sort.Strings(mismatches)
	for _, m := range mismatches {
		t.Error(m)
	}
	if entries == 0 {
		t.Error("no corpus entry with HTTP or SMTP sessions")
	}
}

// gapMarker is what tshark's follow puts in a raw stream for bytes missing
// from the capture.
var gapMarker = regexp.MustCompile(`\[([0-9]+) bytes missing in capture file\]\x00`)

// fillHoles replaces tshark's gap markers by as many zero bytes.
func fillHoles(b []byte) []byte {
	return gapMarker.ReplaceAllFunc(b, func(m []byte) []byte {
		n, _ := strconv.Atoi(string(gapMarker.FindSubmatch(m)[1]))
		return make([]byte, n)
	})
}

func firstDiff(a, b []byte) int {
	for i := range a {
		if i >= len(b) || a[i] != b[i] {
			return i
		}
	}
	return len(a)
}
