package main

// Application payloads: DNS (via gopacket/layers), TLS records, HTTP, NTP,
// MQTT, syslog. All content is fixed; "random" fields come from a seeded
// xorshift generator so the bytes never change.

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/google/gopacket/layers"
)

// prng is a tiny deterministic generator (xorshift64*).
type prng uint64

func (p *prng) next() uint64 {
	x := uint64(*p)
	x ^= x >> 12
	x ^= x << 25
	x ^= x >> 27
	*p = prng(x)
	return x * 2685821657736338717
}

func (p *prng) bytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(p.next() >> 56)
	}
	return b
}

func pseudo(seed uint64, n int) []byte {
	p := prng(seed | 1)
	return p.bytes(n)
}

// ---------------------------------------------------------------------------
// DNS

type dnsRR struct {
	name  string
	typ   layers.DNSType
	addr  string // A / AAAA
	cname string
	ttl   uint32
}

func dnsQuery(id uint16, name string, typ layers.DNSType) []byte {
	d := &layers.DNS{ID: id, RD: true, OpCode: layers.DNSOpCodeQuery,
		Questions: []layers.DNSQuestion{{Name: []byte(name), Type: typ, Class: layers.DNSClassIN}}}
	return serialize(d)
}

func dnsResponse(id uint16, name string, typ layers.DNSType, answers ...dnsRR) []byte {
	d := &layers.DNS{ID: id, QR: true, RD: true, RA: true, OpCode: layers.DNSOpCodeQuery,
		ResponseCode: layers.DNSResponseCodeNoErr,
		Questions:    []layers.DNSQuestion{{Name: []byte(name), Type: typ, Class: layers.DNSClassIN}}}
	for _, a := range answers {
		rr := layers.DNSResourceRecord{Name: []byte(a.name), Type: a.typ, Class: layers.DNSClassIN, TTL: a.ttl}
		switch a.typ {
		case layers.DNSTypeA, layers.DNSTypeAAAA:
			rr.IP = net.IP(netip.MustParseAddr(a.addr).AsSlice())
		case layers.DNSTypeCNAME:
			rr.CNAME = []byte(a.cname)
		case layers.DNSTypePTR:
			rr.PTR = []byte(a.cname)
		}
		d.Answers = append(d.Answers, rr)
	}
	return serialize(d)
}

// ---------------------------------------------------------------------------
// TLS

func u16(v int) []byte { return []byte{byte(v >> 8), byte(v)} }
func u24(v int) []byte { return []byte{byte(v >> 16), byte(v >> 8), byte(v)} }

func tlsRecord(ctype byte, version uint16, body []byte) []byte {
	return cat([]byte{ctype}, be16(version), u16(len(body)), body)
}

func ext(typ int, body []byte) []byte { return cat(u16(typ), u16(len(body)), body) }

// tlsClientHello returns a TLS 1.3-capable ClientHello record with SNI,
// shaped like a current browser/curl hello.
func tlsClientHello(sni string, seed uint64) []byte {
	rnd := pseudo(seed, 32+32+32)
	suites := []int{0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035}
	var cs []byte
	for _, s := range suites {
		cs = append(cs, u16(s)...)
	}
	name := []byte(sni)
	sniList := cat([]byte{0}, u16(len(name)), name)
	alpn := cat([]byte{2}, []byte("h2"), []byte{8}, []byte("http/1.1"))
	sigalgs := []int{0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601}
	var sa []byte
	for _, s := range sigalgs {
		sa = append(sa, u16(s)...)
	}
	keyShare := cat(u16(0x001d), u16(32), rnd[64:96])
	exts := cat(
		ext(0x0000, cat(u16(len(sniList)), sniList)),
		ext(0x0017, nil),
		ext(0xff01, []byte{0}),
		ext(0x000a, cat(u16(6), u16(0x001d), u16(0x0017), u16(0x0018))),
		ext(0x000b, []byte{1, 0}),
		ext(0x0023, nil),
		ext(0x0010, cat(u16(len(alpn)), alpn)),
		ext(0x0005, []byte{1, 0, 0, 0, 0}),
		ext(0x000d, cat(u16(len(sa)), sa)),
		ext(0x0033, cat(u16(len(keyShare)), keyShare)),
		ext(0x002d, []byte{1, 1}),
		ext(0x002b, []byte{4, 0x03, 0x04, 0x03, 0x03}),
	)
	body := cat(be16(0x0303), rnd[0:32], []byte{32}, rnd[32:64], u16(len(cs)), cs, []byte{1, 0}, u16(len(exts)), exts)
	hs := cat([]byte{1}, u24(len(body)), body)
	return tlsRecord(0x16, 0x0301, hs)
}

