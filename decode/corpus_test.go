package decode

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/gopacket/pcapgo"
)

const corpusDir = "../../shared/zeek-parity"

type rawFrame struct {
	lt   int
	ts   int64
	data []byte
	wire int
}

// readFrames reads every frame of a pcap or pcapng file.
func readFrames(path string) ([]rawFrame, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	br := bufio.NewReader(fh)
	var out []rawFrame
	if strings.HasSuffix(path, ".pcapng") {
		r, err := pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			return nil, err
		}
		for {
			data, ci, err := r.ReadPacketData()
			if err == io.EOF {
				break
			}
			if err != nil {
				return out, err
			}
			lt := int(r.LinkType())
			if intf, err := r.Interface(ci.InterfaceIndex); err == nil {
				lt = int(intf.LinkType)
			}
			out = append(out, rawFrame{lt: lt, ts: ci.Timestamp.UnixNano(), data: data, wire: ci.Length})
		}
		return out, nil
	}
	r, err := pcapgo.NewReader(br)
	if err != nil {
		return nil, err
	}
	lt := int(r.LinkType())
	for {
		data, ci, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			return out, err
		}
		out = append(out, rawFrame{lt: lt, ts: ci.Timestamp.UnixNano(), data: data, wire: ci.Length})
	}
	return out, nil
}

type corpusEntry struct {
	name  string
	trace string
	meta  struct {
		Tags            []string `json:"tags"`
		IgnoreChecksums bool     `json:"ignore_checksums"`
	}
}

func (e *corpusEntry) has(tag string) bool {
	for _, t := range e.meta.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

func loadCorpus(t testing.TB) []*corpusEntry {
	t.Helper()
	out, err := corpusList()
	if err != nil {
		t.Fatal(err)
	}
	if out == nil {
		t.Skip("../shared/zeek-parity not found")
	}
	return out
}

// corpusList lists the corpus entries with a trace; nil if the corpus is
// absent.
func corpusList() ([]*corpusEntry, error) {
	dirs, _ := filepath.Glob(filepath.Join(corpusDir, "*", "meta.json"))
	if len(dirs) == 0 {
		return nil, nil
	}
	var out []*corpusEntry
	for _, m := range dirs {
		dir := filepath.Dir(m)
		e := &corpusEntry{name: filepath.Base(dir)}
		for _, n := range []string{"trace.pcap", "trace.pcapng"} {
			if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
				e.trace = filepath.Join(dir, n)
			}
		}
		if e.trace == "" {
			continue
		}
		b, err := os.ReadFile(m)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &e.meta); err != nil {
			return nil, fmt.Errorf("%s: %v", m, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// entryStats summarizes what decoding a trace produced.
type entryStats struct {
	frames, withIP int
	tunnels        map[Tunnel]int
	ipv6, icmp6    int
	anomalies      [NumAnomalies]int
	sessions       int
}

func decodeTrace(t *testing.T, e *corpusEntry, dump io.Writer) entryStats {
	frames, err := readFrames(e.trace)
	if err != nil {
		t.Errorf("%s: reading: %v", e.name, err)
	}
	d := New(Options{IgnoreChecksums: e.meta.IgnoreChecksums})
	var p Packet
	st := entryStats{tunnels: map[Tunnel]int{}}
	for i, fr := range frames {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s frame %d: panic: %v", e.name, i+1, r)
				}
			}()
			p.Num = uint64(i + 1)
			d.Decode(fr.lt, fr.ts, fr.data, fr.wire, &p)
		}()
		st.frames++
		st.anomalies[p.Anomaly]++
		if p.N > 0 {
			st.withIP++
		}
		for j := 0; j < p.N; j++ {
			L := &p.Layers[j]
			st.tunnels[L.Tunnel]++
			if L.IPv6 {
				st.ipv6++
			}
			if L.Key.Proto == ProtoICMPv6 && L.Session {
				st.icmp6++
			}
			if L.Session {
				st.sessions++
			}
		}
		if dump != nil {
			fmt.Fprintf(dump, "%s\n", describe(&p))
		}
	}
	return st
}

