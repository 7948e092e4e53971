package decode

import "testing"

// BenchmarkDecode decodes corpus frames round robin (synthetic frames when
// the corpus is absent). One op is one frame; it must report 0 allocs/op.
func BenchmarkDecode(b *testing.B) {
	var frames []rawFrame
	for _, e := range corpusEntriesQuiet() {
		fs, _ := readFrames(e.trace)
		frames = append(frames, fs...)
		if len(frames) > 20000 {
			break
		}
	}
	if len(frames) == 0 {
		for _, s := range fuzzSeeds() {
			frames = append(frames, rawFrame{lt: fuzzLinkTypes[s[0]], data: s[1:], wire: len(s) - 1})
		}
	}
	d := New(Options{})
	var p Packet
	for _, fr := range frames { // warm up fragment buffers
		d.Decode(fr.lt, fr.ts, fr.data, fr.wire, &p)
	}
	bytes := 0
	for _, fr := range frames {
		bytes += len(fr.data)
	}
	b.SetBytes(int64(bytes / len(frames)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fr := &frames[i%len(frames)]
		d.Decode(fr.lt, fr.ts, fr.data, fr.wire, &p)
	}
}

// BenchmarkDecodeTCP is the common case: one Ethernet/IPv4/TCP frame.
func BenchmarkDecodeTCP(b *testing.B) {
	f := ethIP(tcp4(ipA, ipB, 1234, 80, make([]byte, 1400)))
	d := New(Options{})
	var p Packet
	b.SetBytes(int64(len(f)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		d.Decode(LinkEthernet, 1, f, len(f), &p)
	}
}
