package service

import (
	"bytes"
	"net/netip"
	"strconv"

	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
	"github.com/flowlog/flowlog/tls"
)

// maxControlPackets bounds how long an FTP or IRC control connection is
// watched for announced data connections.
const maxControlPackets = 4096

// maxLine bounds a buffered partial control line.
const maxLine = 512

// control handles the packets after confirmation of a protocol that may
// upgrade to TLS or announce data connections. It returns true when the
// detector is finished.
func (w *conn) control(t *flow.Table, c *flow.Conn, isOrig bool, l *decode.Layer) bool {
	p := l.Payload
	if len(p) == 0 {
		return false
	}
	if w.upgrade && isOrig && tls.LooksLikeClientHello(p) {
		w.add(c, SSL)
		return true // the rest is encrypted
	}
	if w.sshWait && !isOrig {
		if w.sshLineStart && hasPrefixFold(p, "SSH-") || bytes.Contains(p, []byte("\nSSH-")) {
			w.add(c, SSH)
			return true
		}
		w.sshLineStart = p[len(p)-1] == '\n'
	}
	if w.httpWait && !isOrig {
		w.httpWait = false
		if hasPrefixFold(p, "HTTP/") && statusIs(p, "101") {
			w.add(c, WebSocket)
		}
	}
	if w.ldap && isOrig && !w.ldapMech {
		w.saslMechs(c, p)
	}
	if w.pop3 {
		w.pop3Lines(c, isOrig, p, true)
	}
	if w.ftp {
		w.lineBufs(c, isOrig, p, true)
		w.upgradeLeft = maxControlPackets - w.pkts
	}
	if w.irc {
		w.ircLines(c, p)
		w.upgradeLeft = maxControlPackets - w.pkts
	}
	w.upgradeLeft--
	return w.upgradeLeft <= 0 || !w.control0()
}

// saslMechs looks for the SASL mechanisms Zeek's LDAP analyzer hands to
// its NTLM and GSSAPI (Kerberos) analyzers, which then add their services.
func (w *conn) saslMechs(c *flow.Conn, p []byte) {
	switch {
	case bytes.Contains(p, []byte("NTLMSSP\x00")):
		w.add(c, NTLM)
		w.ldapMech = true
	case bytes.Contains(p, krb5OID) || bytes.Contains(p, krb5OIDMS):
		w.add(c, KRB)
		w.add(c, GSSAPI)
		w.ldapMech = true
	}
	if w.ldapMech {
		w.ldap = false
	}
}

// Kerberos 5 mechanism OIDs (1.2.840.113554.1.2.2 and Microsoft's
// 1.2.840.48018.1.2.2) as DER.
var (
	krb5OID   = []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02}
	krb5OIDMS = []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02}
)

// pop3Lines checks server replies as Zeek's POP3 analyzer does: outside a
// multi-line response every reply must start with +OK or -ERR (or "+ "
// for SASL), else it is a protocol violation and the service is removed.
func (w *conn) pop3Lines(c *flow.Conn, isOrig bool, p []byte, keep bool) {
	k := 1
	if isOrig {
		k = 0
	}
	lines(&w.ctlOf().lineBuf[k], p, keep, func(line []byte) {
		if isOrig {
			var buf [16]byte
			wd, _ := word(trimSpace(line), buf[:])
			multi := false
			switch string(wd) {
			case "CAPA", "RETR", "TOP":
				multi = true
			case "LIST", "UIDL":
				multi = len(bytes.Fields(line)) == 1
			}
			if len(w.ctlOf().pop3Pending) < 64 {
				w.ctlOf().pop3Pending = append(w.ctlOf().pop3Pending, multi)
			}
			return
		}
		if w.pop3Multi {
			if string(line) == "." {
				w.pop3Multi = false
			}
			return
		}
		ok := hasPrefixFold(line, "+OK") || hasPrefixFold(line, "-ERR") || bytes.HasPrefix(line, []byte("+ "))
		if !ok {
			w.remove(c, POP3)
			w.pop3 = false
			return
		}
		if !w.pop3Greeted {
			w.pop3Greeted = true
			return
		}
		if len(w.ctlOf().pop3Pending) > 0 {
			multi := w.ctlOf().pop3Pending[0]
			w.ctlOf().pop3Pending = w.ctlOf().pop3Pending[1:]
			w.pop3Multi = multi && hasPrefixFold(line, "+OK")
		}
	})
}

