package capture

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/iotest"

	"github.com/google/gopacket"
	"github.com/google/gopacket/pcap"
)

// readSummary reads a whole Source into a comparable summary.
func readSummary(t *testing.T, s Source) ([]Frame, error) {
	var fs []Frame
	for n := uint64(1); ; n++ {
		f, err := s.Next()
		if err != nil {
			if err != io.EOF && asReadError(err) == nil {
				t.Fatalf("Next returned %T %v, want io.EOF or *ReadError", err, err)
			}
			return fs, err
		}
		if len(f.Data) > MaxCaplen || f.Num != n || f.Input != "fuzz" {
			t.Fatalf("bad frame %d: len %d num %d input %q", n, len(f.Data), f.Num, f.Input)
		}
		if len(fs) < 100_000 {
			fs = append(fs, frameCopy(f))
		}
	}
}

// FuzzOpen feeds arbitrary bytes to the readers: they must never panic, must
// end in io.EOF or a *ReadError, and must give the same result whether the
// input arrives in one piece or byte by byte.
func FuzzOpen(f *testing.F) {
	ng, _, _ := buildNg()
	recs := testRecs(5, t0)
	for _, seed := range [][]byte{
		pcapBytes(binary.LittleEndian, false, 1, recs),
		pcapBytes(binary.BigEndian, true, 101, recs),
		ng,
		ngBytes(recs[:2]),
		gzipBytes(pcapBytes(binary.LittleEndian, true, 1, recs[:3])),
		gzipBytes(ngBytes(recs[:2])),
		{0x0a, 0x0d, 0x0d, 0x0a},
		{},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := NewReader("fuzz", bytes.NewReader(data))
		if err != nil {
			if _, err2 := NewReader("fuzz", iotest.OneByteReader(bytes.NewReader(data))); err2 == nil || err2.Error() != err.Error() {
				t.Fatalf("Open: %v; byte by byte: %v", err, err2)
			}
			return
		}
		fs, err := readSummary(t, s)
		s2, err2 := NewReader("fuzz", iotest.OneByteReader(bytes.NewReader(data)))
		if err2 != nil {
			t.Fatalf("byte by byte Open failed: %v", err2)
		}
		fs2, err2 := readSummary(t, s2)
		if len(fs) != len(fs2) || err.Error() != err2.Error() {
			t.Fatalf("whole: %d frames, %v; byte by byte: %d frames, %v", len(fs), err, len(fs2), err2)
		}
		for i := range fs {
			a, b := fs[i], fs2[i]
			if a.TS != b.TS || a.LinkType != b.LinkType || a.WireLen != b.WireLen || !bytes.Equal(a.Data, b.Data) {
				t.Fatalf("frame %d differs", i+1)
			}
		}
	})
}

// definitelyStored reports whether every scratch load of a validated
// program follows a store to that slot on every path. libpcap leaves scratch
// memory uninitialized, so only such programs have a defined result there.
func definitelyStored(raw []bpfInsn, p *program) bool {
	in := make([]uint16, len(raw))
	for i := range in {
		in[i] = 0xffff
	}
	in[0] = 0
	for i, ins := range p.ins {
		s := in[i]
		switch ins.op {
		case opSt, opStx:
			s |= 1 << ins.k
		case opLdMem, opLdxMem:
			if s&(1<<ins.k) == 0 {
				return false
			}
		}
		next := func(j int) { in[j] &= s }
		switch ins.op {
		case opRetK, opRetA:
		case opJa:
			next(i + 1 + int(ins.k))
		case opJeqK, opJgtK, opJgeK, opJsetK, opJeqX, opJgtX, opJgeX, opJsetX:
			next(i + 1 + int(ins.jt))
			next(i + 1 + int(ins.jf))
		default:
			next(i + 1)
		}
	}
	return true
}

