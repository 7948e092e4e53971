package tls

import (
	"slices"
	"testing"
)

// Cipher list shared by the JA4 documentation examples (Chrome).
var chromeCiphers = []uint16{0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035}

// withGREASE inserts GREASE values at the front and back of a list, as
// Chrome does; fingerprints must not change.
func withGREASE(g uint16, vs []uint16) []uint16 {
	return slices.Concat([]uint16{g}, vs, []uint16{g ^ 0x1010})
}

func TestJA4KnownFingerprints(t *testing.T) {
	for _, c := range []struct {
		name  string
		in    fpInput
		ja4   string
		ja4r  string
		ja4o  string
		ja4ro string
	}{
		{
			// FoxIO-LLC/ja4 technical_details/JA4.md "Example" and "Raw
			// Output" (extension order 001b,0000,0033,...), also the unit
			// test test_client_stats_into_out in rust/ja4/src/tls.rs.
			name: "JA4.md example",
			in: fpInput{
				ciphers: withGREASE(0x0a0a, chromeCiphers),
				exts:    withGREASE(0x1a1a, []uint16{0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015}),
				sigs:    []uint16{0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601},
				sni:     "example.com",
				alpn:    []string{"h2", "http/1.1"},
				// GREASE in supported_versions must be ignored too.
				versions: []uint16{0x2a2a, 0x0304, 0x0303},
			},
			ja4:   "t13d1516h2_8daaf6152771_e5627efa2ab1",
			ja4r:  "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601",
			ja4o:  "t13d1516h2_acb858a92679_18f69afefd3d",
			ja4ro: "t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015_0403,0804,0401,0503,0805,0501,0806,0601",
		},
		{
			// FoxIO-LLC/ja4 python/test/testdata/chrome-cloudflare-quic-with-secrets.pcapng.json
			// (JA4.1, JA4_r.1, JA4_o.1, JA4_ro.1; a TLS-over-TCP stream).
			name: "chrome-cloudflare-quic-with-secrets",
			in: fpInput{
				ciphers: withGREASE(0x4a4a, chromeCiphers),
				exts:    withGREASE(0xdada, []uint16{0x0000, 0x0017, 0xff01, 0x000a, 0x000b, 0x0023, 0x0010, 0x0005, 0x000d, 0x0012, 0x0033, 0x002d, 0x002b, 0x001b, 0x4469, 0x0015}),
				sigs:    []uint16{0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601},
				sni:     "cloudflare-quic.com",
				alpn:    []string{"h2", "http/1.1"},
			},
			ja4:   "t13d1516h2_8daaf6152771_e5627efa2ab1",
			ja4r:  "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601",
			ja4o:  "t13d1516h2_acb858a92679_2d79a7d73c2f",
			ja4ro: "t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_0000,0017,ff01,000a,000b,0023,0010,0005,000d,0012,0033,002d,002b,001b,4469,0015_0403,0804,0401,0503,0805,0501,0806,0601",
		},
		{
			// FoxIO-LLC/ja4 python/test/testdata/sigalg-grease.pcapng.json;
			// rust/ja4/src/snapshots/ja4__insta@sigalg-grease.pcapng.snap
			// has the same ja4.
			name: "sigalg-grease",
			in: fpInput{
				ciphers: withGREASE(0x8a8a, chromeCiphers),
				exts:    withGREASE(0x3a3a, []uint16{0xfe0d, 0x0010, 0x0017, 0x0033, 0x44cd, 0xff01, 0x000a, 0x000d, 0x0023, 0x002b, 0x000b, 0xca34, 0x002d, 0x0000, 0x0005, 0x001b, 0x0012}),
				sigs:    []uint16{0x0904, 0x0905, 0x0906, 0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601},
				sni:     "optimizationguide-pa.googleapis.com",
				alpn:    []string{"h2", "http/1.1"},
			},
			ja4:   "t13d1517h2_8daaf6152771_cb7bf5808d99",
			ja4r:  "t13d1517h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0017,001b,0023,002b,002d,0033,44cd,ca34,fe0d,ff01_0904,0905,0906,0403,0804,0401,0503,0805,0501,0806,0601",
			ja4o:  "t13d1517h2_acb858a92679_88bf22a3e888",
			ja4ro: "t13d1517h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_fe0d,0010,0017,0033,44cd,ff01,000a,000d,0023,002b,000b,ca34,002d,0000,0005,001b,0012_0904,0905,0906,0403,0804,0401,0503,0805,0501,0806,0601",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, err := ParseClientHello(c.in.spec().msg())
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range []struct{ name, got, want string }{
				{"JA4", h.JA4(), c.ja4}, {"JA4_r", h.JA4R(), c.ja4r},
				{"JA4_o", h.JA4O(), c.ja4o}, {"JA4_ro", h.JA4RO(), c.ja4ro},
			} {
				if f.got != f.want {
					t.Errorf("%s = %s\n want %s", f.name, f.got, f.want)
				}
			}
		})
	}
}

