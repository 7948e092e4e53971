package tls

import (
	"testing"
)

// fuzzHellos returns ClientHello handshake messages used as seeds.
func fuzzHellos(f *testing.F) [][]byte {
	msgs := [][]byte{
		unhex(rfcClientHelloCrypto)[4:],
		goClientHello(f, goHelloConfig())[5:],
		fpInput{
			ciphers: withGREASE(0x0a0a, chromeCiphers),
			exts:    withGREASE(0x1a1a, []uint16{0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015}),
			sigs:    []uint16{0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601},
			sni:     "example.com",
			alpn:    []string{"h2", "http/1.1"},
		}.spec().msg(),
		helloSpec{version: 0x0301, ciphers: []uint16{4, 5, 10}, noExts: true}.msg(),
	}
	return msgs
}

// FuzzClientHello drives every TCP-side entry point with the same bytes:
// the handshake parser, the record parser and the stream assembler (input
// cut into segments whose sizes come from the data, fed in order and
// reversed). Nothing may panic, and the assembler must agree with
// ParseRecords when the input starts with a plausible ClientHello record.
func FuzzClientHello(f *testing.F) {
	for _, p := range corpusPayloads(f, 64, func(p []byte, udp bool) bool { return !udp && LooksLikeTLS(p) }) {
		f.Add(p)
	}
	for _, m := range fuzzHellos(f) {
		f.Add(m)
		f.Add(records(m, 0))
		f.Add(records(m, 97))
		f.Add(append([]byte("STARTTLS\r\n"), records(m, 0)...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if h, err := ParseClientHello(data); err == nil {
			checkFingerprints(t, h)
		} else if h != nil {
			t.Fatal("result with error")
		}
		var c ClientHello
		c.Parse(data)
		c.ParseBody(data, true)
		h, need, err := ParseRecords(data)
		if (h != nil) == (need > 0 || err != nil) || (need > 0 && err != nil) {
			t.Fatalf("ParseRecords: h=%v need=%d err=%v", h != nil, need, err)
		}
		if h != nil {
			checkFingerprints(t, h)
		}
		for _, rev := range []bool{false, true} {
			var segs []segment
			for off, i := 0, 0; off < len(data); i++ {
				n := 1 + int(data[i%len(data)])%211
				segs = append(segs, segment{uint32(0xfffff000 + off), data[off:min(off+n, len(data))]})
				off += n
			}
			if rev {
				segs = reversed(segs)
			}
			var a StreamAssembler
			var got *ClientHello
			for _, s := range segs {
				if g, _ := a.Add(s.seq, s.data); g != nil {
					got = g
				}
			}
			if !rev && h != nil && LooksLikeClientHello(data) && len(data) <= DefaultMaxPending {
				if got == nil || got.JA4() != h.JA4() || got.SNI != h.SNI {
					t.Fatalf("assembler disagrees with ParseRecords: %v (err %v)", got != nil, a.Err())
				}
			}
		}
	})
}

func checkFingerprints(t *testing.T, h *ClientHello) {
	if ja4 := h.JA4(); len(ja4) != 36 {
		t.Fatalf("JA4 %q has length %d", ja4, len(ja4))
	}
	h.JA4R()
	h.JA4RO()
	h.JA4O()
	if _, hash := h.JA3(); len(hash) != 32 {
		t.Fatalf("JA3 hash %q", hash)
	}
}

// FuzzQUICInitial feeds raw datagrams to the QUIC parsers, and also seals
// the input as the plaintext payload of a valid v1 Initial so that the
// frame parser and CRYPTO reassembly are reached behind the AEAD.
func FuzzQUICInitial(f *testing.F) {
	for _, p := range corpusPayloads(f, 32, func(p []byte, udp bool) bool { return udp && LooksLikeQUICInitial(p) }) {
		f.Add(p)
	}
	f.Add(unhex(rfc9001ClientInitial))
	f.Add(unhex(rfc9369ClientInitial))
	msg := unhex(rfcClientHelloCrypto)[4:]
	f.Add(unhex(rfcClientHelloCrypto))
	f.Add(append(cryptoFrame(100, msg[100:]), cryptoFrame(0, msg[:100])...))
	f.Add([]byte{0x02, 0x05, 0x00, 0x01, 0x00, 0x02, 0x00, 0x1c, 0x00, 0x00, 0x01, 'x'})
	f.Fuzz(func(t *testing.T, data []byte) {
		LooksLikeQUICInitial(data)
		if h, err := ParseQUICInitial(data); err == nil {
			checkFingerprints(t, h)
		}
		var a QUICAssembler
		a.Add(data)
		a.Add(data)
		sealed := sealInitial(t, QUICv1, rfcDCID, nil, 0, data, 4)
		h, err := ParseQUICInitial(sealed)
		if err == nil {
			checkFingerprints(t, h)
			if !h.QUIC || h.QUICVersion != QUICv1 {
				t.Fatal("QUIC flags not set")
			}
		} else if h != nil {
			t.Fatal("result with error")
		}
	})
}

// FuzzDTLS feeds datagrams to the DTLS parser and assembler.
func FuzzDTLS(f *testing.F) {
	for _, p := range corpusPayloads(f, 32, func(p []byte, udp bool) bool { return udp && LooksLikeDTLS(p) }) {
		f.Add(p)
	}
	body := dtlsHelloBody([]byte{1, 2, 3, 4})
	f.Add(dtlsRecord(0xfeff, 0, dtlsFragment(body, 0, 0, len(body))))
	f.Add(dtlsRecord(0xfefd, 0, dtlsFragment(body, 1, 0, 40), dtlsFragment(body, 1, 40, len(body)-40)))
	f.Add(dtlsRecord(0xfefd, 0, dtlsFragment(body, 0, 30, 50)))
	f.Fuzz(func(t *testing.T, data []byte) {
		LooksLikeDTLS(data)
		if h, err := ParseDTLS(data); err == nil {
			checkFingerprints(t, h)
			if !h.DTLS {
				t.Fatal("DTLS flag not set")
			}
		} else if h != nil {
			t.Fatal("result with error")
		}
		var a DTLSAssembler
		a.Add(data)
		if len(data) > 20 {
			a.Add(data[20:])
			a.Add(data[:20])
		}
	})
}