// describe renders a Packet in one line, for dumps and failure messages.
func describe(p *Packet) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "#%d wire=%d cap=%d", p.Num, p.WireLen, p.CapLen)
	if p.VLAN != 0 || p.InnerVLAN != 0 {
		fmt.Fprintf(&sb, " vlan=%d/%d", p.VLAN, p.InnerVLAN)
	}
	for i := 0; i < p.N; i++ {
		L := &p.Layers[i]
		fmt.Fprintf(&sb, " | %s %s:%d>%s:%d p%d len=%d hdr=%d pl=%d",
			L.Tunnel, L.Key.Src, L.Key.SrcPort, L.Key.Dst, L.Key.DstPort, L.Key.Proto, L.IPLen, L.HdrLen, L.PayloadLen)
		if L.Session {
			sb.WriteString(" S")
		}
		if L.BadChecksum {
			sb.WriteString(" BADSUM")
		}
		if L.TransportTruncated {
			sb.WriteString(" TTRUNC")
		}
		if L.SkipPacket {
			sb.WriteString(" SKIP")
		}
		if L.Reassembled {
			sb.WriteString(" REASM")
		}
		if L.HistoryX {
			sb.WriteString(" X")
		}
	}
	if p.Anomaly != AnomalyNone {
		fmt.Fprintf(&sb, " !%s", p.Anomaly)
	}
	return sb.String()
}

// TestCorpus decodes every frame of every corpus trace and checks what the
// entry's tags promise.
func TestCorpus(t *testing.T) {
	entries := loadCorpus(t)
	var dump io.Writer
	if os.Getenv("DECODE_DUMP") != "" {
		dump = os.Stdout
	}
	for _, e := range entries {
		t.Run(e.name, func(t *testing.T) {
			if dump != nil && !strings.Contains(e.name, os.Getenv("DECODE_DUMP")) {
				return
			}
			var w io.Writer
			if dump != nil {
				w = dump
				fmt.Fprintf(w, "== %s %v\n", e.name, e.meta.Tags)
			}
			st := decodeTrace(t, e, w)
			if st.frames == 0 {
				t.Fatalf("no frames")
			}
			if st.sessions == 0 && !e.has("arp") {
				t.Errorf("no connection-bearing layer in %d frames (anomalies %v)", st.frames, st.anomalies)
			}
			inner := innerRows(e)
			for _, tag := range e.meta.Tags {
				var want Tunnel
				switch tag {
				case "tunnel:vxlan":
					want = TunnelVXLAN
				case "tunnel:geneve":
					want = TunnelGeneve
				case "tunnel:teredo":
					want = TunnelTeredo
				case "tunnel:ayiya":
					want = TunnelAYIYA
				case "tunnel:gtp":
					want = TunnelGTPv1
				case "tunnel:gre", "tunnel:erspan", "tunnel:pptp":
					want = TunnelGRE
				case "tunnel:ip-in-ip":
					// gre-pptp carries IPv6 in IPv4 inside PPTP.
					want = TunnelIP
				case "ipv6":
					if st.ipv6 == 0 {
						t.Errorf("tagged ipv6 but no IPv6 layer decoded")
					}
				case "icmp6":
					if st.icmp6 == 0 {
						t.Errorf("tagged icmp6 but no ICMPv6 connection layer")
					}
				}
				if strings.HasPrefix(tag, "link:") && st.withIP == 0 {
					t.Errorf("tagged %s but no frame decoded to IP", tag)
				}
				if want != TunnelNone && inner && st.tunnels[want] == 0 {
					t.Errorf("tagged %s but no %s layer (tunnels %v, anomalies %v)", tag, want, st.tunnels, st.anomalies)
				}
			}
			if e.has("fragmentation") && st.withIP == 0 {
				t.Errorf("fragmented trace decoded to nothing")
			}
		})
	}
}

// innerRows reports whether the entry's conn.log has a tunnelled connection
// (tunnel_parents set); logs without that column are assumed to have one.
func innerRows(e *corpusEntry) bool {
	b, err := os.ReadFile(filepath.Join(filepath.Dir(e.trace), "conn.log"))
	if err != nil {
		return true
	}
	col := -1
	for _, line := range strings.Split(string(b), "\n") {
		fs := strings.Split(line, "\t")
		if col < 0 {
			if strings.HasPrefix(line, "#fields") {
				fs = fs[1:]
			} else if strings.HasPrefix(line, "#") || !strings.Contains(line, "uid") {
				continue
			}
			for i, f := range fs {
				if f == "tunnel_parents" {
					col = i
				}
			}
			if col < 0 && (strings.HasPrefix(line, "#fields") || strings.Contains(line, "uid")) {
				return true
			}
			continue
		}
		if strings.HasPrefix(line, "#") || col >= len(fs) {
			continue
		}
		if fs[col] != "-" && fs[col] != "(empty)" {
			return true
		}
	}
	return false
}

