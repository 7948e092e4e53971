package tls

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"testing"
)

// rfcDCID is the client-chosen Destination Connection ID of RFC 9001
// Appendix A and RFC 9369 Appendix A.
var rfcDCID = unhex("8394c8f03e515708")

// TestRFC9001Keys checks the key schedule against the intermediate values of
// RFC 9001 Appendix A.1.
func TestRFC9001Keys(t *testing.T) {
	initial := hmacSHA256(quicV1.salt, rfcDCID)
	client := hkdfExpandLabel(initial[:], "client in", 32)
	key := hkdfExpandLabel(client[:], "quic key", 16)
	iv := hkdfExpandLabel(client[:], "quic iv", 12)
	hp := hkdfExpandLabel(client[:], "quic hp", 16)
	// crypto/hkdf as an independent reference for the extract step.
	ref, err := hkdf.Extract(sha256.New, rfcDCID, quicV1.salt)
	if err != nil || !bytes.Equal(ref, initial[:]) {
		t.Errorf("initial secret %x, crypto/hkdf %x (%v)", initial, ref, err)
	}
	for _, c := range []struct {
		name string
		got  []byte
		want string
	}{
		{"initial_secret", initial[:], "7db5df06e7a69e432496adedb00851923595221596ae2ae9fb8115c1e9ed0a44"},
		{"client_initial_secret", client[:], "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea"},
		{"key", key[:16], "1f369613dd76d5467730efcbe3b1a22d"},
		{"iv", iv[:12], "fa044b2f42a3fd3b46fb255c"},
		{"hp", hp[:16], "9f50449e04a0e810283a1e9933adedd2"},
	} {
		if hex.EncodeToString(c.got) != c.want {
			t.Errorf("%s = %x, want %s (RFC 9001 A.1)", c.name, c.got, c.want)
		}
	}
}

// The ClientHello in the RFC 9001 / RFC 9369 Appendix A.2 CRYPTO frame,
// decoded by hand from rfcClientHelloCrypto.
func checkRFCHello(t *testing.T, h *ClientHello, version uint32) {
	t.Helper()
	if h.SNI != "example.com" {
		t.Errorf("SNI = %q, want example.com", h.SNI)
	}
	if !slices.Equal(h.ALPN, []string{"alpn"}) {
		t.Errorf("ALPN = %q, want [alpn]", h.ALPN)
	}
	if !h.QUIC || h.DTLS || h.QUICVersion != version {
		t.Errorf("QUIC=%v DTLS=%v QUICVersion=%#x", h.QUIC, h.DTLS, h.QUICVersion)
	}
	if h.Version != 0x0303 || !slices.Equal(h.SupportedVersions, []uint16{0x0304}) {
		t.Errorf("Version=%#04x SupportedVersions=%04x", h.Version, h.SupportedVersions)
	}
	if !slices.Equal(h.CipherSuites, []uint16{0x1301, 0x1302}) {
		t.Errorf("CipherSuites = %04x", h.CipherSuites)
	}
	wantExt := []uint16{0x0000, 0xff01, 0x000a, 0x0010, 0x0005, 0x0033, 0x002b, 0x000d, 0x002d, 0x001c, 0x0039}
	if !slices.Equal(h.Extensions, wantExt) {
		t.Errorf("Extensions = %04x, want %04x", h.Extensions, wantExt)
	}
	if !slices.Equal(h.SupportedGroups, []uint16{0x001d, 0x0017, 0x0018}) {
		t.Errorf("SupportedGroups = %04x", h.SupportedGroups)
	}
	wantSig := []uint16{0x0403, 0x0503, 0x0603, 0x0203, 0x0804, 0x0805, 0x0806}
	if !slices.Equal(h.SignatureAlgorithms, wantSig) {
		t.Errorf("SignatureAlgorithms = %04x", h.SignatureAlgorithms)
	}
	if h.ECPointFormats != nil {
		t.Errorf("ECPointFormats = %v, want nil", h.ECPointFormats)
	}
	// Expected JA4, computed by hand per technical_details/JA4.md: q (QUIC),
	// 13 (supported_versions 0304), d (SNI), 02 ciphers (cipher_suites is
	// 0004 1301 1302), 11 extensions,
	// "an" (first and last char of "alpn"); the hashes are the first 12 hex
	// digits of `printf %s LIST | sha256sum` of
	//   "1301,1302"                                       -> 62ed6f6ca7ad
	//   "0005,000a,000d,001c,002b,002d,0033,0039,ff01_0403,0503,0603,0203,0804,0805,0806"
	//                                                     -> 4d634acda6c0
	//   "0000,ff01,000a,0010,0005,0033,002b,000d,002d,001c,0039_0403,0503,0603,0203,0804,0805,0806"
	//                                                     -> 46fb564859bb (JA4_o)
	if got, want := h.JA4(), "q13d0211an_62ed6f6ca7ad_4d634acda6c0"; got != want {
		t.Errorf("JA4 = %s, want %s", got, want)
	}
	if got, want := h.JA4R(), "q13d0211an_1301,1302_0005,000a,000d,001c,002b,002d,0033,0039,ff01_0403,0503,0603,0203,0804,0805,0806"; got != want {
		t.Errorf("JA4_r = %s, want %s", got, want)
	}
	if got, want := h.JA4O(), "q13d0211an_62ed6f6ca7ad_46fb564859bb"; got != want {
		t.Errorf("JA4_o = %s, want %s", got, want)
	}
	// JA3 by hand (salesforce/ja3 README): version 771, ciphers, extensions,
	// groups, empty point formats; md5 via `printf %s S | md5sum`.
	full, hash := h.JA3()
	if want := "771,4865-4866,0-65281-10-16-5-51-43-13-45-28-57,29-23-24,"; full != want {
		t.Errorf("JA3 = %s, want %s", full, want)
	}
	if hash != "41bc9ae914d6cb3bd0bd0a5453ab7d7f" {
		t.Errorf("JA3 hash = %s", hash)
	}
}

