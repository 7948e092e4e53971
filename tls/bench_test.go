package tls

import "testing"

// BenchmarkParseClientHello parses a crypto/tls ClientHello into a reused
// ClientHello: the steady state of a capture loop. It must not allocate.
func BenchmarkParseClientHello(b *testing.B) {
	msg := goClientHello(b, goHelloConfig())[5:]
	var c ClientHello
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if err := c.Parse(msg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseClientHelloNew allocates a fresh result each time: the
// struct, one array for all uint16 lists, the SNI and ALPN strings.
func BenchmarkParseClientHelloNew(b *testing.B) {
	msg := goClientHello(b, goHelloConfig())[5:]
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, err := ParseClientHello(msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseRecordsFragmented(b *testing.B) {
	recs := records(goClientHello(b, goHelloConfig())[5:], 512)
	var c ClientHello
	var scratch []byte
	b.ReportAllocs()
	b.SetBytes(int64(len(recs)))
	for b.Loop() {
		if need, err := c.ParseRecords(recs, &scratch); err != nil || need != 0 {
			b.Fatal(need, err)
		}
	}
}

func BenchmarkJA4(b *testing.B) {
	h, _ := ParseClientHello(goClientHello(b, goHelloConfig())[5:])
	b.ReportAllocs()
	for b.Loop() {
		h.JA4()
	}
}

func BenchmarkJA3(b *testing.B) {
	h, _ := ParseClientHello(goClientHello(b, goHelloConfig())[5:])
	b.ReportAllocs()
	for b.Loop() {
		h.JA3()
	}
}

// BenchmarkStreamAssembler: one flow's ClientHello in two segments, with
// the assembler reset per flow.
func BenchmarkStreamAssembler(b *testing.B) {
	recs := goClientHello(b, goHelloConfig())
	var a StreamAssembler
	b.ReportAllocs()
	b.SetBytes(int64(len(recs)))
	for b.Loop() {
		a.Reset()
		a.Add(1000, recs[:1000])
		if h, err := a.Add(2000, recs[1000:]); h == nil || err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkQUICInitial: one-shot decryption and parse of the RFC 9001
// client Initial, including Initial key derivation.
func BenchmarkQUICInitial(b *testing.B) {
	pkt := unhex(rfc9001ClientInitial)
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		if _, err := ParseQUICInitial(pkt); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLooksLike: the service-detection classifiers.
func BenchmarkLooksLike(b *testing.B) {
	recs := goClientHello(b, goHelloConfig())
	pkt := unhex(rfc9001ClientInitial)
	b.ReportAllocs()
	for b.Loop() {
		LooksLikeTLS(recs)
		LooksLikeQUICInitial(pkt)
		LooksLikeDTLS(pkt)
	}
}