// TestJA3AndJA4Chrome: a Chrome 143 ClientHello as reported by
// browserleaks.com (quoted in service0427/v2_cp_app tls.md): its JA3 text,
// JA3 hash, JA4 and JA4_o. The JA3 hash matches `printf %s TEXT | md5sum`.
func TestJA3AndJA4Chrome(t *testing.T) {
	in := fpInput{
		ciphers:  withGREASE(0x6a6a, chromeCiphers),
		exts:     withGREASE(0x7a7a, []uint16{45, 51, 16, 65037, 23, 17613, 0, 11, 10, 43, 65281, 35, 18, 5, 13, 27}),
		sigs:     []uint16{0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601},
		groups:   []uint16{0x9a9a, 4588, 29, 23, 24},
		versions: []uint16{0xbaba, 0x0304, 0x0303},
		formats:  []byte{0},
		sni:      "tls.browserleaks.com",
		alpn:     []string{"h2", "http/1.1"},
	}
	h, err := ParseClientHello(in.spec().msg())
	if err != nil {
		t.Fatal(err)
	}
	full, hash := h.JA3()
	if want := "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,45-51-16-65037-23-17613-0-11-10-43-65281-35-18-5-13-27,4588-29-23-24,0"; full != want {
		t.Errorf("JA3 = %s\nwant %s", full, want)
	}
	if hash != "98487aa16281980e7d1120d399efb6a4" {
		t.Errorf("JA3 hash = %s", hash)
	}
	if got := h.JA4(); got != "t13d1516h2_8daaf6152771_d8a2da3f94cd" {
		t.Errorf("JA4 = %s", got)
	}
	if got := h.JA4O(); got != "t13d1516h2_acb858a92679_f96a17c57971" {
		t.Errorf("JA4_o = %s", got)
	}
}

// TestJA3Readme: the two examples of salesforce/ja3 README.md.
func TestJA3Readme(t *testing.T) {
	h, err := ParseClientHello(fpInput{
		version: 0x0301,
		ciphers: []uint16{47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4},
		exts:    []uint16{0, 10, 11},
		groups:  []uint16{23, 24, 25},
		formats: []byte{0},
		sni:     "example.com",
	}.spec().msg())
	if err != nil {
		t.Fatal(err)
	}
	full, hash := h.JA3()
	if full != "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0" || hash != "ada70206e40642a3e4461f35503241d5" {
		t.Errorf("JA3 = %s %s", full, hash)
	}

	// No extensions at all: "the fields are left empty".
	h, err = ParseClientHello(helloSpec{version: 0x0301, ciphers: []uint16{4, 5, 10, 9, 100, 98, 3, 6, 19, 18, 99}, noExts: true}.msg())
	if err != nil {
		t.Fatal(err)
	}
	full, hash = h.JA3()
	if full != "769,4-5-10-9-100-98-3-6-19-18-99,,," || hash != "de350869b8c85de67a350c8d186f11e6" {
		t.Errorf("JA3 = %s %s", full, hash)
	}
	// JA4 of the same hello, by hand: t, version 10 (no supported_versions),
	// i (no SNI), 11 ciphers, 00 extensions, 00 ALPN; empty extension list
	// gives 000000000000 (JA4.md "Extension hash"). Cipher hash:
	// printf %s 0003,0004,0005,0006,0009,000a,0012,0013,0062,0063,0064 | sha256sum
	if got, want := h.JA4(), "t10i110000_3609b414f052_000000000000"; got != want {
		t.Errorf("JA4 = %s, want %s", got, want)
	}
}

