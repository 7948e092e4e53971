// Package tls extracts the TLS ClientHello from captured traffic, on any
// port, and fingerprints it. It parses ClientHellos carried by TLS over TCP
// (including after STARTTLS-style plaintext, fragmented over records and
// segments, out of order), by DTLS 1.0/1.2/1.3 over UDP (fragmented over
// records and datagrams), and by QUIC Initial packets (v1 RFC 9001, v2
// RFC 9369, drafts 29-32), which it decrypts with the version's published
// Initial salt, reassembling CRYPTO frames split over frames and packets
// and delivered out of order.
//
// It exposes the SNI, the ALPN list, the offered versions (legacy_version
// and supported_versions), cipher suites, extension types, signature
// algorithms, supported groups and EC point formats, and computes the JA3
// (string and MD5) and JA4 (plus JA4_r, JA4_o, JA4_ro) client fingerprints.
// It does no TLS handshaking and no decryption beyond QUIC Initial packet
// protection; it only reads ClientHellos.
//
// # Usage
//
// One-shot parsers, when the caller already has the bytes:
//
//	h, err := tls.ParseClientHello(msg)           // handshake message: 4-byte header + body
//	h, need, err := tls.ParseRecords(data)        // TLS record layer; need > 0: more bytes required
//	h, err := tls.ParseDTLS(udpPayload)           // one DTLS datagram
//	h, err := tls.ParseQUICInitial(udpPayload)    // one QUIC datagram (client Initial)
//
// Assemblers, one per flow direction (client to server), for captures:
//
//	var a tls.StreamAssembler                    // TCP; also tls.QUICAssembler, tls.DTLSAssembler
//	for each segment of the flow (any order) {
//		h, err := a.Add(seq, payload)
//		if h != nil { use(h.SNI, h.JA4()) }      // returned once
//		if a.Done() { stop feeding }             // found, or gave up (a.Err())
//	}
//
// The cheap classifiers LooksLikeTLS, LooksLikeClientHello, LooksLikeDTLS
// and LooksLikeQUICInitial test the first payload bytes of a flow for
// service detection; they do not allocate and prove nothing (only parsing
// does).
//
// For a zero-allocation steady state, parse into a caller-owned
// ClientHello with (*ClientHello).Parse, ParseBody or ParseRecords: its
// slices are reused, and the SNI and ALPN strings are reused when their
// bytes did not change. JA3 and JA4 allocate only their result strings.
//
// # Errors
//
// Malformed or hostile input returns an error, never panics. Every error
// matches one of ErrMalformed, ErrNotClientHello, ErrTooLarge,
// ErrIncomplete, ErrUnsupportedVersion, ErrDecrypt or ErrNoClientHello
// with errors.Is.
//
// # Bounds
//
// A ClientHello body is at most MaxClientHelloLen (64 KiB). The record
// parser joins at most 4+MaxClientHelloLen bytes of handshake data. The
// StreamAssembler buffers at most MaxPending (default 16 KiB) bytes before
// a candidate record start plus 4+MaxClientHelloLen+4096 bytes from it, in
// at most 128 disjoint pieces, tries at most 32 candidates, and gives up
// after discarding MaxScan (default 64 KiB) bytes. The QUIC and DTLS
// assemblers buffer at most one ClientHello (4+MaxClientHelloLen bytes)
// in at most 128 pieces; the QUIC assembler also keeps one datagram-sized
// scratch buffer for in-place decryption and derives Initial keys once per
// connection (about 60 small allocations). Every loop is bounded by its
// input length.
//
// # Ownership
//
// No function or method retains or modifies an input slice: results hold
// copies (strings, uint16 slices). A ClientHello returned by a one-shot
// parser belongs to the caller. A ClientHello returned by an assembler, or
// parsed into a reused ClientHello, is owned by that value and overwritten
// by its next use (Reset, Parse): copy what must outlive it. The slices of
// one ClientHello share one backing array; they are capacity-limited, so
// appending to one never overwrites another.
//
// # Concurrency
//
// Package functions are safe for concurrent use. A ClientHello may be read
// concurrently. StreamAssembler, QUICAssembler and DTLSAssembler are not
// safe for concurrent use: use one per flow direction, owned by one
// goroutine.
//
// # Implementation notes
//
// JA4 follows FoxIO's technical_details/JA4.md. Where the text leaves room:
// GREASE values are ignored in every list including signature_algorithms
// ("ignore GREASE values anywhere"); the version is the newest value of
// supported_versions, ordering DTLS versions by age (0xfefc DTLS 1.3 is
// newer than 0xfefd DTLS 1.2) where the spec says "highest value"; 'q' and
// 'd' come from the transport the hello was parsed from (QUIC, DTLS), not
// from the presence of the quic_transport_parameters extension. JA3
// follows salesforce/ja3: legacy_version, decimal values, GREASE removed
// from ciphers, extensions and groups.
//
// The QUIC packet number is used as transmitted (not expanded against a
// largest acknowledged number), which is exact for client Initial packets.
// Initial keys come from the first Initial's Destination Connection ID; a
// packet that only decrypts with keys from its own DCID (after Retry)
// restarts the CRYPTO stream.
//
// Not supported: SSL 2.0-format CLIENT-HELLO messages (LooksLikeTLS
// recognizes them, the parsers do not), Google QUIC (Q0xx) versions,
// ClientHellos inside encrypted QUIC 0-RTT or ECH inner hellos (the outer
// ClientHello is parsed), and DTLS 1.3 ClientHellos sent with the unified
// record header (they are sent as DTLSPlaintext in practice).
package tls
