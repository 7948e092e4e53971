package tls

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

type segment struct {
	seq  uint32
	data []byte
}

// segmentize cuts stream (starting at sequence number isn) into segments
// of size bytes.
func segmentize(isn uint32, stream []byte, size int) []segment {
	var segs []segment
	for off := 0; off < len(stream); off += size {
		segs = append(segs, segment{isn + uint32(off), stream[off:min(off+size, len(stream))]})
	}
	return segs
}

// feed runs segs through a fresh assembler and returns the ClientHello and
// the index of the segment that completed it.
func feed(t *testing.T, a *StreamAssembler, segs []segment) (*ClientHello, int) {
	t.Helper()
	for i, s := range segs {
		h, err := a.Add(s.seq, s.data)
		if err != nil {
			t.Fatalf("segment %d of %d (seq %d, %d bytes): %v", i, len(segs), s.seq, len(s.data), err)
		}
		if h != nil {
			return h, i
		}
	}
	return nil, -1
}

func TestStreamAssemblerOrders(t *testing.T) {
	recs := goClientHello(t, goHelloConfig())
	want, _, _ := ParseRecords(recs)
	fragmented := records(recs[5:], 100) // the same hello over many records
	rng := rand.New(rand.NewPCG(1, 2))
	for _, stream := range [][]byte{recs, fragmented} {
		for _, size := range []int{1, 2, 3, 5, 7, 64, 100, 536, 1460, len(stream)} {
			for _, isn := range []uint32{1000, 0xffffff00} { // and across the wrap
				segs := segmentize(isn, stream, size)
				orders := map[string][]segment{
					"in order": segs,
					"reversed": reversed(segs),
				}
				if size >= 16 { // random orders of tiny segments exceed the 128-hole bound
					orders["shuffled"] = shuffled(rng, segs)
					orders["dup+overlap"] = withOverlaps(rng, segs)
				}
				for name, order := range orders {
					var a StreamAssembler
					h, _ := feed(t, &a, order)
					if h == nil {
						t.Fatalf("size %d isn %d %s: no ClientHello (err %v)", size, isn, name, a.Err())
					}
					if h.SNI != want.SNI || h.JA4() != want.JA4() || !a.Done() || a.ClientHello() != h {
						t.Fatalf("size %d isn %d %s: wrong result %q", size, isn, name, h.SNI)
					}
					if h2, err := a.Add(isn, stream); h2 != nil || err != nil {
						t.Fatalf("Add after done: %v %v", h2, err)
					}
				}
			}
		}
	}
}

func shuffled(rng *rand.Rand, segs []segment) []segment {
	s := slices.Clone(segs)
	rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
	return s
}

// withOverlaps returns every segment twice, plus segments spanning two
// neighbours, in random order.
func withOverlaps(rng *rand.Rand, segs []segment) []segment {
	s := slices.Concat(segs, segs)
	for i := 0; i+1 < len(segs); i += 3 {
		s = append(s, segment{segs[i].seq, slices.Concat(segs[i].data, segs[i+1].data)})
	}
	return shuffled(rng, s)
}

