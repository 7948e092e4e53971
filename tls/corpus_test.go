package tls

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// corpusDir is the shared Zeek parity corpus (see its README.md).
const corpusDir = "../../shared/zeek-parity"

// sslServerNames reads the server_name column of a Zeek ssl.log baseline,
// which has either a full TSV header (#fields) or a zeek-cut -m header (one
// line of column names). It returns one value per row; unset ("-") and
// empty ("(empty)") values are returned as "".
func sslServerNames(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	col := -1
	var names []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "###") || line == "":
			continue
		case strings.HasPrefix(line, "#fields\t"):
			col = slices.Index(strings.Split(line, "\t")[1:], "server_name")
			continue
		case strings.HasPrefix(line, "#"):
			continue
		case col < 0 && strings.Contains(line, "server_name"):
			col = slices.Index(strings.Split(line, "\t"), "server_name")
			continue
		}
		if col < 0 {
			continue
		}
		fields := strings.Split(line, "\t")
		v := ""
		if col < len(fields) && fields[col] != "-" && fields[col] != "(empty)" {
			v = fields[col]
		}
		names = append(names, v)
	}
	return names, sc.Err()
}

type packetReader interface {
	ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
}

// openTrace opens a pcap or pcapng trace.
func openTrace(path string) (packetReader, layers.LinkType, func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, nil, err
	}
	if strings.HasSuffix(path, ".pcapng") {
		r, err := pcapgo.NewNgReader(f, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			f.Close()
			return nil, 0, nil, err
		}
		return r, r.LinkType(), func() { f.Close() }, nil
	}
	r, err := pcapgo.NewReader(f)
	if err != nil {
		f.Close()
		return nil, 0, nil, err
	}
	return r, r.LinkType(), func() { f.Close() }, nil
}

// traceSNIs extracts the SNI of every ClientHello in a trace: TCP streams
// through StreamAssembler (per flow direction), UDP datagrams through
// QUICAssembler or DTLSAssembler. It also returns how many ClientHellos
// of each kind were found.
func traceSNIs(path string) (snis []string, kinds map[string]int, err error) {
	r, lt, closeFn, err := openTrace(path)
	if err != nil {
		return nil, nil, err
	}
	defer closeFn()
	tcp := map[string]*StreamAssembler{}
	quic := map[string]*QUICAssembler{}
	dtls := map[string]*DTLSAssembler{}
	kinds = map[string]int{}
	found := func(h *ClientHello, kind string) {
		kinds[kind]++
		snis = append(snis, h.SNI)
	}
	for {
		data, _, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			return snis, kinds, err
		}
		pkt := gopacket.NewPacket(data, lt, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
		// The innermost network and transport layers (tunnels nest).
		var src, dst string
		var t *layers.TCP
		var u *layers.UDP
		for _, l := range pkt.Layers() {
			switch l := l.(type) {
			case *layers.IPv4:
				src, dst = l.SrcIP.String(), l.DstIP.String()
			case *layers.IPv6:
				src, dst = l.SrcIP.String(), l.DstIP.String()
			case *layers.TCP:
				t, u = l, nil
			case *layers.UDP:
				t, u = nil, l
			}
		}
		switch {
		case t != nil && len(t.Payload) > 0:
			key := fmt.Sprintf("%s:%d>%s:%d", src, t.SrcPort, dst, t.DstPort)
			a := tcp[key]
			if a == nil {
				a = new(StreamAssembler)
				tcp[key] = a
			}
			if h, _ := a.Add(t.Seq, t.Payload); h != nil {
				found(h, "tcp")
			}
		case u != nil && len(u.Payload) > 0:
			key := fmt.Sprintf("%s:%d>%s:%d", src, u.SrcPort, dst, u.DstPort)
			if a := quic[key]; a != nil || LooksLikeQUICInitial(u.Payload) {
				if a == nil {
					a = new(QUICAssembler)
					quic[key] = a
				}
				if h, _ := a.Add(u.Payload); h != nil {
					found(h, "quic")
				}
			} else if a := dtls[key]; a != nil || LooksLikeDTLS(u.Payload) {
				if a == nil {
					a = new(DTLSAssembler)
					dtls[key] = a
				}
				if h, _ := a.Add(u.Payload); h != nil {
					found(h, "dtls")
				}
			}
		}
	}
	return snis, kinds, nil
}