func TestRFCInitialVectors(t *testing.T) {
	for _, c := range []struct {
		name    string
		pkt     string
		version uint32
		header  string // unprotected header from the RFC
	}{
		{"RFC9001-A.2-v1", rfc9001ClientInitial, QUICv1, "c300000001088394c8f03e5157080000449e00000002"},
		{"RFC9369-A.2-v2", rfc9369ClientInitial, QUICv2, "d36b3343cf088394c8f03e5157080000449e00000002"},
	} {
		t.Run(c.name, func(t *testing.T) {
			pkt := unhex(c.pkt)
			orig := slices.Clone(pkt)
			if !LooksLikeQUICInitial(pkt) {
				t.Error("LooksLikeQUICInitial = false")
			}
			h, err := ParseQUICInitial(pkt)
			if err != nil {
				t.Fatal(err)
			}
			checkRFCHello(t, h, c.version)
			if !bytes.Equal(pkt, orig) {
				t.Error("ParseQUICInitial modified its input")
			}

			// The header unprotects to the RFC's value and the payload
			// decrypts to the RFC's CRYPTO frame followed by PADDING.
			var a QUICAssembler
			hdr, err := parseLongHeader(pkt)
			if err != nil {
				t.Fatal(err)
			}
			payload, err := a.decrypt(pkt, &hdr)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(a.buf[:hdr.pnOffset+4]); got != c.header {
				t.Errorf("unprotected header = %s, want %s", got, c.header)
			}
			want := unhex(rfcClientHelloCrypto)
			if len(payload) != 1162 || !bytes.Equal(payload[:len(want)], want) ||
				!bytes.Equal(payload[len(want):], make([]byte, 1162-len(want))) {
				t.Errorf("decrypted payload differs from the RFC's CRYPTO frame + PADDING")
			}

			// Any single flipped bit is caught (header protection or AEAD).
			for _, i := range []int{0, 5, 20, 100, len(pkt) - 1} {
				bad := slices.Clone(pkt)
				bad[i] ^= 0x10
				if _, err := ParseQUICInitial(bad); err == nil {
					t.Errorf("bit flip at %d: no error", i)
				}
			}
		})
	}
}

