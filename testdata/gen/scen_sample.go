package main

// sample.pcap: a small, realistic capture for the README demo. A home/office
// host (192.168.1.10, 2001:db8:1::10) resolves names, browses over TLS and
// HTTP, pings, talks NTP and SSH; an IoT box keeps an MQTT session open for
// 7 minutes; an outside host scans; one connection is refused.

import (
	"github.com/google/gopacket/layers"
)

func sampleFile() *File {
	f := newFile("sample.pcap", "realistic default capture (README demo)", linkEth, frameEthernet)
	f.desc("About 7 minutes of packet time. All DNS queries use distinct source ports (Zeek's DNS analyzer also expires UDP DNS sessions after dns_session_timeout = 10 s, which never matters here).")
	f.desc("local_orig/local_resp follow Zeek's current Site::private_address_space, which includes the documentation ranges, so nearly everything is T; only the IPv6 multicast destinations (ff02::/16) are F.")

	host := "192.168.1.10"
	host6 := "2001:db8:1::10"
	resolver := mkep("192.168.1.1", 53)
	resolver6 := mkep("2001:db8:1::1", 53)

	dns := func(t float64, sport uint16, id uint16, name string, typ layers.DNSType, answers ...dnsRR) {
		src, dst := mkep(host, sport), resolver
		if typ == layers.DNSTypeAAAA && len(answers) > 0 && sport == 53002 {
			src, dst = mkep(host6, sport), resolver6
		}
		c := f.conn("udp", src, dst, "SF", "Dd")
		f.udp(c, ms(t), src, dst, dnsQuery(id, name, typ), true)
		f.udp(c, ms(t+11.5), dst, src, dnsResponse(id, name, typ, answers...), false)
	}
	tlsSession := func(t float64, c *Conn, a, b ep, sni string, seed uint64, isn uint32) {
		s := f.tcp(c, a, b, isn, isn^0x5a5a5a5a, t)
		s.synOpts = true
		s.handshake()
		s.send(1, true, PSH|ACK, tlsClientHello(sni, seed))
		s.send(18, false, ACK, nil)
		s.send(6, false, PSH|ACK, tlsServerFlight(seed+1, 420))
		s.send(1, true, ACK, nil)
		s.send(4, true, PSH|ACK, cat(tlsRecord(0x14, 0x0303, []byte{1}), tlsAppData(seed+2, 53), tlsAppData(seed+3, 96)))
		s.send(20, false, PSH|ACK, cat(tlsAppData(seed+4, 230), tlsAppData(seed+5, 610)))
		s.send(1, true, ACK, nil)
		s.send(120, true, PSH|ACK, tlsAppData(seed+6, 19))
		s.send(1, true, FIN|ACK, nil)
		s.send(18, false, PSH|ACK, tlsAppData(seed+7, 19))
		s.send(1, false, FIN|ACK, nil)
		s.send(18, true, ACK, nil)
		s.done()
	}
	httpSession := func(t float64, c *Conn, a, b ep, hostHdr string, paths []string, bodies []int, isn uint32) {
		s := f.tcp(c, a, b, isn, isn^0x33cc33cc, t)
		s.synOpts = true
		s.handshake()
		for i, p := range paths {
			s.send(1, true, PSH|ACK, httpGET(hostHdr, p))
			s.send(25, false, ACK, nil)
			body := httpResponse(bodies[i])
			for len(body) > 1448 {
				s.send(2, false, ACK, body[:1448])
				body = body[1448:]
			}
			s.send(2, false, PSH|ACK, body)
			s.send(1, true, ACK, nil)
		}
		s.closeAB()
		s.done()
	}

	// 0 s: resolve and browse www.example.com over TLS.
	dns(0, 53001, 0x3a01, "www.example.com", layers.DNSTypeA,
		dnsRR{name: "www.example.com", typ: layers.DNSTypeA, addr: "198.51.100.80", ttl: 300})
	{
		a, b := mkep(host, 50001), mkep("198.51.100.80", 443)
		tlsSession(20, f.conn("tcp", a, b, "SF", "ShADadFf"), a, b, "www.example.com", 101, 0x0c0ffee1)
	}
	// 1 s: AAAA over IPv6, then HTTP over IPv6.
	dns(1000, 53002, 0x3a02, "www.example.com", layers.DNSTypeAAAA,
		dnsRR{name: "www.example.com", typ: layers.DNSTypeAAAA, addr: "2001:db8:80::80", ttl: 300})
	{
		a, b := mkep(host6, 50002), mkep("2001:db8:80::80", 80)
		httpSession(1020, f.conn("tcp", a, b, "SF", "ShADadFf"), a, b, "www.example.com", []string{"/"}, []int{612}, 0x0c0ffee2)
	}
	// 2 s: CNAME chain, then a two-segment image download.
	dns(2000, 53003, 0x3a03, "cdn.example.com", layers.DNSTypeA,
		dnsRR{name: "cdn.example.com", typ: layers.DNSTypeCNAME, cname: "edge.example.net", ttl: 60},
		dnsRR{name: "edge.example.net", typ: layers.DNSTypeA, addr: "203.0.113.53", ttl: 60})
	{
		a, b := mkep(host, 50003), mkep("203.0.113.53", 80)
		httpSession(2020, f.conn("tcp", a, b, "SF", "ShADadFf"), a, b, "cdn.example.com", []string{"/logo.png"}, []int{2400}, 0x0c0ffee3)
	}
	// 3-4 s: two pings, one connection.
	{
		a, b := mkep(host, 8), mkep("198.51.100.1", 0)
		c := f.conn("icmp", a, b, "OTH", "-")
		c.ipProto = 1
		c.Note = "two echo request/reply pairs in one connection"
		for i := 0; i < 2; i++ {
			body := cat(be32(uint32(1700000003+i)), be32(0), filler("", 48))
			rq := buildICMP4(f.hdr(a.ip, b.ip), 8, 0, 0x1d2e, uint16(i+1), body)
			f.add(ms(3000+float64(i)*1000), rq, icmpTag(c, rq, true))
			rp := buildICMP4(f.hdr(b.ip, a.ip), 0, 0, 0x1d2e, uint16(i+1), body)
			f.add(ms(3000+float64(i)*1000+9.8), rp, icmpTag(c, rp, false))
		}
	}
	// 5 s: ICMPv6 echo and a neighbor solicitation to a solicited-node group.
	{
		a, b := mkep(host6, 128), mkep("2001:db8:80::80", 129)
		c := f.conn("icmp", a, b, "OTH", "-")
		c.ipProto = 58
		body := filler("", 56)
		rq := buildICMP6(f.hdr(a.ip, b.ip), 128, 0, cat(be16(0x2b3c), be16(1), body))
		f.add(ms(5000), rq, icmpTag(c, rq, true))
		rp := buildICMP6(f.hdr(b.ip, a.ip), 129, 0, cat(be16(0x2b3c), be16(1), body))
		f.add(ms(5010.2), rp, icmpTag(c, rp, false))
	}
	{
		a, b := mkep(host6, 135), mkep("ff02::1:ff00:1", 136)
		c := f.conn("icmp", a, b, "OTH", "-")
		c.ipProto = 58
		c.Note = "single packet: duration/bytes unset; ff02::/16 is not local"
		mac := macFor(a.ip)
		ns := cat(make([]byte, 4), mkep("2001:db8:1::1", 0).ip.AsSlice(), []byte{1, 1}, mac[:])
		h := f.hdr(a.ip, b.ip)
		h.ttl = 255
		p := buildICMP6(h, 135, 0, ns)
		f.add(ms(5500), p, icmpTag(c, p, true))
	}
	// 6 s: mDNS query to the IPv6 multicast group, unanswered.
	{
		a, b := mkep("fe80::10", 5353), mkep("ff02::fb", 5353)
		c := f.conn("udp", a, b, "S0", "D")
		c.Note = "single packet; ff02::fb is not local"
		h := f.hdr(a.ip, b.ip)
		h.ttl = 255
		q := dnsQuery(0, "_ipp._tcp.local", layers.DNSTypePTR)
		ip := buildUDP(h, a.port, b.port, q)
		c.ipProto = 17
		f.add(ms(6000), ip, Tag{c: c, orig: true, ipLen: ipTotalLen(ip), payload: int64(len(q)), counts: true, updatesLast: true})
	}
	// 7 s: refused SMTP connection.
	{
		a, b := mkep(host, 50004), mkep("198.51.100.25", 25)
		c := f.conn("tcp", a, b, "REJ", "Sr")
		s := f.tcp(c, a, b, 0x0c0ffee4, 0xffffffff, 7000)
		s.synOpts = true
		s.send(0, true, SYN, nil)
		s.send(21.3, false, RST|ACK, nil)
		s.done()
	}
	// 8 s: an outside host probes five ports with bare SYNs.
	for i, port := range []uint16{21, 22, 23, 3389, 5900} {
		a, b := mkep("203.0.113.66", 61001+uint16(i)), mkep("192.168.1.20", port)
		c := f.conn("tcp", a, b, "S0", "S")
		c.Note = "single SYN"
		s := f.tcp(c, a, b, 0x5ca40000+uint32(i), 0, 8000+float64(i)*10)
		s.win[0] = 1024
		s.send(0, true, SYN, nil)
		s.done()
	}
	// 9 s: syslog to a collector that never answers.
	{
		a, b := mkep(host, 40514), mkep("192.0.2.50", 514)
		c := f.conn("udp", a, b, "S0", "D")
		c.Note = "single packet"
		f.udp(c, ms(9000), a, b, []byte("<14>Nov 14 22:13:29 host10 backup[4242]: nightly backup finished"), true)
	}
	// 10 s .. 430.5 s: MQTT session kept alive every 60 s.
	{
		a, b := mkep("192.168.1.30", 50010), mkep("198.51.100.18", 1883)
		c := f.conn("tcp", a, b, "SF", "ShADdFf")
		c.Note = "long-lived: 7 keepalives 60 s apart, never idle for 5 min"
		s := f.tcp(c, a, b, 0x0c0ffee5, 0x7e57ab1e, 10000)
		s.synOpts = true
		s.handshake()
		s.send(1, true, PSH|ACK, mqttConnect("sensor-livingroom"))
		s.send(31, false, PSH|ACK, []byte{0x20, 0x02, 0x00, 0x00})
		s.send(1, true, ACK, nil)
		for i := 1; i <= 7; i++ {
			s.at(10000 + float64(i)*60000)
			s.send(0, true, PSH|ACK, []byte{0xc0, 0x00})
			s.send(30, false, PSH|ACK, []byte{0xd0, 0x00})
			s.send(1, true, ACK, nil)
		}
		s.send(500, true, PSH|ACK, []byte{0xe0, 0x00})
		s.send(1, true, FIN|ACK, nil)
		s.send(30, false, FIN|ACK, nil)
		s.send(1, true, ACK, nil)
		s.done()
	}
	// 12 s: a short SSH session.
	{
		a, b := mkep(host, 50020), mkep("192.0.2.22", 22)
		c := f.conn("tcp", a, b, "SF", "ShAdDaFf")
		s := f.tcp(c, a, b, 0x0c0ffee6, 0x22222222, 12000)
		s.synOpts = true
		s.handshake()
		s.send(4, false, PSH|ACK, []byte("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n"))
		s.send(1, true, ACK, nil)
		s.send(2, true, PSH|ACK, []byte("SSH-2.0-OpenSSH_9.6\r\n"))
		s.send(25, false, ACK, nil)
		s.send(1, true, PSH|ACK, sshKexInit(61))
		s.send(3, false, PSH|ACK, sshKexInit(62))
		s.send(1, true, PSH|ACK, sshPacket(cat([]byte{30}, sshString(pseudo(63, 32))), 64))
		s.send(9, false, PSH|ACK, cat(
			sshPacket(cat([]byte{31}, sshString(cat(sshString([]byte("ssh-ed25519")), sshString(pseudo(65, 32)))),
				sshString(pseudo(66, 32)), sshString(cat(sshString([]byte("ssh-ed25519")), sshString(pseudo(67, 64))))), 68),
			sshPacket([]byte{21}, 69)))
		s.send(1, true, PSH|ACK, cat(sshPacket([]byte{21}, 70), pseudo(71, 68)))
		s.send(40, false, PSH|ACK, pseudo(72, 68))
		s.send(1, true, ACK, nil)
		s.send(800, true, PSH|ACK, pseudo(73, 52))
		s.send(25, false, PSH|ACK, pseudo(74, 52))
		s.closeAB()
		s.done()
	}
	// 15 s: another API call over TLS from a second host.
	dns(15000, 53004, 0x3a04, "api.example.org", layers.DNSTypeA,
		dnsRR{name: "api.example.org", typ: layers.DNSTypeA, addr: "203.0.113.10", ttl: 120})
	{
		a, b := mkep("192.168.1.11", 50100), mkep("203.0.113.10", 443)
		tlsSession(15030, f.conn("tcp", a, b, "SF", "ShADadFf"), a, b, "api.example.org", 201, 0x0c0ffee7)
	}
	// 20 s: NTP.
	{
		a, b := mkep(host, 123), mkep("192.0.2.123", 123)
		c := f.conn("udp", a, b, "SF", "Dd")
		f.udp(c, ms(20000), a, b, ntpPacket(3, 71), true)
		f.udp(c, ms(20024.6), b, a, ntpPacket(4, 72), false)
	}
	// 25 s: TLS over IPv6.
	dns(25000, 53005, 0x3a05, "v6.example.com", layers.DNSTypeAAAA,
		dnsRR{name: "v6.example.com", typ: layers.DNSTypeAAAA, addr: "2001:db8:80::443", ttl: 300})
	{
		a, b := mkep(host6, 50101), mkep("2001:db8:80::443", 443)
		tlsSession(25030, f.conn("tcp", a, b, "SF", "ShADadFf"), a, b, "v6.example.com", 301, 0x0c0ffee8)
	}
	// 30 s: intranet HTTP with two requests on one connection.
	{
		a, b := mkep(host, 50005), mkep("192.0.2.80", 8080)
		httpSession(30000, f.conn("tcp", a, b, "SF", "ShADadFf"), a, b, "intranet.example.com:8080",
			[]string{"/status", "/metrics"}, []int{180, 950}, 0x0c0ffee9)
	}
	// 60-62 s: more lookups.
	dns(60000, 53006, 0x3a06, "time.example.org", layers.DNSTypeA,
		dnsRR{name: "time.example.org", typ: layers.DNSTypeA, addr: "192.0.2.123", ttl: 3600})
	dns(61000, 53007, 0x3a07, "updates.example.net", layers.DNSTypeA,
		dnsRR{name: "updates.example.net", typ: layers.DNSTypeCNAME, cname: "cdn.example.org", ttl: 300},
		dnsRR{name: "cdn.example.org", typ: layers.DNSTypeA, addr: "203.0.113.80", ttl: 300},
		dnsRR{name: "cdn.example.org", typ: layers.DNSTypeA, addr: "203.0.113.81", ttl: 300})
	dns(62000, 53008, 0x3a08, "mqtt.example.net", layers.DNSTypeA,
		dnsRR{name: "mqtt.example.net", typ: layers.DNSTypeA, addr: "198.51.100.18", ttl: 300})
	{
		a, b := mkep("192.168.1.12", 50200), mkep("203.0.113.80", 80)
		httpSession(61100, f.conn("tcp", a, b, "SF", "ShADadFf"), a, b, "updates.example.net",
			[]string{"/manifest.json"}, []int{730}, 0x0c0ffeea)
	}
	// 120 s: a TLS connection the client aborts after the server's first flight.
	{
		a, b := mkep("192.168.1.11", 50102), mkep("203.0.113.10", 443)
		c := f.conn("tcp", a, b, "RSTO", "ShADadR")
		s := f.tcp(c, a, b, 0x0c0ffeeb, 0x1234abcd, 120000)
		s.synOpts = true
		s.handshake()
		s.send(1, true, PSH|ACK, tlsClientHello("api.example.org", 401))
		s.send(18, false, ACK, nil)
		s.send(6, false, PSH|ACK, tlsServerFlight(402, 380))
		s.send(2, true, RST|ACK, nil)
		s.done()
	}
	// 200 s: plain HTTP to the web server from a third host.
	{
		a, b := mkep("192.168.1.12", 50201), mkep("198.51.100.80", 80)
		httpSession(200000, f.conn("tcp", a, b, "SF", "ShADadFf"), a, b, "www.example.com",
			[]string{"/robots.txt"}, []int{64}, 0x0c0ffeec)
	}
	// 300 s: DNS again.
	dns(300000, 53009, 0x3a09, "www.example.com", layers.DNSTypeA,
		dnsRR{name: "www.example.com", typ: layers.DNSTypeA, addr: "198.51.100.80", ttl: 300})
	// 425 s: a TLS connection still open when the capture ends.
	{
		a, b := mkep("192.168.1.11", 50103), mkep("198.51.100.80", 443)
		c := f.conn("tcp", a, b, "S1", "ShADad")
		c.Note = "still open at end of capture"
		s := f.tcp(c, a, b, 0x0c0ffeed, 0x0badf00d, 425000)
		s.synOpts = true
		s.handshake()
		s.send(1, true, PSH|ACK, tlsClientHello("www.example.com", 501))
		s.send(18, false, ACK, nil)
		s.send(6, false, PSH|ACK, tlsServerFlight(502, 420))
		s.send(1, true, ACK, nil)
		s.done()
	}
	return f
}