// TestCorpusTunnelDetails checks tunnel baselines row by row where Zeek's
// conn.log pins down what the decoder must produce.
func TestCorpusTunnelDetails(t *testing.T) {
	entries := loadCorpus(t)
	byName := map[string]*corpusEntry{}
	for _, e := range entries {
		byName[e.name] = e
	}
	type check func(t *testing.T, pkts []Packet)
	layersOf := func(pkts []Packet, f func(L *Layer) bool) int {
		n := 0
		for i := range pkts {
			for j := 0; j < pkts[i].N; j++ {
				if f(&pkts[i].Layers[j]) {
					n++
				}
			}
		}
		return n
	}
	a4 := func(s string) Addr {
		var b [4]byte
		fmt.Sscanf(s, "%d.%d.%d.%d", &b[0], &b[1], &b[2], &b[3])
		return AddrFrom4(b[:])
	}
	cases := map[string]check{
		// Three nested VXLAN layers and DNS inside: all four are
		// connections (Tunnel::max_depth is 4).
		"core.tunnels.max-depth": func(t *testing.T, pkts []Packet) {
			if pkts[0].N != 4 {
				t.Fatalf("want 4 layers, got %s", describe(&pkts[0]))
			}
			for i := 0; i < 4; i++ {
				if !pkts[0].Layers[i].Session {
					t.Errorf("layer %d not a session: %s", i, describe(&pkts[0]))
				}
			}
			if k := pkts[0].Layers[3].Key; k.Src != a4("4.4.4.4") || k.DstPort != 53 {
				t.Errorf("innermost = %v", k)
			}
		},
		// GRE carrying ERSPAN III carrying ICMP: the outer IP is no
		// connection, the ICMP is.
		"core.erspanIII": func(t *testing.T, pkts []Packet) {
			if n := layersOf(pkts, func(L *Layer) bool { return L.Tunnel == TunnelGRE && L.Session && L.Key.Proto == ProtoICMP }); n != 2 {
				t.Errorf("want 2 ICMP layers in GRE, got %d", n)
			}
			if n := layersOf(pkts, func(L *Layer) bool { return L.Tunnel == TunnelNone && L.Session }); n != 0 {
				t.Errorf("outer GRE datagrams must not be sessions, got %d", n)
			}
		},
		// Bad inner TCP checksum inside VXLAN: both layers decoded, the
		// inner flagged.
		"core.tunnels.vxlan-inner-tcp-bad-checksum": func(t *testing.T, pkts []Packet) {
			p := &pkts[0]
			if p.N != 2 || !p.Layers[1].BadChecksum || p.Layers[0].BadChecksum {
				t.Errorf("got %s", describe(p))
			}
		},
		// Bad outer UDP checksums: no decapsulation (history C, no IGMP).
		"core.tunnels.vxlan-unknown-internal-packet": func(t *testing.T, pkts []Packet) {
			for i := range pkts {
				if pkts[i].N != 1 || !pkts[i].Layers[0].BadChecksum {
					t.Errorf("got %s", describe(&pkts[i]))
				}
			}
		},
		// TCP whose options are cut by snaplen: the connection exists but
		// the packet is not counted (0 packets in conn.log).
		"core.vntag-in-vlan": func(t *testing.T, pkts []Packet) {
			p := &pkts[0]
			if p.N != 1 || !p.Layers[0].Session || !p.Layers[0].SkipPacket || p.VLAN != 250 {
				t.Errorf("got %s", describe(p))
			}
		},
		// Outer IPv4 fragments carrying GTP: reassembled, then the inner
		// TCP connection.
		"core.tunnels.gtp.outer_ip_frag": func(t *testing.T, pkts []Packet) {
			if n := layersOf(pkts, func(L *Layer) bool { return L.Reassembled && L.Key.DstPort == portGTPU }); n == 0 {
				t.Errorf("no reassembled GTP datagram")
			}
			if n := layersOf(pkts, func(L *Layer) bool { return L.Tunnel == TunnelGTPv1 && L.Key.Proto == ProtoTCP }); n != 68 {
				t.Errorf("inner TCP packets = %d, want 68 (27+41 in conn.log)", n)
			}
		},
		// Zeek counts 12 packets for the VXLAN connection and 7+5 for the
		// inner HTTP connection.
		"core.tunnels.analyzer-confirmation": func(t *testing.T, pkts []Packet) {
			if n := layersOf(pkts, func(L *Layer) bool { return L.Tunnel == TunnelVXLAN && L.Key.Proto == ProtoTCP }); n != 12 {
				t.Errorf("inner TCP packets = %d, want 12", n)
			}
		},
		"core.tunnels.gre-pptp": func(t *testing.T, pkts []Packet) {
			if n := layersOf(pkts, func(L *Layer) bool { return L.Tunnel == TunnelGRE && L.Key.DstPort == 53 || L.Key.SrcPort == 53 }); n != 2 {
				t.Errorf("DNS packets in PPTP = %d, want 2", n)
			}
		},
		"core.tunnels.gre-over-udp": func(t *testing.T, pkts []Packet) {
			if n := layersOf(pkts, func(L *Layer) bool { return L.Tunnel == TunnelGRE && L.Session }); n != 14 {
				t.Errorf("sessions inside GRE-over-UDP = %d, want 4+6 TCP + 2+2 DNS", n)
			}
		},
		"core.tunnels.ayiya-large-identity": func(t *testing.T, pkts []Packet) {
			p := &pkts[0]
			if p.N != 2 || p.Layers[1].Tunnel != TunnelAYIYA || p.Layers[1].IPLen != 52 {
				t.Errorf("got %s", describe(p))
			}
		},
		"core.pbb": func(t *testing.T, pkts []Packet) {
			if n := layersOf(pkts, func(L *Layer) bool { return L.Session && L.Key.Proto == 89 }); n != 1 {
				t.Errorf("OSPF layers = %d, want 1", n)
			}
		},
	}
	for name, c := range cases {
		e := byName[name]
		if e == nil {
			continue
		}
		t.Run(name, func(t *testing.T) {
			frames, err := readFrames(e.trace)
			if err != nil {
				t.Fatal(err)
			}
			d := New(Options{IgnoreChecksums: e.meta.IgnoreChecksums})
			pkts := make([]Packet, len(frames))
			for i, fr := range frames {
				pkts[i].Num = uint64(i + 1)
				d.Decode(fr.lt, fr.ts, fr.data, fr.wire, &pkts[i])
				// Payloads may point into decoder buffers; describe()
				// does not touch them, so keeping Packets is fine here.
			}
			c(t, pkts)
		})
	}
}