// TestQUICMultiPacket splits the RFC ClientHello over two Initial packets,
// several CRYPTO frames each, delivered out of order and with a duplicate.
func TestQUICMultiPacket(t *testing.T) {
	msg := unhex(rfcClientHelloCrypto)[4:] // the handshake message
	for _, version := range []uint32{QUICv1, QUICv2} {
		// Packet 1: offsets [150, 241) then [60, 150); packet 2: [0, 60)
		// split in two frames in reverse order, with PING and ACK frames.
		p1 := append(cryptoFrame(150, msg[150:]), cryptoFrame(60, msg[60:150])...)
		p2 := []byte{0x01}
		p2 = append(p2, cryptoFrame(30, msg[30:60])...)
		p2 = append(p2, 0x02, 0x05, 0x00, 0x01, 0x00, 0x02, 0x00) // ACK with one extra range
		p2 = append(p2, cryptoFrame(0, msg[:30])...)
		scid := []byte{1, 2, 3, 4}
		d1 := sealInitial(t, version, rfcDCID, scid, 0, p1, 1162)
		d2 := sealInitial(t, version, rfcDCID, scid, 1, p2, 1162)

		if _, err := ParseQUICInitial(d1); !errors.Is(err, ErrIncomplete) {
			t.Errorf("one-shot on partial hello: err = %v, want ErrIncomplete", err)
		}
		var a QUICAssembler
		if h, err := a.Add(d1); h != nil || err != nil {
			t.Fatalf("first packet: %v %v", h, err)
		}
		if h, err := a.Add(d1); h != nil || err != nil { // duplicate
			t.Fatalf("duplicate packet: %v %v", h, err)
		}
		h, err := a.Add(d2)
		if err != nil || h == nil {
			t.Fatalf("second packet: %v %v", h, err)
		}
		checkRFCHello(t, h, version)
		if !a.Done() {
			t.Error("Done = false")
		}
		if h, err := a.Add(d2); h != nil || err != nil {
			t.Errorf("after done: %v %v", h, err)
		}

		// Coalesced: both Initials in one datagram followed by a (junk)
		// Handshake packet, which is skipped by its length field.
		hsType := (lookupQUICVersion(version).initialType + 2) % 4
		hs := []byte{0xc0 | hsType<<4, byte(version >> 24), byte(version >> 16), byte(version >> 8), byte(version), 4, 1, 2, 3, 4, 0, 0x40, 30}
		hs = append(hs, make([]byte, 30)...)
		coalesced := slices.Concat(d1, d2, hs)
		if h, err := ParseQUICInitial(coalesced); err != nil {
			t.Errorf("coalesced: %v", err)
		} else {
			checkRFCHello(t, h, version)
		}
	}
}

// TestQUICRetry: after a Retry the client uses a new DCID and new keys; the
// CRYPTO stream restarts.
func TestQUICRetry(t *testing.T) {
	msg := unhex(rfcClientHelloCrypto)[4:]
	first := sealInitial(t, QUICv1, rfcDCID, nil, 0, cryptoFrame(0, msg[:100]), 1162)
	newDCID := []byte{9, 8, 7, 6, 5, 4, 3, 2}
	second := sealInitial(t, QUICv1, newDCID, nil, 1, cryptoFrame(0, msg), 1162)
	var a QUICAssembler
	if h, err := a.Add(first); h != nil || err != nil {
		t.Fatalf("first: %v %v", h, err)
	}
	h, err := a.Add(second)
	if err != nil || h == nil {
		t.Fatalf("second: %v %v", h, err)
	}
	checkRFCHello(t, h, QUICv1)
}

