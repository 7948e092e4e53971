package decode

import (
	"math/rand"
	"net"
	"testing"
)

// fuzzLinkTypes maps the first input byte to a link type.
var fuzzLinkTypes = [...]int{LinkEthernet, LinkRaw, LinkNull, LinkLoop, LinkLinuxSLL, LinkLinuxSLL2,
	LinkPPP, LinkPPPHDLC, LinkIEEE80211, LinkRadiotap, LinkIPv4, LinkIPv6, LinkRawDLT12, 147}

func linkIndex(lt int) byte {
	for i, v := range fuzzLinkTypes {
		if v == lt {
			return byte(i)
		}
	}
	return 0
}

// invariants checks what must hold for any input.
func invariants(t *testing.T, p *Packet, data []byte) {
	t.Helper()
	if p.N < 0 || p.N > MaxLayers {
		t.Fatalf("N = %d", p.N)
	}
	if int(p.Anomaly) >= NumAnomalies {
		t.Fatalf("anomaly %d", p.Anomaly)
	}
	for i := 0; i < p.N; i++ {
		L := &p.Layers[i]
		if len(L.Payload) > int(L.PayloadLen) && L.Session {
			t.Fatalf("layer %d: payload %d > PayloadLen %d", i, len(L.Payload), L.PayloadLen)
		}
		if i == 0 && L.Tunnel != TunnelNone || i > 0 && L.Tunnel == TunnelNone {
			t.Fatalf("layer %d: tunnel %s", i, L.Tunnel)
		}
	}
}

func fuzzSeeds() [][]byte {
	o1, o2 := net.IP{192, 168, 1, 1}, net.IP{192, 168, 1, 2}
	frags := fragment4(udp4(ipA, ipB, 7, 9, make([]byte, 100)), 48)
	seeds := [][]byte{
		ethIP(tcpAB), ethIP(udpAB), ethIP(tcp6AB), ethIP(icmp6(ip6A, ip6B, 128, 0)),
		eth(0x8100, cat(vlanTag(10, 0x8847), u32(16<<12|1<<8|64), tcpAB)),
		ethIP(udp4(o1, o2, 1, portVXLAN, cat(vxlanHdr(1), ethIP(tcpAB)))),
		ethIP(udp4(o1, o2, 1, portGeneve, cat([]byte{1, 0}, u16(0x6558), u32(0), make([]byte, 4), ethIP(tcpAB)))),
		ethIP(udp4(o1, o2, 1, portTeredo, tcp6AB)),
		ethIP(udp4(o1, o2, portGTPU, portGTPU, cat([]byte{0x30, 0xff}, u16(uint16(len(tcpAB))), u32(1), tcpAB))),
		ethIP(rawIP4(o1, o2, protoGRE, cat(u16(0x1000), u16(0x22eb), u32(1), []byte{0x20, 0, 0, 1}, make([]byte, 8), ethIP(tcpAB)))),
		ethIP(rawIP4(o1, o2, protoGRE, cat(u16(0x3001), u16(0x880b), u16(0), u16(5), u32(1), []byte{0xff, 3, 0, 0x21}, tcpAB))),
		ethIP(rawIP4(o1, o2, protoIPv6, tcp6AB)),
		ethIP(frags[0]), ethIP(frags[1]),
		ethIP(fragment6(udp6(ip6A, ip6B, 1, 2, make([]byte, 64)), 32, 9)[0]),
	}
	var out [][]byte
	for _, s := range seeds {
		out = append(out, cat([]byte{linkIndex(LinkEthernet)}, s))
	}
	out = append(out, cat([]byte{linkIndex(LinkRaw)}, tcpAB))
	return out
}

// FuzzDecode decodes arbitrary input; the first byte picks the link type.
// Seeds: hand-built frames and, when the corpus is present, frames of every
// corpus trace.
func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	for _, e := range corpusEntriesQuiet() {
		frames, _ := readFrames(e.trace)
		for i, fr := range frames {
			if i >= 8 {
				break
			}
			f.Add(cat([]byte{linkIndex(fr.lt)}, fr.data))
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		lt := fuzzLinkTypes[int(in[0])%len(fuzzLinkTypes)]
		data := in[1:]
		var p Packet
		for _, o := range []Options{{}, {IgnoreChecksums: true, MaxTunnelDepth: 100}} {
			d := New(o)
			d.Decode(lt, 1, data, len(data), &p)
			invariants(t, &p, data)
			d.Decode(lt, 2, data, len(data)+1000, &p)
			invariants(t, &p, data)
		}
	})
}

// corpusEntriesQuiet lists corpus traces, or nothing when absent.
func corpusEntriesQuiet() []*corpusEntry {
	out, _ := corpusList()
	return out
}

// TestMutatedCorpus decodes random byte flips and truncations of corpus
// frames (or of the hand-built seeds) and expects no panic.
func TestMutatedCorpus(t *testing.T) {
	var frames []rawFrame
	for _, e := range corpusEntriesQuiet() {
		fs, _ := readFrames(e.trace)
		if len(fs) > 200 {
			fs = fs[:200]
		}
		frames = append(frames, fs...)
	}
	for _, s := range fuzzSeeds() {
		frames = append(frames, rawFrame{lt: fuzzLinkTypes[s[0]], data: s[1:], wire: len(s) - 1})
	}
	rng := rand.New(rand.NewSource(1))
	d := New(Options{})
	dc := New(Options{IgnoreChecksums: true})
	var p Packet
	buf := make([]byte, 0, 70000)
	for round := 0; round < 4; round++ {
		for i, fr := range frames {
			buf = append(buf[:0], fr.data...)
			switch rng.Intn(3) {
			case 0: // flip a few bytes
				for k := rng.Intn(4) + 1; k > 0 && len(buf) > 0; k-- {
					buf[rng.Intn(len(buf))] ^= byte(rng.Intn(255) + 1)
				}
			case 1: // truncate
				if len(buf) > 0 {
					buf = buf[:rng.Intn(len(buf))]
				}
			default: // flip within the first 64 bytes (headers) and truncate
				for k := rng.Intn(3) + 1; k > 0 && len(buf) > 0; k-- {
					buf[rng.Intn(min(64, len(buf)))] = byte(rng.Intn(256))
				}
				if len(buf) > 20 && rng.Intn(2) == 0 {
					buf = buf[:len(buf)-rng.Intn(20)]
				}
			}
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("frame %d round %d: panic %v on %x", i, round, r, buf)
					}
				}()
				d.Decode(fr.lt, int64(i), buf, max(fr.wire, len(buf)), &p)
				invariants(t, &p, buf)
				dc.Decode(fr.lt, int64(i), buf, len(buf), &p)
				invariants(t, &p, buf)
			}()
		}
	}
}
