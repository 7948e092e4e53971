package service

import (
	"bytes"

	"github.com/flowlog/flowlog/flow"
	"github.com/flowlog/flowlog/tls"
)

// UDP protocols, each a bit of conn.live.
const (
	uDNS = 1 << iota
	uQUIC
	uDTLS
	uDHCP
	uNTP
	uSNMP
	uSyslog
	uSIP
	uKRB
	uLDAP
	uRDPEUDP
	uVXLAN
	uGeneve
	uTeredo
	uAYIYA
	uGTP
	allUDP = 1<<iota - 1
)

type quicState struct {
	quic    *tls.QUICAssembler
	dtls    *tls.DTLSAssembler
	rdpSyn  bool
	rdpPort bool
}

func (w *conn) classifyUDP(c *flow.Conn, isOrig bool, p []byte) {
	if w.live == 0 {
		return
	}
	found := func(m uint32, names ...string) {
		w.live = 0
		for _, n := range names {
			w.add(c, n)
		}
	}
	sp, dp := c.OrigP, c.RespP
	port := func(n uint16) bool { return sp == n || dp == n }

	// Tunnels first: their payload holds whole inner packets, which may
	// look like anything.
	if w.live&uVXLAN != 0 && port(4789) && len(p) >= 8+14 && p[0]&0x08 != 0 {
		found(uVXLAN, VXLAN)
		return
	}
	if w.live&uGeneve != 0 && port(6081) && len(p) >= 8 && p[0]>>6 == 0 && 8+4*int(p[0]&0x3f) < len(p) {
		found(uGeneve, Geneve)
		return
	}
	if w.live&uGTP != 0 && port(2152) && len(p) >= 8 && p[0]>>5 == 1 && p[0]&0x10 != 0 && p[1] == 0xff {
		found(uGTP, GTPv1)
		return
	}
	if w.live&uAYIYA != 0 && port(5072) && len(p) >= 8 && (p[3] == 4 || p[3] == 41) {
		found(uAYIYA, AYIYA)
		return
	}
	// Teredo is detected on any port; Zeek confirms it only once both
	// sides sent valid Teredo packets (Tunnel::delay_teredo_confirmation).
	if w.live&uTeredo != 0 && teredo(p) {
		if isOrig {
			w.teredoOrig = true
		} else {
			w.teredoResp = true
		}
		if w.teredoOrig && w.teredoResp {
			found(uTeredo, Teredo)
		}
		return
	}

	if w.live&uQUIC != 0 && isOrig {
		if w.quic.quic == nil && tls.LooksLikeQUICInitial(p) {
			w.quic.quic = w.d.quicFree.get()
		}
		if a := w.quic.quic; a != nil && !a.Done() {
			if h, _ := a.Add(p); h != nil {
				found(uQUIC, QUIC, SSL)
				w.dropQUIC()
				return
			}
			if !a.Done() {
				return // more Initial packets to come
			}
			w.dropQUIC()
		}
	}
	if w.live&uDTLS != 0 && isOrig {
		if w.quic.dtls == nil && tls.LooksLikeDTLS(p) {
			w.quic.dtls = w.d.dtlsFree.get()
		}
		if a := w.quic.dtls; a != nil && !a.Done() {
			if h, _ := a.Add(p); h != nil {
				found(uDTLS, DTLS)
				w.dropDTLS()
				return
			}
			if !a.Done() {
				return
			}
			w.dropDTLS()
		}
	}
	if w.live&uRDPEUDP != 0 && len(p) >= 8 && p[0] == 0xff && p[1] == 0xff && p[2] == 0xff && p[3] == 0xff {
		fl := uint16(p[6])<<8 | uint16(p[7])
		if isOrig && fl&0x0001 != 0 && fl&0x0004 == 0 {
			w.quic.rdpSyn = true
			return
		}
	}
	if w.live&uRDPEUDP != 0 && w.quic.rdpSyn && !isOrig && len(p) >= 8 {
		fl := uint16(p[6])<<8 | uint16(p[7])
		if fl&0x0005 == 0x0005 {
			found(uRDPEUDP, RDPEUDP)
			return
		}
	}
	if w.live&uDHCP != 0 && dhcp(p) {
		found(uDHCP, DHCP)
		return
	}
	if w.live&uDNS != 0 && dnsOK(&w.d.dnsMsg, p, false, port(53) || port(137) || port(5353) || port(5355)) {
		found(uDNS, DNS)
		return
	}
	if w.live&uNTP != 0 && port(123) && ntp(p) {
		found(uNTP, NTP)
		return
	}
	if w.live&uSNMP != 0 && snmp(p) {
		found(uSNMP, SNMP)
		return
	}
	if w.live&uKRB != 0 && len(p) >= 4 && krbMsg(p, len(p)) {
		found(uKRB, KRB)
		return
	}
	if w.live&uSIP != 0 && sip(p) {
		found(uSIP, SIP)
		return
	}
	if w.live&uLDAP != 0 && (port(389) || port(3268)) && ldapMsg(p) == yes {
		found(uLDAP, LDAPUDP)
		return
	}
	if w.live&uSyslog != 0 && (port(514) || bytes.HasPrefix(p[min(len(p), bytes.IndexByte(p, '>')+1):], []byte("1 "))) &&
		syslogPRI(p) == yes {
		found(uSyslog, Syslog)
		return
	}
}