// TestCorpusCounts checks, for every baseline that has the packet and IP
// byte columns, that the packets Zeek counted are exactly the layers the
// decoder marks as connection packets (Session, not BadChecksum, not
// SkipPacket), and that their IPLen sums to Zeek's IP byte totals.
func TestCorpusCounts(t *testing.T) {
	for _, e := range loadCorpus(t) {
		b, err := os.ReadFile(filepath.Join(filepath.Dir(e.trace), "conn.log"))
		if err != nil {
			continue
		}
		var cols []string
		wantPkts, wantBytes := 0, 0
		hasPkts, hasBytes := false, false
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "#fields") {
				cols = strings.Split(line, "\t")[1:]
				continue
			}
			if strings.HasPrefix(line, "#") || line == "" {
				continue
			}
			fs := strings.Split(line, "\t")
			if cols == nil {
				cols = fs
				continue
			}
			for i, c := range cols {
				if i >= len(fs) {
					break
				}
				n, _ := strconv.Atoi(fs[i])
				switch c {
				case "orig_pkts", "resp_pkts":
					wantPkts += n
					hasPkts = true
				case "orig_ip_bytes", "resp_ip_bytes":
					wantBytes += n
					hasBytes = true
				}
			}
		}
		if !hasPkts && !hasBytes {
			continue
		}
		t.Run(e.name, func(t *testing.T) {
			frames, err := readFrames(e.trace)
			if err != nil {
				t.Fatal(err)
			}
			d := New(Options{IgnoreChecksums: e.meta.IgnoreChecksums})
			var p Packet
			pkts, bytes := 0, 0
			for _, fr := range frames {
				d.Decode(fr.lt, fr.ts, fr.data, fr.wire, &p)
				for j := 0; j < p.N; j++ {
					L := &p.Layers[j]
					if L.Session && !L.BadChecksum && !L.SkipPacket {
						pkts++
						bytes += int(L.IPLen)
					}
				}
			}
			if hasPkts && pkts != wantPkts {
				t.Errorf("counted packets = %d, conn.log has %d", pkts, wantPkts)
			}
			if hasBytes && bytes != wantBytes {
				t.Errorf("counted IP bytes = %d, conn.log has %d", bytes, wantBytes)
			}
		})
	}
}