// TestZeekParitySNI checks, for every corpus entry whose ssl.log has a
// server_name, that each server_name is found in a ClientHello of the
// trace.
func TestZeekParitySNI(t *testing.T) {
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("Zeek parity corpus not available at %s (it lives outside the repository): %v", corpusDir, err)
	}
	entries, err := filepath.Glob(filepath.Join(corpusDir, "*", "ssl.log"))
	if err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	fmt.Fprintf(&table, "%-72s %4s %8s %6s %6s  %s\n", "entry", "rows", "expected", "found", "exact", "hellos tcp/quic/dtls  missing")
	totalWant, totalFound, withSNI, exact := 0, 0, 0, 0
	for _, log := range entries {
		dir := filepath.Dir(log)
		name := filepath.Base(dir)
		rows, err := sslServerNames(log)
		if err != nil {
			t.Fatalf("%s: %v", log, err)
		}
		trace := filepath.Join(dir, "trace.pcap")
		if _, err := os.Stat(trace); err != nil {
			trace = filepath.Join(dir, "trace.pcapng")
		}
		got, kinds, err := traceSNIs(trace)
		if err != nil {
			t.Errorf("%s: reading trace: %v", name, err)
		}
		// exact: one ClientHello per ssl.log row with the same server_name
		// (unset in ssl.log = no SNI in the hello).
		same := slices.Equal(slices.Sorted(slices.Values(rows)), slices.Sorted(slices.Values(got)))
		if same {
			exact++
		}
		var want, missing []string
		for _, w := range rows {
			if w == "" {
				continue
			}
			want = append(want, w)
			if !slices.Contains(got, w) {
				missing = append(missing, w)
			}
		}
		if len(want) > 0 {
			withSNI++
		}
		totalWant += len(want)
		totalFound += len(want) - len(missing)
		fmt.Fprintf(&table, "%-72s %4d %8d %6d %6v  %d/%d/%d  %s\n", name, len(rows), len(want), len(want)-len(missing), same,
			kinds["tcp"], kinds["quic"], kinds["dtls"], strings.Join(missing, ","))
		if len(missing) > 0 {
			t.Errorf("%s: server_name not found: %q (found %q)", name, missing, got)
		} else if !same {
			t.Errorf("%s: ClientHello SNIs %q differ from ssl.log rows %q", name, got, rows)
		}
	}
	fmt.Fprintf(&table, "%d entries with ssl.log, %d with a server_name: %d/%d server_name values found; "+
		"%d/%d entries match row for row (one ClientHello per ssl.log row, same SNI or none)\n",
		len(entries), withSNI, totalFound, totalWant, exact, len(entries))
	t.Log("\n" + table.String())
}

// TestZeekParityOtherTraces runs every other corpus trace through the
// assemblers: nothing may panic, and ClientHellos found in traces without
// an ssl.log are listed (bare-mode runs do not load the SSL analyzer).
func TestZeekParityOtherTraces(t *testing.T) {
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("Zeek parity corpus not available at %s (it lives outside the repository): %v", corpusDir, err)
	}
	dirs, err := filepath.Glob(filepath.Join(corpusDir, "*", "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	var report strings.Builder
	n := 0
	for _, m := range dirs {
		dir := filepath.Dir(m)
		if _, err := os.Stat(filepath.Join(dir, "ssl.log")); err == nil {
			continue
		}
		trace := filepath.Join(dir, "trace.pcap")
		if _, err := os.Stat(trace); err != nil {
			trace = filepath.Join(dir, "trace.pcapng")
		}
		n++
		got, kinds, err := traceSNIs(trace)
		if err != nil {
			t.Logf("%s: %v", filepath.Base(dir), err)
		}
		if len(got) > 0 {
			fmt.Fprintf(&report, "%-72s hellos tcp/quic/dtls %d/%d/%d SNI %q\n", filepath.Base(dir), kinds["tcp"], kinds["quic"], kinds["dtls"], got)
		}
	}
	t.Logf("%d traces without ssl.log; ClientHellos found in:\n%s", n, report.String())
}