func teredo(p []byte) bool {
	// Optional authentication (0x0001) and origin indication (0x0000)
	// headers, then an IPv6 packet.
	for i := 0; i < 2 && len(p) >= 2 && p[0] == 0; i++ {
		switch p[1] {
		case 1:
			if len(p) < 13 {
				return false
			}
			n := 4 + int(p[2]) + int(p[3]) + 9
			if len(p) < n {
				return false
			}
			p = p[n:]
		case 0:
			if len(p) < 8 {
				return false
			}
			p = p[8:]
		default:
			return false
		}
	}
	return len(p) >= 40 && p[0]>>4 == 6
}

func dhcp(p []byte) bool {
	return len(p) >= 240 && (p[0] == 1 || p[0] == 2) && p[2] <= 16 &&
		p[236] == 0x63 && p[237] == 0x82 && p[238] == 0x53 && p[239] == 0x63
}

func ntp(p []byte) bool {
	if len(p) < 12 {
		return false
	}
	v, mode := (p[0]>>3)&7, p[0]&7
	if v < 1 || v > 4 || mode == 0 {
		return false
	}
	if mode == 6 || mode == 7 { // control and private messages
		return true
	}
	return len(p) >= 48
}

func snmp(p []byte) bool {
	if len(p) < 8 || p[0] != 0x30 {
		return false
	}
	l, h, ok := berLen(p[1:])
	if !ok || 1+h+l != len(p) {
		return false
	}
	q := p[1+h:]
	if len(q) < 3 || q[0] != 0x02 || q[1] != 1 || (q[2] != 0 && q[2] != 1 && q[2] != 3) {
		return false
	}
	q = q[3:]
	if len(q) < 2 {
		return false
	}
	return q[0] == 0x04 || q[0] == 0x30 // community (v1, v2c) or header data (v3)
}

func sip(p []byte) bool {
	i := bytes.IndexByte(p, '\n')
	if i < 0 {
		return false
	}
	line := bytes.TrimRight(p[:i], "\r")
	if bytes.HasPrefix(line, []byte("SIP/2.0 ")) {
		return true
	}
	return bytes.HasSuffix(line, []byte(" SIP/2.0")) && bytes.Contains(line, []byte(" sip:"))
}

// dropQUIC and dropDTLS give w's finished handshake assembler back.
func (w *conn) dropQUIC() {
	w.quic.quic.Reset()
	w.d.quicFree.put(w.quic.quic)
	w.quic.quic = nil
}

func (w *conn) dropDTLS() {
	w.quic.dtls.Reset()
	w.d.dtlsFree.put(w.quic.dtls)
	w.quic.dtls = nil
}