// lines calls fn for every complete line of p, keeping a partial last line
// in *pending (up to maxLine bytes) when keep is set.
func lines(pending *[]byte, p []byte, keep bool, fn func(line []byte)) {
	if keep && len(*pending) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if len(*pending)+len(p) <= maxLine {
				*pending = append(*pending, p...)
			} else {
				*pending = (*pending)[:0]
			}
			return
		}
		*pending = append(*pending, p[:i]...)
		fn(bytes.TrimRight(*pending, "\r"))
		*pending = (*pending)[:0]
		p = p[i+1:]
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if keep && len(p) <= maxLine {
				*pending = append((*pending)[:0], p...)
			}
			return
		}
		fn(bytes.TrimRight(p[:i], "\r"))
		p = p[i+1:]
	}
}

// lineBufs learns FTP data channels: PORT/EPRT from the client, 227/229
// replies from the server (Zeek's ftp_port/ftp_reply handling in
// base/protocols/ftp).
func (w *conn) lineBufs(c *flow.Conn, isOrig bool, p []byte, keep bool) {
	k := 1
	if isOrig {
		k = 0
	}
	now := c.Last
	lines(&w.ctlOf().lineBuf[k], p, keep, func(line []byte) {
		if isOrig {
			switch {
			case hasPrefixFold(line, "PORT "):
				if a, port, ok := parseFTPPort(line[5:]); ok {
					w.d.expectConn(c.RespH, a, port, FTPData, now)
				}
			case hasPrefixFold(line, "EPRT "):
				if a, port, ok := parseEPRT(line[5:]); ok {
					w.d.expectConn(c.RespH, a, port, FTPData, now)
				}
			}
			return
		}
		if !w.ftpReplyOK(line) {
			w.remove(c, FTP)
			w.ftp = false
			return
		}
		switch {
		case bytes.HasPrefix(line, []byte("227")):
			i := bytes.IndexByte(line, '(')
			var arg []byte
			if i >= 0 {
				arg = line[i+1:]
			} else if j := bytes.LastIndexByte(line, ' '); j > 0 {
				arg = line[j+1:]
			}
			if a, port, ok := parseFTPPort(arg); ok {
				w.d.expectConn(c.OrigH, a, port, FTPData, now)
			}
		case bytes.HasPrefix(line, []byte("229")):
			i := bytes.IndexByte(line, '(')
			if i < 0 {
				return
			}
			if _, port, ok := parseEPSV(line[i+1:]); ok {
				w.d.expectConn(c.OrigH, c.RespH, port, FTPData, now)
			}
		}
	})
}