// TestStreamAssemblerSTARTTLS: plaintext before the ClientHello, in several
// shapes, is skipped.
func TestStreamAssemblerSTARTTLS(t *testing.T) {
	recs := goClientHello(t, goHelloConfig())
	for _, c := range []struct {
		name   string
		before [][]byte // plaintext segments before the hello
		join   bool     // the last plaintext segment and the hello share a segment
	}{
		{"smtp", [][]byte{[]byte("EHLO client.example\r\n"), []byte("STARTTLS\r\n")}, false},
		{"postgres SSLRequest", [][]byte{{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}}, false},
		{"pipelined", [][]byte{[]byte("a1 STARTTLS\r\n")}, true},
		{"decoys", [][]byte{{0x16}, {0x16, 0x03}, {0x16, 0x03, 0x01, 0x00, 0x10, 0x01, 0, 0, 0x0c, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, []byte("x\x16\x03\x01")}, false},
		{"ldap", [][]byte{{0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16}, []byte("1.3.6.1.4.1.1466.20037")}, false},
	} {
		var stream []byte
		var segs []segment
		seq := uint32(5000)
		for i, p := range c.before {
			if c.join && i == len(c.before)-1 {
				p = slices.Concat(p, recs[:300])
				segs = append(segs, segment{seq, p})
				seq += uint32(len(p))
				stream = append(stream, p...)
				rest := segmentize(seq, recs[300:], 700)
				segs = append(segs, rest...)
				stream = append(stream, recs[300:]...)
				break
			}
			segs = append(segs, segment{seq, p})
			seq += uint32(len(p))
			stream = append(stream, p...)
		}
		if !c.join {
			segs = append(segs, segmentize(seq, recs, 700)...)
		}
		for _, order := range [][]segment{segs, reversed(segs)} {
			var a StreamAssembler
			h, _ := feed(t, &a, order)
			if h == nil || h.SNI != "www.example.org" {
				t.Errorf("%s: no ClientHello (err %v)", c.name, a.Err())
			}
		}
	}
}

func TestStreamAssemblerLimits(t *testing.T) {
	// Non-TLS data: gives up after MaxScan bytes with ErrNoClientHello,
	// exactly once, and keeps at most MaxPending bytes meanwhile.
	a := StreamAssembler{MaxScan: 10000, MaxPending: 1000}
	junk := make([]byte, 700)
	for i := range junk {
		junk[i] = byte('a' + i%26)
	}
	var gaveUp int
	for i := 0; i < 30; i++ {
		_, err := a.Add(uint32(i*700), junk)
		if len(a.r.buf) > 1000 {
			t.Fatalf("buffered %d bytes", len(a.r.buf))
		}
		if err != nil {
			if !errors.Is(err, ErrNoClientHello) {
				t.Fatal(err)
			}
			gaveUp++
		}
	}
	if gaveUp != 1 || !a.Done() || !errors.Is(a.Err(), ErrNoClientHello) {
		t.Errorf("gaveUp=%d done=%v err=%v", gaveUp, a.Done(), a.Err())
	}

	// Many candidates that fail: the failure budget ends the assembly.
	a = StreamAssembler{}
	var bad []byte
	for i := 0; i < 100; i++ {
		bad = append(bad, 22, 3, 1, 0, 6, 1, 0, 0, 200, 3, 3, 23) // then an application_data record
	}
	var err error
	for i := 0; i < 3 && err == nil; i++ {
		_, err = a.Add(uint32(i*len(bad)), bad)
	}
	if !errors.Is(err, ErrNoClientHello) {
		t.Errorf("failing candidates: err = %v", err)
	}
	// Too many holes: reported as too large, no unbounded growth.
	a = StreamAssembler{}
	recs := goClientHello(t, goHelloConfig())
	a.Add(0, recs[:10])
	for i := 0; i < 200; i++ {
		if _, err = a.Add(uint32(20+2*i), recs[20+2*i:21+2*i]); err != nil {
			break
		}
	}
	if !errors.Is(err, ErrTooLarge) || len(a.r.ivs) > maxHoles {
		t.Errorf("holes: err = %v, %d intervals", err, len(a.r.ivs))
	}
	// Reset makes the assembler usable again.
	a.Reset()
	if h, _ := feed(t, &a, segmentize(7, recs, 300)); h == nil {
		t.Error("no ClientHello after Reset")
	}
}

func TestReasm(t *testing.T) {
	var r reasm
	r.reset(100)
	must := func(off int, s string) {
		if err := r.write(off, []byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	must(10, "klm")
	must(0, "abc")
	if r.contiguous() != 3 || len(r.ivs) != 2 {
		t.Fatalf("contiguous %d ivs %v", r.contiguous(), r.ivs)
	}
	must(3, "defghij")
	if r.contiguous() != 13 || string(r.buf[:13]) != "abcdefghijklm" || len(r.ivs) != 1 {
		t.Fatalf("got %q %v", r.buf, r.ivs)
	}
	must(95, "0123456789") // clipped at the limit
	if len(r.buf) != 100 {
		t.Fatalf("len %d", len(r.buf))
	}
	must(200, "x") // beyond the limit: dropped
	r.shift(2)
	if r.contiguous() != 11 || string(r.buf[:11]) != "cdefghijklm" || r.ivs[1] != (interval{93, 98}) {
		t.Fatalf("after shift: %q %v", r.buf[:11], r.ivs)
	}
}

func reversed(segs []segment) []segment {
	s := slices.Clone(segs)
	slices.Reverse(s)
	return s
}
