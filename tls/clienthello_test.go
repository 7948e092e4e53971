package tls

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestGoClientHello parses a ClientHello produced by crypto/tls and checks
// it against the client configuration.
func TestGoClientHello(t *testing.T) {
	recs := goClientHello(t, goHelloConfig())
	if !LooksLikeTLS(recs) || !LooksLikeClientHello(recs) {
		t.Error("LooksLikeTLS/LooksLikeClientHello = false")
	}
	h, need, err := ParseRecords(recs)
	if err != nil || need != 0 {
		t.Fatalf("ParseRecords: need=%d err=%v", need, err)
	}
	if h.SNI != "www.example.org" {
		t.Errorf("SNI = %q", h.SNI)
	}
	if !slices.Equal(h.ALPN, []string{"h2", "http/1.1"}) {
		t.Errorf("ALPN = %q", h.ALPN)
	}
	if !slices.Contains(h.SupportedVersions, 0x0304) || !slices.Contains(h.SupportedVersions, 0x0303) {
		t.Errorf("SupportedVersions = %04x", h.SupportedVersions)
	}
	if h.Version != 0x0303 || h.RecordVersion != 0x0301 || h.MaxVersion() != 0x0304 {
		t.Errorf("Version=%04x RecordVersion=%04x MaxVersion=%04x", h.Version, h.RecordVersion, h.MaxVersion())
	}
	for _, e := range []uint16{ExtServerName, ExtALPN, ExtSupportedVersions, ExtSignatureAlgorithms, ExtSupportedGroups} {
		if !h.HasExtension(e) {
			t.Errorf("extension %04x missing from %04x", e, h.Extensions)
		}
	}
	if !slices.Contains(h.CipherSuites, 0x1301) || len(h.SignatureAlgorithms) == 0 || len(h.SupportedGroups) == 0 {
		t.Errorf("ciphers %04x sigalgs %04x groups %04x", h.CipherSuites, h.SignatureAlgorithms, h.SupportedGroups)
	}
	if ja4 := h.JA4(); !strings.HasPrefix(ja4, "t13d") || ja4[8:10] != "h2" || len(ja4) != 36 {
		t.Errorf("JA4 = %s", ja4)
	}
	// The same message through ParseClientHello.
	h2, err := ParseClientHello(recs[5:])
	if err != nil || h2.JA4() != h.JA4() || h2.SNI != h.SNI {
		t.Errorf("ParseClientHello: %v", err)
	}
}

// TestParseRecordsFragmented splits one ClientHello into records of every
// size from 1 byte up; the result must not change, and every prefix must
// report a correct lower bound of the missing bytes.
func TestParseRecordsFragmented(t *testing.T) {
	msg := goClientHello(t, goHelloConfig())[5:]
	want, err := ParseClientHello(msg)
	if err != nil {
		t.Fatal(err)
	}
	var c ClientHello
	var scratch []byte
	for frag := 1; frag <= len(msg)+1; frag += 1 + frag/8 {
		recs := records(msg, frag)
		need, err := c.ParseRecords(recs, &scratch)
		if err != nil || need != 0 {
			t.Fatalf("frag %d: need=%d err=%v", frag, need, err)
		}
		if c.JA4() != want.JA4() || c.SNI != want.SNI || !slices.Equal(c.Extensions, want.Extensions) {
			t.Fatalf("frag %d: different result", frag)
		}
		if frag > 64 {
			continue
		}
		for i := 0; i < len(recs); i++ {
			h, need, err := ParseRecords(recs[:i])
			if h != nil || err != nil || need <= 0 || i+need > len(recs) {
				t.Fatalf("frag %d, prefix %d of %d: h=%v need=%d err=%v", frag, i, len(recs), h != nil, need, err)
			}
		}
	}
}

// TestTruncatedMessage: every truncation of a handshake message is an
// error, never a panic.
func TestTruncatedMessage(t *testing.T) {
	for _, msg := range [][]byte{
		goClientHello(t, goHelloConfig())[5:],
		unhex(rfcClientHelloCrypto)[4:],
	} {
		for i := 0; i < len(msg); i++ {
			if h, err := ParseClientHello(msg[:i]); err == nil || h != nil {
				t.Fatalf("prefix %d of %d parsed", i, len(msg))
			}
			// Also with the header length patched to the truncated size:
			// cuts inside a field must be rejected; cuts exactly at the end
			// of the compression methods are a valid extension-less hello.
			if i >= 4 {
				m := slices.Clone(msg[:i])
				n := i - 4
				m[1], m[2], m[3] = byte(n>>16), byte(n>>8), byte(n)
				ParseClientHello(m) // must not panic
			}
		}
	}
}