// ftpReplyOK checks a server line as Zeek's FTP analyzer does: a reply
// starts with a 3-digit code followed by a space, a dash (a multi-line
// reply, which ends at a line starting with the same code and a space) or
// the end of the line.
func (w *conn) ftpReplyOK(line []byte) bool {
	if w.ctlOf().ftpReplyMulti != "" {
		if len(line) >= 4 && string(line[:3]) == w.ctlOf().ftpReplyMulti && line[3] == ' ' {
			w.ctlOf().ftpReplyMulti = ""
		}
		return true
	}
	if len(line) < 3 || !isDigit(line[0]) || !isDigit(line[1]) || !isDigit(line[2]) {
		return false
	}
	if len(line) == 3 {
		return true
	}
	switch line[3] {
	case ' ':
		return true
	case '-':
		w.ctlOf().ftpReplyMulti = string(line[:3])
		return true
	}
	return false
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// parseFTPPort parses "h1,h2,h3,h4,p1,p2".
func parseFTPPort(b []byte) (decode.Addr, uint16, bool) {
	var v [6]int
	n := 0
	cur, have := 0, false
	for _, ch := range b {
		switch {
		case ch >= '0' && ch <= '9':
			cur = cur*10 + int(ch-'0')
			if cur > 255 {
				return decode.Addr{}, 0, false
			}
			have = true
		case ch == ',' || ch == ')' || ch == ' ' || ch == '.':
			if !have {
				if ch == ',' {
					return decode.Addr{}, 0, false
				}
				continue
			}
			if n == 6 {
				return decode.Addr{}, 0, false
			}
			v[n] = cur
			n++
			cur, have = 0, false
			if ch == ')' || (ch != ',' && n == 6) {
				goto done
			}
		default:
			if have || n > 0 {
				goto done
			}
		}
	}
done:
	if have && n < 6 {
		v[n] = cur
		n++
	}
	if n != 6 {
		return decode.Addr{}, 0, false
	}
	port := v[4]<<8 | v[5]
	return decode.AddrFrom4([]byte{byte(v[0]), byte(v[1]), byte(v[2]), byte(v[3])}), uint16(port), port > 0
}

// parseEPRT parses "|1|132.235.1.2|6275|" (RFC 2428).
func parseEPRT(b []byte) (decode.Addr, uint16, bool) {
	if len(b) < 2 {
		return decode.Addr{}, 0, false
	}
	d := b[0]
	f := bytes.Split(b[1:], []byte{d})
	if len(f) < 3 {
		return decode.Addr{}, 0, false
	}
	a, err := netip.ParseAddr(string(f[1]))
	if err != nil {
		return decode.Addr{}, 0, false
	}
	port, err := strconv.ParseUint(string(f[2]), 10, 16)
	if err != nil || port == 0 {
		return decode.Addr{}, 0, false
	}
	return decode.Addr(a.As16()), uint16(port), true
}

// parseEPSV parses "|||6446|)".
func parseEPSV(b []byte) (decode.Addr, uint16, bool) {
	if len(b) < 5 {
		return decode.Addr{}, 0, false
	}
	d := b[0]
	f := bytes.Split(b[1:], []byte{d})
	if len(f) < 4 {
		return decode.Addr{}, 0, false
	}
	port, err := strconv.ParseUint(string(f[2]), 10, 16)
	if err != nil || port == 0 {
		return decode.Addr{}, 0, false
	}
	return decode.Addr{}, uint16(port), true
}

// ircLines learns DCC SEND offers ("\x01DCC SEND file ip port size\x01"):
// Zeek's irc/dcc.zeek expects a connection from anywhere to ip:port.
func (w *conn) ircLines(c *flow.Conn, p []byte) {
	i := bytes.Index(p, []byte("\x01DCC SEND "))
	for i >= 0 {
		rest := p[i+10:]
		end := bytes.IndexByte(rest, 1)
		if end < 0 {
			end = bytes.IndexByte(rest, '\n')
		}
		if end < 0 {
			end = len(rest)
		}
		f := bytes.Fields(rest[:end])
		var ipf, portf []byte
		switch {
		case len(f) >= 4: // file ip port size
			ipf, portf = f[len(f)-3], f[len(f)-2]
		case len(f) == 3: // file ip port
			ipf, portf = f[1], f[2]
		}
		if ipf != nil {
			ip, err1 := strconv.ParseUint(string(ipf), 10, 32)
			port, err2 := strconv.ParseUint(string(portf), 10, 16)
			if err1 == nil && err2 == nil && port > 0 {
				a := decode.AddrFrom4([]byte{byte(ip >> 24), byte(ip >> 16), byte(ip >> 8), byte(ip)})
				w.d.expectConn(decode.Addr{}, a, uint16(port), IRCDCCData, c.Last)
			}
		}
		p = rest
		i = bytes.Index(p, []byte("\x01DCC SEND "))
	}
}