// TestQUICHostile covers truncation at every byte and bad frames inside
// authentic packets.
func TestQUICHostile(t *testing.T) {
	pkt := unhex(rfc9001ClientInitial)
	for i := 0; i < len(pkt); i++ {
		if h, err := ParseQUICInitial(pkt[:i]); err == nil || h != nil {
			t.Fatalf("truncated to %d: h=%v err=%v", i, h, err)
		}
	}
	msg := unhex(rfcClientHelloCrypto)[4:]
	for _, c := range []struct {
		name    string
		payload []byte
		want    error
	}{
		{"unknown frame", []byte{0x08, 0x00}, ErrMalformed},
		{"stream frame", append([]byte{0x0f}, msg...), ErrMalformed},
		{"crypto length past end", []byte{0x06, 0x00, 0x44, 0x00, 0x01}, ErrMalformed},
		{"truncated varint", []byte{0x06, 0x00, 0xc0, 0x00}, ErrMalformed}, // not padded
		{"huge ack range count", []byte{0x02, 0x00, 0x00, 0xbf, 0xff, 0xff, 0xff, 0x00}, ErrMalformed},
		{"close with long reason", []byte{0x1c, 0x00, 0x00, 0x7f, 0xff}, ErrMalformed},
		{"not a ClientHello", cryptoFrame(0, []byte{2, 0, 0, 40}), ErrNotClientHello},
		{"too large", cryptoFrame(0, []byte{1, 0x10, 0, 0}), ErrTooLarge},
		{"offset beyond limit", cryptoFrame(1<<40, msg), ErrIncomplete},
		{"bad hello", cryptoFrame(0, []byte{1, 0, 0, 39, 3, 3}), ErrIncomplete},
	} {
		pad := 1162
		if c.name == "truncated varint" {
			pad = 0
		}
		d := sealInitial(t, QUICv1, rfcDCID, nil, 0, c.payload, pad)
		if _, err := ParseQUICInitial(d); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
	// A complete but malformed ClientHello ends the assembly with an error.
	bad := append(put24([]byte{1}, 39), make([]byte, 39)...)
	bad[4+34] = 0xff // session_id length 255
	d := sealInitial(t, QUICv1, rfcDCID, nil, 0, cryptoFrame(0, bad), 1162)
	if _, err := ParseQUICInitial(d); !errors.Is(err, ErrMalformed) {
		t.Errorf("malformed hello: err = %v", err)
	}
	// Unknown version, version negotiation, short header.
	for _, b := range [][]byte{
		append([]byte{0xc0, 0x0a, 0x0a, 0x0a, 0x0a, 8}, make([]byte, 1200)...),
		append([]byte{0x80, 0, 0, 0, 0, 8}, make([]byte, 40)...),
		append([]byte{0x40}, make([]byte, 1200)...),
	} {
		if _, err := ParseQUICInitial(b); err == nil {
			t.Errorf("%x...: no error", b[:6])
		}
		if LooksLikeQUICInitial(b) {
			t.Errorf("%x...: LooksLikeQUICInitial", b[:6])
		}
	}
}

// TestHMACSHA256 compares the stack-buffer HMAC with crypto/hmac over key
// and message lengths around the block size, and checks that it does not
// allocate.
func TestHMACSHA256(t *testing.T) {
	data := make([]byte, 300)
	for i := range data {
		data[i] = byte(i*7 + 3)
	}
	for _, kl := range []int{0, 1, 20, 32, 63, 64, 65, 100} {
		for _, ml := range []int{0, 1, 8, 20, 55, 56, 64, 100, 192} {
			m := hmac.New(sha256.New, data[:kl])
			m.Write(data[100 : 100+ml])
			want := m.Sum(nil)
			got := hmacSHA256(data[:kl], data[100:100+ml/2], data[100+ml/2:100+ml])
			if !bytes.Equal(got[:], want) {
				t.Errorf("key %d msg %d: %x, want %x", kl, ml, got, want)
			}
		}
	}
	if n := testing.AllocsPerRun(100, func() { hkdfExpandLabel(data[:32], "quic key", 16) }); n != 0 {
		t.Errorf("hkdfExpandLabel allocates %.0f times", n)
	}
}
