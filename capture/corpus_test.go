package capture

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcap"
)

// corpusDir is Zeek's trace corpus, shared beside the repository.
const corpusDir = "../../shared/zeek-parity"

type corpusTrace struct {
	path string
	meta struct {
		Trace struct {
			File      string  `json:"file"`
			Format    string  `json:"format"`
			Packets   int     `json:"packets"`
			LinkTypes []int   `json:"linktypes"`
			FirstTS   float64 `json:"first_ts"`
			LastTS    float64 `json:"last_ts"`
		} `json:"trace"`
		BPF *string `json:"bpf_filter"`
	}
}

// corpus lists the corpus traces with their meta.json, or skips the test.
func corpus(t testing.TB) []corpusTrace {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(corpusDir, "*", "trace.pcap*"))
	if len(paths) == 0 {
		t.Skipf("zeek-parity corpus not found at %s (it lives in shared/, beside the repository)", corpusDir)
	}
	var cs []corpusTrace
	for _, p := range paths {
		c := corpusTrace{path: p}
		b, err := os.ReadFile(filepath.Join(filepath.Dir(p), "meta.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &c.meta); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		cs = append(cs, c)
	}
	return cs
}

// TestCorpusCounts reads every corpus trace and checks the frame count,
// link types and first/last times against meta.json.
func TestCorpusCounts(t *testing.T) {
	total := 0
	for _, c := range corpus(t) {
		s, err := Open(c.path)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		fs := mustReadAll(t, s)
		s.Close()
		tr := c.meta.Trace
		if len(fs) != tr.Packets {
			t.Errorf("%s: %d frames, meta.json says %d", c.path, len(fs), tr.Packets)
		}
		total += len(fs)
		if len(fs) == 0 {
			continue
		}
		lts := map[int]bool{}
		for _, f := range fs {
			lts[f.LinkType] = true
		}
		for _, lt := range tr.LinkTypes {
			if !lts[lt] || len(lts) != len(tr.LinkTypes) {
				t.Errorf("%s: link types %v, meta.json says %v", c.path, lts, tr.LinkTypes)
			}
		}
		// meta.json has the earliest and latest times in float seconds:
		// compare within 2 µs.
		lo, hi := fs[0].TS, fs[0].TS
		for _, f := range fs {
			lo, hi = min(lo, f.TS), max(hi, f.TS)
		}
		near := func(ns int64, sec float64) bool {
			d := float64(ns)/1e9 - sec
			return d < 2e-6 && d > -2e-6
		}
		if !near(lo, tr.FirstTS) || !near(hi, tr.LastTS) {
			t.Errorf("%s: times %d..%d, meta.json says %f..%f", c.path, lo, hi, tr.FirstTS, tr.LastTS)
		}
	}
	t.Logf("read %d frames", total)
}

// TestCorpusVsLibpcap compares every frame with what libpcap itself (the
// reader Zeek uses) returns for the same file.
func TestCorpusVsLibpcap(t *testing.T) {
	for _, c := range corpus(t) {
		h, err := pcap.OpenOffline(c.path)
		if err != nil {
			t.Errorf("libpcap: %s: %v", c.path, err)
			continue
		}
		s, err := Open(c.path)
		if err != nil {
			t.Fatal(err)
		}
		for n := 1; ; n++ {
			want, ci, werr := h.ReadPacketData()
			f, err := s.Next()
			if werr == io.EOF || err == io.EOF {
				if werr != err {
					t.Errorf("%s: frame %d: libpcap says %v, we say %v", c.path, n, werr, err)
				}
				break
			}
			if werr != nil && err == nil {
				// libpcap 1.10.3 refuses pcapng files whose interfaces differ
				// in snaplen; newer versions (Zeek's) read them.
				t.Logf("%s: frame %d: libpcap %v: rest of file not compared", c.path, n, werr)
				break
			}
			if err != nil || werr != nil {
				t.Errorf("%s: frame %d: libpcap %v, ours %v", c.path, n, werr, err)
				break
			}
			if f.TS != ci.Timestamp.UnixNano() || !bytes.Equal(f.Data, want) || f.WireLen != ci.Length ||
				linkTypeToDLT(f.LinkType) != int(h.LinkType()) || f.Num != uint64(n) {
				t.Errorf("%s: frame %d differs: ts %d/%d len %d/%d wire %d/%d lt %d/%d", c.path, n,
					f.TS, ci.Timestamp.UnixNano(), len(f.Data), len(want), f.WireLen, ci.Length, f.LinkType, h.LinkType())
				break
			}
		}
		h.Close()
		s.Close()
	}
}

// TestCorpusMerged reads the whole corpus as one merged input: every frame
// comes out once, and each file's frames in file order.
func TestCorpusMerged(t *testing.T) {
	cs := corpus(t)
	var paths []string
	want := 0
	for _, c := range cs {
		paths = append(paths, c.path)
		want += c.meta.Trace.Packets
	}
	s, err := OpenAll(paths, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	last := map[string]uint64{}
	n := 0
	for {
		f, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if f.Num != last[f.Input]+1 {
			t.Fatalf("%s: frame %d after %d", f.Input, f.Num, last[f.Input])
		}
		last[f.Input] = f.Num
		n++
	}
	if n != want {
		t.Errorf("merged %d frames, want %d", n, want)
	}
}

// corpusExprs are filters compared with libpcap's own matcher.
var corpusExprs = []string{
	"tcp port 443", "port 22", "tcp port 25", "host 10.0.0.1 and udp", "vlan and tcp", "ip6",
	"udp", "icmp or icmp6", "tcp[tcpflags] & (tcp-syn|tcp-fin) != 0", "greater 1000", "less 100",
	"net 192.168.0.0/16", "ip[6:2] & 0x1fff != 0", "mpls", "pppoes", "ether broadcast", "ip proto 47",
	"not ip and not ip6", "port 53 or port 80",
}

// TestCorpusFilterVsLibpcap runs filters over the corpus and compares each
// verdict with pcap.BPF.Matches (libpcap's interpreter, through cgo).
func TestCorpusFilterVsLibpcap(t *testing.T) {
	cs := corpus(t)
	filters := make([]*Filter, len(corpusExprs))
	for i, e := range corpusExprs {
		f, err := NewFilter(e)
		if err != nil {
			t.Fatal(err)
		}
		filters[i] = f
	}
	oracle := map[[2]int]*pcap.BPF{} // (expr, link type)
	compiled := map[[2]int]bool{}
	matched, checked := 0, 0
	for _, c := range cs {
		s, err := Open(c.path)
		if err != nil {
			t.Fatal(err)
		}
		for {
			fr, err := s.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(fr.Data) == 0 {
				continue // pcap.BPF.Matches cannot take an empty slice
			}
			for i, f := range filters {
				key := [2]int{i, fr.LinkType}
				o, seen := oracle[key]
				if !seen {
					o, err = pcap.NewBPF(layers.LinkType(linkTypeToDLT(fr.LinkType)), FilterSnaplen, corpusExprs[i])
					perr := f.Prepare(fr.LinkType)
					if err != nil && strings.Contains(err.Error(), "rejects all packets") {
						err = nil // Prepare accepts it as a filter that matches nothing
					}
					if (err == nil) != (perr == nil) {
						t.Errorf("%q on link type %d: libpcap error %v, Prepare error %v", corpusExprs[i], fr.LinkType, err, perr)
					}
					oracle[key] = o
					compiled[key] = err == nil
				}
				if o == nil {
					if f.Match(fr.LinkType, fr.Data, fr.WireLen) {
						t.Errorf("%q matched on link type %d where it does not compile", corpusExprs[i], fr.LinkType)
					}
					continue
				}
				ci := gopacket.CaptureInfo{CaptureLength: len(fr.Data), Length: fr.WireLen}
				want := o.Matches(ci, fr.Data)
				if got := f.Match(fr.LinkType, fr.Data, fr.WireLen); got != want {
					t.Errorf("%s frame %d: %q: Match %v, libpcap %v", c.path, fr.Num, corpusExprs[i], got, want)
				}
				checked++
				if want {
					matched++
				}
			}
		}
		s.Close()
	}
	if matched == 0 || matched == checked {
		t.Errorf("degenerate comparison: %d of %d verdicts matched", matched, checked)
	}
	t.Logf("%d verdicts compared, %d matches", checked, matched)
}