func TestHostileClientHello(t *testing.T) {
	base := fpInput{ciphers: []uint16{0x1301}, exts: []uint16{ExtServerName, ExtALPN}, sni: "a.example", alpn: []string{"h2"}}.spec()
	good := base.msg()
	if _, err := ParseClientHello(good); err != nil {
		t.Fatal(err)
	}
	// Offsets in good: 4 header, +2 version, +32 random, 1 sid len (=38),
	// 2 cipher len (39), 2 cipher, 1 comp len (43), 1 comp, 2 ext len (45).
	patch := func(off int, vals ...byte) []byte {
		m := slices.Clone(good)
		copy(m[off:], vals)
		return m
	}
	for _, c := range []struct {
		name string
		msg  []byte
		want error
	}{
		{"empty", nil, ErrMalformed},
		{"not client_hello", patch(0, 2), ErrNotClientHello},
		{"handshake length 2^24-1", patch(1, 0xff, 0xff, 0xff), ErrTooLarge},
		{"handshake length past end", patch(3, good[3]+1), ErrMalformed},
		{"session_id 33", patch(38, 33), ErrMalformed},
		{"session_id 255", patch(38, 255), ErrMalformed},
		{"odd cipher length", patch(39, 0, 3), ErrMalformed},
		{"cipher length 0xffff", patch(39, 0xff, 0xff), ErrMalformed},
		{"zero compression methods", patch(43, 0), ErrMalformed},
		{"extensions length 0xffff", patch(45, 0xff, 0xff), ErrMalformed},
		{"extension length 0xffff", patch(49, 0xff, 0xff), ErrMalformed},
		{"SNI list length 0xffff", patch(51, 0xff, 0xff), ErrMalformed},
		{"SNI name length 0xffff", patch(54, 0xff, 0xff), ErrMalformed},
		{"bad sigalgs", fpInput{exts: []uint16{ExtSignatureAlgorithms}, sigs: []uint16{1}}.spec().msgWith(func(b []byte) { b[len(b)-3] = 3 }), ErrMalformed},
		{"bad supported_versions", helloSpec{version: 0x0303, exts: []ext{{ExtSupportedVersions, []byte{3, 3, 4, 3}}}}.msg(), ErrMalformed},
		{"bad groups", helloSpec{version: 0x0303, exts: []ext{{ExtSupportedGroups, []byte{0, 4, 0, 29}}}}.msg(), ErrMalformed},
		{"bad point formats", helloSpec{version: 0x0303, exts: []ext{{ExtECPointFormats, []byte{5, 0}}}}.msg(), ErrMalformed},
		{"bad ALPN", helloSpec{version: 0x0303, exts: []ext{{ExtALPN, []byte{0, 3, 5, 'h', '2'}}}}.msg(), ErrMalformed},
		{"ALPN trailing", helloSpec{version: 0x0303, exts: []ext{{ExtALPN, []byte{0, 3, 2, 'h', '2', 0}}}}.msg(), ErrMalformed},
		{"truncated extension header", append(patch(45, 0, 3), 0, 0, 0), ErrMalformed},
	} {
		h, err := ParseClientHello(c.msg)
		if !errors.Is(err, c.want) || h != nil {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}

	// Record layer.
	recs := records(good, 0)
	for _, c := range []struct {
		name string
		data []byte
		want error
	}{
		{"alert record", append([]byte{21}, recs[1:]...), ErrNotClientHello},
		{"SSLv2 version", append([]byte{22, 2, 0}, recs[3:]...), ErrMalformed},
		{"zero-length record", []byte{22, 3, 1, 0, 0}, ErrMalformed},
		{"record length 0xffff", []byte{22, 3, 1, 0xff, 0xff, 1}, ErrMalformed},
		{"server hello", []byte{22, 3, 3, 0, 4, 2, 0, 0, 0}, ErrNotClientHello},
		{"handshake length too small", []byte{22, 3, 1, 0, 4, 1, 0, 0, 5}, ErrMalformed},
		{"handshake length too large", []byte{22, 3, 1, 0, 4, 1, 1, 0, 1}, ErrTooLarge},
		{"interleaved alert", slices.Concat(records(good[:10], 0), []byte{21, 3, 1, 0, 2, 2, 40}), ErrMalformed},
	} {
		h, need, err := ParseRecords(c.data)
		if !errors.Is(err, c.want) || h != nil || need != 0 {
			t.Errorf("%s: need=%d err=%v, want %v", c.name, need, err, c.want)
		}
	}
}

// msgWith returns msg() after applying f to it.
func (s helloSpec) msgWith(f func([]byte)) []byte {
	m := s.msg()
	f(m)
	return m
}

// TestReuse: parsing into the same ClientHello leaves nothing stale, and
// steady-state reuse does not allocate.
func TestReuse(t *testing.T) {
	a := fpInput{ciphers: []uint16{1, 2, 3}, exts: []uint16{ExtServerName, ExtALPN, ExtECPointFormats, ExtSupportedGroups}, sni: "a.example", alpn: []string{"h2", "x"}}.spec().msg()
	b := fpInput{ciphers: []uint16{4}, exts: []uint16{ExtSignatureAlgorithms}, sigs: []uint16{0x0403}}.spec().msg()
	var c ClientHello
	if err := c.Parse(a); err != nil {
		t.Fatal(err)
	}
	if err := c.Parse(b); err != nil {
		t.Fatal(err)
	}
	if c.SNI != "" || c.ALPN != nil || c.ECPointFormats != nil || c.SupportedGroups != nil ||
		!slices.Equal(c.CipherSuites, []uint16{4}) || !slices.Equal(c.SignatureAlgorithms, []uint16{0x0403}) {
		t.Errorf("stale data after reuse: %+v", c)
	}
	if err := c.Parse(a); err != nil || c.SNI != "a.example" || !slices.Equal(c.ALPN, []string{"h2", "x"}) {
		t.Errorf("re-parse: %v %+v", err, c)
	}
	msg := goClientHello(t, goHelloConfig())[5:]
	c.Parse(msg)
	if n := testing.AllocsPerRun(100, func() { c.Parse(msg) }); n != 0 {
		t.Errorf("Parse into a reused ClientHello: %v allocs, want 0", n)
	}
	// The result never aliases the input.
	m := slices.Clone(msg)
	h, _ := ParseClientHello(m)
	sni, ja4 := strings.Clone(h.SNI), h.JA4()
	for i := range m {
		m[i] = 0xee
	}
	if h.SNI != sni || h.JA4() != ja4 {
		t.Error("ClientHello changed when its input was overwritten")
	}
}

func TestLooksLike(t *testing.T) {
	for _, c := range []struct {
		b                      []byte
		tls, hello, dtls, quic bool
	}{
		{[]byte{22, 3, 1, 0, 200, 1, 0, 0, 196, 3, 3}, true, true, false, false},
		{[]byte{22, 3, 3, 0, 90, 2, 0, 0, 86, 3, 3}, true, false, false, false},    // ServerHello
		{[]byte{0x80, 0x2e, 1, 3, 1, 0, 21}, true, false, false, false},            // SSLv2 CLIENT-HELLO
		{[]byte("GET / HTTP/1.1\r\n"), false, false, false, false},                 //
		{[]byte{22, 3, 1, 0, 200, 1, 0, 0, 10, 3, 3}, false, false, false, false},  // handshake too short
		{[]byte{23, 3, 3, 0, 200, 1, 0, 0, 196, 3, 3}, false, false, false, false}, // application data
		{[]byte{22, 3, 1}, false, false, false, false},                             // too short to tell
		{dtlsRecord(0xfeff, 0, dtlsFragment(make([]byte, 60), 0, 0, 60)), false, false, true, false},
	} {
		if LooksLikeTLS(c.b) != c.tls || LooksLikeClientHello(c.b) != c.hello || LooksLikeDTLS(c.b) != c.dtls || LooksLikeQUICInitial(c.b) != c.quic {
			t.Errorf("%x: tls=%v hello=%v dtls=%v quic=%v", c.b, LooksLikeTLS(c.b), LooksLikeClientHello(c.b), LooksLikeDTLS(c.b), LooksLikeQUICInitial(c.b))
		}
	}
}