// libpcapHandle opens a tiny capture with libpcap, for its BPF interpreter.
func libpcapHandle(t testing.TB) *pcap.Handle {
	p := filepath.Join(t.TempDir(), "h.pcap")
	if err := os.WriteFile(p, pcapBytes(binary.LittleEndian, false, 1, nil), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := pcap.OpenOffline(p)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func progBytes(raw []bpfInsn) []byte {
	b := make([]byte, 8*len(raw))
	for i, r := range raw {
		binary.LittleEndian.PutUint16(b[8*i:], r.Code)
		b[8*i+2], b[8*i+3] = r.Jt, r.Jf
		binary.LittleEndian.PutUint32(b[8*i+4:], r.K)
	}
	return b
}

// FuzzFilter runs arbitrary classic BPF programs over arbitrary packets: the
// validator must keep the interpreter from panicking, and on programs with a
// defined result the verdict must equal libpcap's own interpreter.
func FuzzFilter(f *testing.F) {
	pkts := testPackets(f)
	for i, expr := range []string{"tcp port 443", "vlan and udp", "ip6 and tcp", "tcp[13] & 2 != 0", "greater 100", "ip[2:2] > 40 and not port 22"} {
		raw, err := compileExpr(1, expr)
		if err != nil {
			f.Fatal(err)
		}
		fr := frameFor(pkts[i%len(pkts)], 1)
		f.Add(progBytes(raw), fr, uint32(len(fr)))
	}
	f.Add(progBytes([]bpfInsn{{Code: 0x01, K: 0xfffffffe}, {Code: 0x48, K: 3}, {Code: 0x16}}), []byte{1, 2, 3, 4, 5}, uint32(5))
	f.Add(append(progBytes([]bpfInsn{{Code: 7, K: 3}, {Code: 300, Jt: 9, K: 12}, {Code: 99, K: 7}, {Code: 12}, {Code: 1}}), 0), []byte{9, 8, 7, 6, 5, 4, 3, 2, 1}, uint32(1500))
	h := libpcapHandle(f)
	defer h.Close()
	f.Fuzz(func(t *testing.T, prog, pkt []byte, wirelen uint32) {
		if len(prog) > 8*256 {
			prog = prog[:8*256]
		}
		raw := make([]bpfInsn, len(prog)/8)
		for i := range raw {
			b := prog[8*i:]
			raw[i] = bpfInsn{Code: binary.LittleEndian.Uint16(b), Jt: b[2], Jf: b[3], K: binary.LittleEndian.Uint32(b[4:])}
		}
		if len(prog)%8 == 1 {
			// One spare byte: repair the program into a valid one, so that
			// the fuzzer explores the interpreter rather than the validator.
			repair(raw)
		}
		p, err := compileProgram(raw)
		if err != nil {
			return
		}
		got := p.run(pkt, wirelen) != 0
		if len(pkt) == 0 || !definitelyStored(raw, p) {
			return
		}
		ins := make([]pcap.BPFInstruction, len(raw))
		for i, r := range raw {
			ins[i] = pcap.BPFInstruction{Code: r.Code, Jt: r.Jt, Jf: r.Jf, K: r.K}
		}
		o, err := h.NewBPFInstructionFilter(ins)
		if err != nil {
			t.Fatal(err)
		}
		want := o.Matches(gopacket.CaptureInfo{CaptureLength: len(pkt), Length: int(wirelen)}, pkt)
		if got != want {
			t.Fatalf("program %v on %x (wirelen %d): ours %v, libpcap %v", raw, pkt, wirelen, got, want)
		}
	})
}

// repair turns arbitrary instructions into a valid program: known opcodes,
// in-range jumps, scratch slots and shifts, non-zero constant divisors, and
// a final return.
func repair(raw []bpfInsn) {
	codes := make([]uint16, 0, len(codeOps))
	for c := range codeOps {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	n := len(raw)
	for i := range raw {
		r := &raw[i]
		r.Code = codes[int(r.Code)%len(codes)]
		left := n - i - 1 // instructions after this one
		if i == n-1 {
			r.Code = []uint16{0x06, 0x16}[r.K%2]
		}
		switch codeOps[r.Code] {
		case opLdMem, opLdxMem, opSt, opStx:
			r.K %= 16
		case opLshK, opRshK:
			r.K %= 32
		case opDivK, opModK:
			r.K |= 1
		case opJa:
			r.K %= uint32(max(left, 1))
		case opJeqK, opJgtK, opJgeK, opJsetK, opJeqX, opJgtX, opJgeX, opJsetX:
			r.Jt = uint8(int(r.Jt) % max(left, 1))
			r.Jf = uint8(int(r.Jf) % max(left, 1))
		}
	}
}
