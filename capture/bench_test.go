package capture

import (
	"bufio"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/gopacket/pcapgo"
)

const benchFrames = 100_000

// benchRecs returns benchFrames frames with a typical size mix (ACKs,
// mid-sized and full-sized segments), about 700 bytes on average.
func benchRecs() ([]rec, int) {
	sizes := []int{60, 66, 590, 1514, 1514, 128, 1514, 74}
	recs := make([]rec, benchFrames)
	buf := make([]byte, 1514)
	for i := range buf {
		buf[i] = byte(i)
	}
	total := 0
	for i := range recs {
		n := sizes[i%len(sizes)]
		recs[i] = rec{ts: t0 + int64(i)*10_000, data: buf[:n]}
		total += n
	}
	return recs, total / benchFrames
}

// benchFile writes a synthetic capture of benchFrames frames.
func benchFile(b *testing.B, name string, gen func([]rec) []byte) (string, int) {
	b.Helper()
	recs, avg := benchRecs()
	p := filepath.Join(b.TempDir(), name)
	if err := os.WriteFile(p, gen(recs), 0o644); err != nil {
		b.Fatal(err)
	}
	return p, avg
}

// benchNext reads b.N frames, reopening the input at its end.
func benchNext(b *testing.B, open func() Source, avg int) {
	s := open()
	b.SetBytes(int64(avg))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := s.Next()
		if err == io.EOF {
			s.Close()
			s = open()
			f, err = s.Next()
		}
		if err != nil || len(f.Data) == 0 {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	s.Close()
}

func BenchmarkNext(b *testing.B) {
	pcapLE := func(r []rec) []byte { return pcapBytes(binary.LittleEndian, false, 1, r) }
	for _, tc := range []struct {
		name string
		gen  func([]rec) []byte
	}{
		{"pcap", pcapLE},
		{"pcap-ns-be", func(r []rec) []byte { return pcapBytes(binary.BigEndian, true, 1, r) }},
		{"pcapng", ngBytes},
		{"pcap.gz", func(r []rec) []byte { return gzipBytes(pcapLE(r)) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			p, avg := benchFile(b, "bench", tc.gen)
			benchNext(b, func() Source {
				s, err := Open(p)
				if err != nil {
					b.Fatal(err)
				}
				return s
			}, avg)
		})
	}
	b.Run("merge-2-pcap", func(b *testing.B) {
		p1, avg := benchFile(b, "a", func(r []rec) []byte { return pcapBytes(binary.LittleEndian, false, 1, r) })
		p2, _ := benchFile(b, "b", func(r []rec) []byte {
			for i := range r {
				r[i].ts += 5_000
			}
			return pcapBytes(binary.LittleEndian, false, 1, r)
		})
		benchNext(b, func() Source {
			s, err := OpenAll([]string{p1, p2}, nil)
			if err != nil {
				b.Fatal(err)
			}
			return s
		}, avg)
	})
}

// BenchmarkPcapgo is the reference: gopacket's pcapgo.Reader over the same
// file, with ZeroCopyReadPacketData.
func BenchmarkPcapgo(b *testing.B) {
	p, avg := benchFile(b, "bench.pcap", func(r []rec) []byte { return pcapBytes(binary.LittleEndian, false, 1, r) })
	var f *os.File
	var r *pcapgo.Reader
	open := func() {
		if f != nil {
			f.Close()
		}
		var err error
		if f, err = os.Open(p); err != nil {
			b.Fatal(err)
		}
		if r, err = pcapgo.NewReader(bufio.NewReaderSize(f, 1<<18)); err != nil {
			b.Fatal(err)
		}
	}
	open()
	b.SetBytes(int64(avg))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, _, err := r.ZeroCopyReadPacketData()
		if err == io.EOF {
			open()
			_, _, err = r.ZeroCopyReadPacketData()
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	f.Close()
}

func BenchmarkMatch(b *testing.B) {
	pkts := testPackets(b)
	for _, tc := range []struct {
		name, expr string
		pkt        int
	}{
		{"tcp-port-443", "tcp port 443", 0},
		{"tcp-port-443-miss", "tcp port 443", 1},
		{"complex", "(tcp port 80 or tcp port 443 or udp port 53) and not net 192.168.0.0/16", 0},
		{"vlan-and-tcp", "vlan and tcp", 4},
	} {
		b.Run(tc.name, func(b *testing.B) {
			f, err := NewFilter(tc.expr)
			if err != nil {
				b.Fatal(err)
			}
			fr := frameFor(pkts[tc.pkt], 1)
			want := f.Match(1, fr, len(fr))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if f.Match(1, fr, len(fr)) != want {
					b.Fatal("verdict changed")
				}
			}
		})
	}
}