// TestJA4Rules exercises individual rules of JA4.md with expected values
// derived by hand from the spec text.
func TestJA4Rules(t *testing.T) {
	alpnCases := []struct {
		alpn []string
		want string
	}{
		// JA4.md "ALPN Extension Value": examples quoted from the spec.
		{[]string{"h2"}, "h2"},
		{[]string{"http/1.1", "h2"}, "h1"},
		{[]string{"\xab"}, "ab"},
		{[]string{"\xab\xcd"}, "ad"},
		{[]string{"\x30\xab"}, "3b"},
		{[]string{"\x30\x31\xab\xcd"}, "3d"},
		{[]string{"\x30\xab\xcd\x31"}, "01"},
		{[]string{"x"}, "xx"}, // single character: first and last
		{[]string{""}, "00"},  // empty first value
		{nil, "00"},           // no ALPN values
	}
	for _, c := range alpnCases {
		exts := []uint16{ExtALPN}
		if c.alpn == nil {
			exts = nil
		}
		h, err := ParseClientHello(fpInput{ciphers: []uint16{0x1301}, exts: exts, alpn: c.alpn}.spec().msg())
		if err != nil {
			t.Fatal(err)
		}
		if got := h.JA4()[8:10]; got != c.want {
			t.Errorf("ALPN %q: got %q, want %q", c.alpn, got, c.want)
		}
	}

	// Versions: supported_versions wins over legacy_version; DTLS names.
	for _, c := range []struct {
		legacy   uint16
		versions []uint16
		dtls     bool
		want     string
	}{
		{0x0303, nil, false, "t12"},
		{0x0301, nil, false, "t10"},
		{0x0300, nil, false, "ts3"},
		{0x0303, []uint16{0x0a0a, 0x0303, 0x0304}, false, "t13"},
		{0x0303, []uint16{0x0a0a}, false, "t12"}, // only GREASE: fall back
		{0x0305, nil, false, "t00"},
		{0xfeff, nil, true, "dd1"},
		{0xfefd, nil, true, "dd2"},
		{0xfefd, []uint16{0xfefc, 0xfefd}, true, "dd3"},
	} {
		in := fpInput{version: c.legacy, ciphers: []uint16{0x1301}, versions: c.versions}
		if c.versions != nil {
			in.exts = []uint16{ExtSupportedVersions}
		}
		s := in.spec()
		s.dtls = c.dtls
		var h ClientHello
		if err := h.ParseBody(s.body(), c.dtls); err != nil {
			t.Fatal(err)
		}
		if got := h.JA4()[:3]; got != c.want {
			t.Errorf("legacy %04x versions %04x: got %s, want %s", c.legacy, c.versions, got, c.want)
		}
	}

	// Counts are capped at 99; SNI 'i' without the extension; GREASE in
	// signature_algorithms is ignored ("ignore GREASE values anywhere").
	many := make([]uint16, 120)
	for i := range many {
		many[i] = uint16(0x0100 + i)
	}
	h, err := ParseClientHello(fpInput{ciphers: many, exts: append([]uint16{ExtSignatureAlgorithms}, many...), sigs: []uint16{0x0a0a, 0x0403}}.spec().msg())
	if err != nil {
		t.Fatal(err)
	}
	if got := h.JA4R(); got[:10] != "t12i999900" || got[len(got)-5:] != "_0403" {
		t.Errorf("JA4_r = %s", got)
	}
}
