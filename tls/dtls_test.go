package tls

import (
	"errors"
	"slices"
	"testing"
)

// dtlsHelloBody is a DTLS 1.2 ClientHello body with a cookie, built from the
// JA4.md example lists.
func dtlsHelloBody(cookie []byte) []byte {
	s := fpInput{
		version: 0xfefd,
		ciphers: []uint16{0xc02b, 0xc02f, 0x00ff},
		exts:    []uint16{ExtServerName, ExtSupportedGroups, ExtECPointFormats, ExtSignatureAlgorithms, ExtALPN},
		sigs:    []uint16{0x0403, 0x0804},
		sni:     "dtls.example",
		alpn:    []string{"webrtc"},
	}.spec()
	s.dtls, s.cookie = true, cookie
	return s.body()
}

func TestParseDTLS(t *testing.T) {
	body := dtlsHelloBody([]byte{1, 2, 3, 4})
	dgram := dtlsRecord(0xfeff, 0, dtlsFragment(body, 0, 0, len(body)))
	if !LooksLikeDTLS(dgram) {
		t.Error("LooksLikeDTLS = false")
	}
	h, err := ParseDTLS(dgram)
	if err != nil {
		t.Fatal(err)
	}
	if !h.DTLS || h.SNI != "dtls.example" || h.Version != 0xfefd || h.RecordVersion != 0xfeff || !slices.Equal(h.ALPN, []string{"webrtc"}) {
		t.Errorf("%+v", h)
	}
	// JA4 by hand (JA4.md): d (DTLS), d2 (legacy_version fefd, no
	// supported_versions), d (SNI), 03 ciphers, 05 extensions, "wc" (first
	// and last of "webrtc"); raw lists sorted, SNI and ALPN dropped.
	if got, want := h.JA4R(), "dd2d0305wc_00ff,c02b,c02f_000a,000b,000d_0403,0804"; got != want {
		t.Errorf("JA4_r = %s, want %s", got, want)
	}
	full, _ := h.JA3()
	if full != "65277,49195-49199-255,0-10-11-13-16,29-23-24,0" {
		t.Errorf("JA3 = %s", full)
	}

	// Fragmented over three datagrams, out of order, plus a retransmission;
	// the second ClientHello (message_seq 1, after HelloVerifyRequest)
	// replaces an incomplete first one.
	var a DTLSAssembler
	first := dtlsHelloBody(nil)
	if h, err := a.Add(dtlsRecord(0xfeff, 0, dtlsFragment(first, 0, 0, 50))); h != nil || err != nil {
		t.Fatalf("first hello fragment: %v %v", h, err)
	}
	n := len(body)
	d1 := dtlsRecord(0xfefd, 1, dtlsFragment(body, 1, 0, 40))
	d2 := dtlsRecord(0xfefd, 2, dtlsFragment(body, 1, 40, 30), dtlsFragment(body, 1, 70, 10))
	d3 := slices.Concat(dtlsRecord(0xfefd, 3, dtlsFragment(body, 1, 80, n-80)), []byte{23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 4, 0, 2, 9, 9})
	for _, d := range [][]byte{d3, d1, d3} {
		if h, err := a.Add(d); h != nil || err != nil {
			t.Fatalf("partial: %v %v", h, err)
		}
	}
	if _, err := ParseDTLS(d3); !errors.Is(err, ErrIncomplete) {
		t.Errorf("one-shot partial: %v", err)
	}
	h, err = a.Add(d2)
	if err != nil || h == nil || h.SNI != "dtls.example" || !a.Done() {
		t.Fatalf("assembled: %v %v", h, err)
	}

	// Truncation at every byte: an error, never a panic or a result.
	for i := 0; i < len(dgram); i++ {
		if h, err := ParseDTLS(dgram[:i]); err == nil || h != nil {
			t.Fatalf("prefix %d parsed", i)
		}
	}
	// Hostile fragment headers.
	for _, c := range []struct {
		name string
		d    []byte
		want error
	}{
		{"not DTLS", []byte("GET / HTTP/1.1\r\nHost: x\r\n"), ErrNotClientHello},
		{"record length past end", dtlsRecord(0xfefd, 0, dtlsFragment(body, 0, 0, n))[:40], ErrMalformed},
		{"fragment past message", patchAt(dtlsRecord(0xfefd, 0, dtlsFragment(body, 0, 0, 20)), 13+6, 0, 0xff, 0), ErrMalformed},
		{"message too large", patchAt(dtlsRecord(0xfefd, 0, dtlsFragment(body, 0, 0, 20)), 13+1, 0x10, 0, 0), ErrTooLarge},
		{"short fragment header", dtlsRecord(0xfefd, 0, []byte{1, 0, 0}), ErrMalformed},
		{"no handshake", []byte{23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0}, ErrNotClientHello},
		{"garbage hello", dtlsRecord(0xfefd, 0, dtlsFragment(make([]byte, 50), 0, 0, 50)), ErrMalformed},
	} {
		if _, err := ParseDTLS(c.d); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
}

func patchAt(b []byte, off int, vals ...byte) []byte {
	b = slices.Clone(b)
	copy(b[off:], vals)
	return b
}