// tlsServerFlight returns ServerHello (TLS 1.3), ChangeCipherSpec and one
// encrypted-handshake application_data record of n bytes.
func tlsServerFlight(seed uint64, n int) []byte {
	rnd := pseudo(seed, 32+32+32)
	exts := cat(ext(0x002b, be16(0x0304)), ext(0x0033, cat(u16(0x001d), u16(32), rnd[64:96])))
	body := cat(be16(0x0303), rnd[0:32], []byte{32}, rnd[32:64], u16(0x1301), []byte{0}, u16(len(exts)), exts)
	hs := cat([]byte{2}, u24(len(body)), body)
	return cat(tlsRecord(0x16, 0x0303, hs), tlsRecord(0x14, 0x0303, []byte{1}),
		tlsRecord(0x17, 0x0303, pseudo(seed^0xabcdef, n)))
}

func tlsAppData(seed uint64, n int) []byte { return tlsRecord(0x17, 0x0303, pseudo(seed, n)) }

// ---------------------------------------------------------------------------
// Others

func httpGET(host, path string) []byte {
	return []byte(fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n", path, host))
}

func ntpPacket(mode byte, seed uint64) []byte {
	b := make([]byte, 48)
	b[0] = 4<<3 | mode
	if mode == 4 {
		b[1] = 2    // stratum
		b[2] = 6    // poll
		b[3] = 0xe9 // precision
		copy(b[12:16], []byte{192, 0, 2, 1})
	}
	copy(b[16:48], pseudo(seed, 32))
	return b
}

func mqttConnect(clientID string) []byte {
	vh := cat([]byte{0, 4}, []byte("MQTT"), []byte{4, 0x02, 0, 60})
	pl := cat(u16(len(clientID)), []byte(clientID))
	rest := cat(vh, pl)
	return cat([]byte{0x10, byte(len(rest))}, rest)
}

// sshPacket frames an SSH binary-protocol payload (RFC 4253 section 6)
// without MAC, padding the packet to a multiple of 8 bytes.
func sshPacket(payload []byte, seed uint64) []byte {
	pad := 8 - (5+len(payload))%8
	if pad < 4 {
		pad += 8
	}
	return cat(be32(uint32(1+len(payload)+pad)), []byte{byte(pad)}, payload, pseudo(seed, pad))
}

func sshString(b []byte) []byte { return cat(be32(uint32(len(b))), b) }

// sshKexInit returns a KEXINIT packet with a plausible OpenSSH algorithm list.
func sshKexInit(seed uint64) []byte {
	lists := []string{
		"curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,diffie-hellman-group14-sha256,ext-info-c",
		"ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256",
		"chacha20-poly1305@openssh.com,aes128-ctr,aes256-gcm@openssh.com",
		"chacha20-poly1305@openssh.com,aes128-ctr,aes256-gcm@openssh.com",
		"umac-64-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-256",
		"umac-64-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-256",
		"none,zlib@openssh.com", "none,zlib@openssh.com", "", "",
	}
	p := cat([]byte{20}, pseudo(seed, 16))
	for _, l := range lists {
		p = append(p, sshString([]byte(l))...)
	}
	p = append(p, 0, 0, 0, 0, 0)
	return sshPacket(p, seed+1)
}
