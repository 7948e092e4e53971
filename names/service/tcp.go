package service

import (
	"bytes"

	"github.com/flowlog/flowlog/flow"
	"github.com/flowlog/flowlog/names/dnsmsg"
	"github.com/flowlog/flowlog/tls"
)

// Service names, as Zeek's conn.log spells them (its analyzer names in
// lower case).
const (
	SSL        = "ssl"
	DTLS       = "dtls"
	QUIC       = "quic"
	HTTP       = "http"
	WebSocket  = "websocket"
	SSH        = "ssh"
	SMTP       = "smtp"
	FTP        = "ftp"
	FTPData    = "ftp-data"
	POP3       = "pop3"
	IMAP       = "imap"
	IRC        = "irc"
	IRCDCCData = "irc-dcc-data"
	NTLM       = "ntlm"
	GSSAPI     = "gssapi"
	XMPP       = "xmpp"
	MySQL      = "mysql"
	PostgreSQL = "postgresql"
	Redis      = "redis"
	DNS        = "dns"
	KRB        = "krb"
	KRBTCP     = "krb_tcp"
	LDAPTCP    = "ldap_tcp"
	LDAPUDP    = "ldap_udp"
	SyslogTCP  = "syslog_tcp"
	Syslog     = "syslog"
	RDP        = "rdp"
	RDPEUDP    = "rdpeudp"
	Modbus     = "modbus"
	DCERPC     = "dce_rpc"
	SMB        = "smb"
	DHCP       = "dhcp"
	NTP        = "ntp"
	SNMP       = "snmp"
	SIP        = "sip"
	VXLAN      = "vxlan"
	Geneve     = "geneve"
	Teredo     = "teredo"
	AYIYA      = "ayiya"
	GTPv1      = "gtpv1"
)

type verdict int8

const (
	no    verdict = -1
	maybe verdict = 0
	yes   verdict = 1
)

// TCP protocols, each a bit of conn.live.
const (
	pSSL = 1 << iota
	pHTTP
	pSSH
	pSMTP
	pFTP
	pPOP3
	pIMAP
	pIRC
	pXMPP
	pMySQL
	pPostgres
	pRedis
	pDNS
	pKRB
	pLDAP
	pSyslog
	pRDP
	pModbus
	pDCERPC
	pSMB
	allTCP = 1<<iota - 1
)

// upgradable protocols can switch to TLS in the same connection.
const upgradable = pSMTP | pFTP | pPOP3 | pIMAP | pIRC | pXMPP | pLDAP | pMySQL | pPostgres | pHTTP

var tcpName = [...]string{SSL, HTTP, SSH, SMTP, FTP, POP3, IMAP, IRC, XMPP, MySQL, PostgreSQL, Redis, DNS,
	KRBTCP, LDAPTCP, SyslogTCP, RDP, Modbus, DCERPC, SMB}

// sslPorts are the responder ports Zeek's SSL analyzer is registered on
// (it then parses SSLv2-format hellos too).
func sslPort(p uint16) bool {
	switch p {
	case 443, 563, 585, 614, 636, 989, 990, 992, 993, 995, 5223:
		return true
	}
	return false
}

func httpPort(p uint16) bool {
	switch p {
	case 80, 81, 631, 1080, 3128, 8000, 8080, 8888:
		return true
	}
	return false
}

func (w *conn) classifyTCP(c *flow.Conn) {
	o, r := w.orig.buf, w.resp.buf
	if w.sslCheckResp && len(r) > 0 {
		w.sslCheckResp = false
		if !tlsServerStart(r) {
			w.remove(c, SSL) // Zeek: protocol violation after confirmation
		}
	}
	if w.live&pLDAP != 0 && !w.ldapMech && len(r) == 0 && ldapMsg(o) == yes {
		// SASL binds may confirm NTLM or Kerberos before the LDAP
		// analyzer confirms on the server's response.
		w.saslMechs(c, o)
	}
	for bit := 0; w.live != 0 && bit < len(tcpName); bit++ {
		m := uint32(1) << bit
		if w.live&m == 0 {
			continue
		}
		v := w.tcpVerdict(m, o, r)
		if v == maybe {
			continue
		}
		w.live &^= m
		if v == yes {
			w.live = 0 // one application protocol per connection
			w.add(c, tcpName[bit])
			if m == pSSL {
				w.sslCheckResp = len(r) == 0
				if len(r) > 0 && !tlsServerStart(r) {
					w.remove(c, SSL)
				}
			}
			w.after(c, m, o, r)
		}
	}
}

// after sets up what follows a confirmation: secondary services and the
// watching of control connections.
func (w *conn) after(c *flow.Conn, m uint32, o, r []byte) {
	switch m {
	case pHTTP:
		if w.httpWS {
			if len(r) > 0 {
				if statusIs(r, "101") {
					w.add(c, WebSocket)
				}
			} else {
				w.httpWait = true // look at the response's status
			}
		}
		// A tunnel through CONNECT: TLS may follow the 200 response.
		w.upgrade = w.httpConnect
		return
	case pFTP:
		w.ftp = true
		// The lines seen so far may already hold PASV replies or PORT.
		w.lineBufs(c, true, o, true)
		w.lineBufs(c, false, r, true)
	case pIRC:
		w.irc = true
		w.ircLines(c, o)
		w.ircLines(c, r)
	case pPOP3:
		w.pop3 = true
		w.pop3Lines(c, true, o, true)
		w.pop3Lines(c, false, r, true)
	case pLDAP:
		w.ldap = true
		if !w.ldapMech {
			w.saslMechs(c, o)
		}
	}
	if m&upgradable != 0 {
		w.upgrade = true
	}
}

func (w *conn) tcpVerdict(m uint32, o, r []byte) verdict {
	switch m {
	case pSSL:
		if len(o) < 6 {
			if len(o) == 0 || bytes.HasPrefix([]byte{0x16, 0x03}, o[:min(len(o), 2)]) {
				return maybe
			}
			return no
		}
		if tls.LooksLikeClientHello(o) || (sslPort(w.respPort) && tls.LooksLikeTLS(o) && o[0]&0x80 != 0) {
			return yes
		}
		return no
	case pHTTP:
		return w.httpVerdict(o, r)
	case pSSH:
		if len(o) < 4 {
			return maybe
		}
		if !hasPrefixFold(o, "SSH-") {
			return no
		}
		v := lineWithPrefix(r, "SSH-", false)
		if v == maybe && len(r) >= w.d.cfg.MaxBytes {
			// A long pre-banner text (RFC 4253 4.2): look further,
			// without buffering, in the control phase.
			w.sshWait = true
			w.sshLineStart = r[len(r)-1] == '\n'
			return no
		}
		return v
	case pSMTP:
		return cmdReply(o, r, "220", smtpCmd)
	case pFTP:
		return cmdReply(o, r, "220", ftpCmd)
	case pPOP3:
		return cmdReply(o, r, "+OK", pop3Cmd)
	case pIMAP:
		return imapVerdict(o, r)
	case pIRC:
		return ircVerdict(o, r)
	case pXMPP:
		return xmppVerdict(o, r)
	case pMySQL:
		return mysqlVerdict(o, r)
	case pPostgres:
		return postgresVerdict(o, r)
	case pRedis:
		return redisVerdict(o, r)
	case pDNS:
		return w.dnsTCPVerdict(o)
	case pKRB:
		return krbTCPVerdict(o)
	case pLDAP:
		return ldapVerdict(o, r)
	case pSyslog:
		return syslogTCPVerdict(o)
	case pRDP:
		return rdpVerdict(o, r)
	case pModbus:
		return modbusVerdict(o, r)
	case pDCERPC:
		return dcerpcVerdict(o)
	case pSMB:
		return smbVerdict(o)
	}
	return no
}

// tlsServerStart reports whether a server's first bytes can be TLS records
// (content types 20-24, version 3.x) or an SSLv2 record.
func tlsServerStart(r []byte) bool {
	if len(r) == 0 {
		return true
	}
	if r[0]&0x80 != 0 {
		return true // SSLv2 record header
	}
	if r[0] < 20 || r[0] > 24 {
		return false
	}
	return len(r) < 2 || r[1] == 3
}

// --- line-based protocols ---

func upperASCII(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 32
	}
	return c
}

func hasPrefixFold(b []byte, p string) bool {
	if len(b) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if upperASCII(b[i]) != upperASCII(p[i]) {
			return false
		}
	}
	return true
}

// prefixOfFold reports whether b is a (case-insensitive) prefix of p.
func prefixOfFold(b []byte, p string) bool {
	if len(b) > len(p) {
		return false
	}
	return hasPrefixFold([]byte(p), string(b))
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n') {
		b = b[1:]
	}
	return b
}

// word returns the leading token of b (letters only, upper-cased into
// dst) and whether it was terminated (by a space, CR, LF or end of a line).
func word(b []byte, dst []byte) ([]byte, bool) {
	dst = dst[:0]
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
			if len(dst) >= 16 {
				return dst, true
			}
			dst = append(dst, upperASCII(c))
		case c == ' ' || c == '\r' || c == '\n' || c == '\t':
			return dst, i > 0
		default:
			return dst, true
		}
	}
	return dst, false
}

func inList(w []byte, list []string) bool {
	for _, s := range list {
		if string(w) == s {
			return true
		}
	}
	return false
}

var smtpCmd = []string{"HELO", "EHLO"}

var ftpCmd = []string{"USER", "ACCT", "CWD", "CDUP", "SMNT", "QUIT", "REIN", "PORT", "PASV", "TYPE", "STRU",
	"MODE", "RETR", "STOR", "STOU", "APPE", "ALLO", "REST", "RNFR", "RNTO", "ABOR", "DELE", "RMD", "MKD",
	"PWD", "LIST", "NLST", "SITE", "SYST", "STAT", "HELP", "NOOP", "AUTH", "FEAT", "OPTS", "EPSV", "EPRT",
	"PBSZ", "PROT", "SIZE", "MDTM", "CLNT", "LANG", "MLSD", "MLST", "XPWD"}

var pop3Cmd = []string{"USER", "PASS", "APOP", "AUTH", "CAPA", "STLS", "QUIT", "STAT", "LIST", "RETR", "DELE",
	"NOOP", "RSET", "TOP", "UIDL"}

// cmdReply: the server greets with greet, the client answers with a
// command of cmds.
func cmdReply(o, r []byte, greet string, cmds []string) verdict {
	rt := r
	switch {
	case len(rt) == 0:
		// The client may speak first only in captures missing the
		// greeting; still wait for the server.
		if len(o) > 0 {
			if v := cmdVerdict(o, cmds); v == no {
				return no
			}
		}
		return maybe
	case len(rt) < len(greet):
		if !prefixOfFold(rt, greet) {
			return no
		}
		return maybe
	case !hasPrefixFold(rt, greet):
		return no
	}
	if greet == "220" && len(rt) > 3 && rt[3] != ' ' && rt[3] != '-' {
		return no
	}
	return cmdVerdict(o, cmds)
}

// commandWord reads the first word of o after leading space into buf. While
// o is empty or the word is unfinished it decides alone (decided): maybe as
// long as the word can still become one of cmds, else no.
func commandWord(o []byte, cmds []string, buf []byte) (ot, wd []byte, v verdict, decided bool) {
	ot = trimSpace(o)
	if len(ot) == 0 {
		return ot, nil, maybe, true
	}
	wd, done := word(ot, buf)
	if !done {
		for _, s := range cmds {
			if prefixOfFold(wd, s) {
				return ot, wd, maybe, true
			}
		}
		return ot, wd, no, true
	}
	return ot, wd, no, false
}

func cmdVerdict(o []byte, cmds []string) verdict {
	var buf [16]byte
	_, wd, v, decided := commandWord(o, cmds, buf[:])
	if decided {
		return v
	}
	if inList(wd, cmds) {
		return yes
	}
	return no
}

// lineWithPrefix looks for a line starting with p (the server may send
// other lines first, as SSH servers may before their banner).
func lineWithPrefix(b []byte, p string, full bool) verdict {
	for len(b) > 0 {
		if hasPrefixFold(b, p) {
			return yes
		}
		if len(b) < len(p) && prefixOfFold(b, p) {
			return maybe
		}
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			break
		}
		b = b[i+1:]
	}
	if full {
		return no
	}
	return maybe
}

var httpMethods = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "CONNECT", "PATCH",
	"PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH", "REPORT", "SUBSCRIBE",
	"UNSUBSCRIBE", "NOTIFY", "POLL", "BCOPY", "BDELETE", "BMOVE", "BPROPFIND", "BPROPPATCH", "MKACTIVITY",
	"CHECKOUT", "MERGE", "MSEARCH", "M-SEARCH", "VERSION-CONTROL", "BASELINE-CONTROL", "ACL"}

func (w *conn) httpVerdict(o, r []byte) verdict {
	var buf [16]byte
	ot, wd, v, decided := commandWord(o, httpMethods, buf[:])
	if decided {
		return v
	}
	if !inList(wd, httpMethods) {
		// On its registered ports Zeek's HTTP analyzer takes any method
		// token; ask for a whole request line then.
		if !httpPort(w.respPort) || len(wd) == 0 || len(ot) <= len(wd) || ot[len(wd)] != ' ' {
			return no
		}
		line := ot
		if i := bytes.IndexByte(ot, '\n'); i >= 0 {
			line = bytes.TrimRight(ot[:i], "\r")
		} else if len(ot) < 256 {
			return maybe
		}
		if j := bytes.LastIndex(line, []byte(" HTTP/")); j < 0 || len(line) != j+9 {
			return no
		}
	}
	w.httpConnect = string(wd) == "CONNECT"
	if !w.httpWS {
		w.httpWS = headerHas(o, "upgrade:", "websocket")
	}
	// Zeek's HTTP analyzer, attached from the start on its registered
	// ports, confirms on a request; elsewhere DPD needs the reply too.
	if httpPort(w.respPort) {
		return yes
	}
	switch {
	case len(r) == 0:
		return maybe
	case len(r) < 6:
		if prefixOfFold(r, "HTTP/1") || prefixOfFold(r, "HTTP/2") || prefixOfFold(r, "HTTP/0") {
			return maybe
		}
		return no
	case hasPrefixFold(r, "HTTP/") && r[5] >= '0' && r[5] <= '9':
		return yes
	}
	return no
}

// headerHas reports whether a header line named name (lower-case, with its
// colon) contains val, case-insensitively.
func headerHas(b []byte, name, val string) bool {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		line := b
		if i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if hasPrefixFold(line, name) && bytes.Contains(bytes.ToLower(line[len(name):]), []byte(val)) {
			return true
		}
	}
	return false
}

// statusIs reports whether an HTTP response starts with status code.
func statusIs(r []byte, code string) bool {
	i := bytes.IndexByte(r, ' ')
	return i > 0 && bytes.HasPrefix(r[i+1:], []byte(code))
}

var imapCmd = []string{"CAPABILITY", "LOGIN", "AUTHENTICATE", "STARTTLS", "ID", "NOOP", "LOGOUT", "SELECT",
	"EXAMINE", "LIST", "LSUB", "STATUS", "ENABLE"}

func imapVerdict(o, r []byte) verdict {
	switch {
	case len(r) == 0:
		return maybe
	case len(r) < 4:
		if prefixOfFold(r, "* OK") || prefixOfFold(r, "* PREAUTH") {
			return maybe
		}
		return no
	case !hasPrefixFold(r, "* OK") && !hasPrefixFold(r, "* PREAUTH") && !hasPrefixFold(r, "* BYE"):
		return no
	}
	// tag SP command
	i := bytes.IndexByte(o, ' ')
	if i < 0 {
		if len(o) > 32 || bytes.ContainsAny(o, "\r\n") {
			return no
		}
		return maybe
	}
	if i == 0 || i > 32 {
		return no
	}
	return cmdVerdict(o[i+1:], imapCmd)
}

func ircVerdict(o, r []byte) verdict {
	ot := trimSpace(o)
	if len(ot) == 0 {
		return maybe
	}
	var buf [16]byte
	wd, done := word(ot, buf[:])
	if !done {
		return maybe
	}
	switch string(wd) {
	case "NICK", "USER", "PASS", "CAP", "SERVER", "STARTTLS":
	default:
		return no
	}
	if len(r) == 0 {
		return maybe
	}
	// Server lines: ":prefix COMMAND ..." or "NOTICE ...", "PING".
	if r[0] == ':' {
		return yes
	}
	rw, done := word(r, buf[:])
	if !done {
		return maybe
	}
	switch string(rw) {
	case "NOTICE", "PING", "ERROR":
		return yes
	}
	return no
}

func xmppVerdict(o, r []byte) verdict {
	ot := trimSpace(o)
	if len(ot) < 6 {
		if len(ot) == 0 || prefixOfFold(ot, "<?xml ") || prefixOfFold(ot, "<stream") {
			return maybe
		}
		return no
	}
	if !hasPrefixFold(ot, "<?xml") && !hasPrefixFold(ot, "<stream") {
		return no
	}
	n := min(len(ot), 512)
	if !bytes.Contains(ot[:n], []byte("jabber:")) {
		if len(ot) >= 512 || bytes.Contains(ot, []byte(">")) && bytes.Contains(ot, []byte("stream")) {
			if !bytes.Contains(ot, []byte("jabber")) {
				return no
			}
		}
		return maybe
	}
	return yes
}

// --- binary protocols ---

func mysqlVerdict(o, r []byte) verdict {
	// Server greeting: 3-byte little-endian length, sequence 0, protocol
	// version 10 (or 9), NUL-terminated server version.
	if len(r) < 5 {
		if len(r) >= 4 && r[3] != 0 {
			return no
		}
		return maybe
	}
	n := int(r[0]) | int(r[1])<<8 | int(r[2])<<16
	if r[3] != 0 || (r[4] != 10 && r[4] != 9) || n < 20 || n > 1024 {
		return no
	}
	end := min(len(r), 4+n)
	nul := bytes.IndexByte(r[5:end], 0)
	if nul < 0 {
		if end == 4+n {
			return no
		}
		return maybe
	}
	for _, c := range r[5 : 5+nul] {
		if c < 0x20 || c >= 0x7f {
			return no
		}
	}
	// Client handshake response (or SSL request): sequence 1.
	if len(o) < 4 {
		return maybe
	}
	if o[3] != 1 {
		return no
	}
	return yes
}

func postgresVerdict(o, r []byte) verdict {
	if len(o) < 8 {
		return maybe
	}
	n := int(o[0])<<24 | int(o[1])<<16 | int(o[2])<<8 | int(o[3])
	code := int(o[4])<<24 | int(o[5])<<16 | int(o[6])<<8 | int(o[7])
	ssl := false
	switch {
	case code == 80877103 && n == 8: // SSLRequest
		ssl = true
	case code == 80877104 && n == 8: // GSSENCRequest
	case code == 196608 && n >= 9 && n <= 10000: // StartupMessage 3.0
		if len(o) >= 12 && !bytes.HasPrefix(o[8:], []byte("user")) && !bytes.HasPrefix(o[8:], []byte("database")) &&
			!bytes.HasPrefix(o[8:], []byte("application_name")) && !bytes.HasPrefix(o[8:], []byte("client_encoding")) &&
			!bytes.HasPrefix(o[8:], []byte("options")) && !bytes.HasPrefix(o[8:], []byte("replication")) {
			return no
		}
	default:
		return no
	}
	if len(r) == 0 {
		return maybe
	}
	if ssl {
		if r[0] == 'S' || r[0] == 'N' {
			return yes
		}
		return no
	}
	switch r[0] {
	case 'R', 'E', 'N':
		if len(r) < 5 {
			return maybe
		}
		l := int(r[1])<<24 | int(r[2])<<16 | int(r[3])<<8 | int(r[4])
		if l >= 4 && l < 1<<20 {
			return yes
		}
	}
	return no
}

// redisVerdict: a RESP array of bulk strings (or an inline command) from
// the client, a RESP value from the server.
func redisVerdict(o, r []byte) verdict {
	if len(o) < 4 {
		return maybe
	}
	if o[0] == '*' {
		i := bytes.Index(o, []byte("\r\n"))
		if i < 0 {
			if len(o) > 12 {
				return no
			}
			return maybe
		}
		if !digits(o[1:i]) || i+1 >= len(o)-1 || o[i+2] != '$' {
			if i+2 < len(o) {
				return no
			}
			return maybe
		}
	} else {
		return no
	}
	if len(r) == 0 {
		return maybe
	}
	switch r[0] {
	case '+', '-', ':', '$', '*', '_', '#', ',', '(', '!', '=', '%', '~', '>', '|':
		if bytes.Contains(r, []byte("\r\n")) {
			return yes
		}
		return maybe
	}
	return no
}

func digits(b []byte) bool {
	if len(b) == 0 || len(b) > 10 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func (w *conn) dnsTCPVerdict(o []byte) verdict {
	// (TCP: the client's first message must be a query.)
	if len(o) < 2+dnsmsg.HeaderLen {
		return maybe
	}
	n := int(o[0])<<8 | int(o[1])
	if n < dnsmsg.HeaderLen {
		return no
	}
	if len(o) < 2+n {
		if n > 4096 {
			return no
		}
		return maybe
	}
	if dnsOK(&w.d.dnsMsg, o[2:2+n], true, w.respPort == 53) {
		return yes
	}
	return no
}

// dnsOK reports whether b parses as a DNS message through its answer
// section (Zeek confirms its DNS analyzer there), with plausible counts. A
// reply without questions (as mDNS sends) counts only on a DNS port.
func dnsOK(m *dnsmsg.Msg, b []byte, query, dnsPort bool) bool {
	m.Check(b)
	if m.Err != nil && m.ErrSection <= dnsmsg.Answer {
		return false
	}
	if m.QDCount > 16 || m.ANCount > 256 || m.NSCount > 256 || m.ARCount > 256 {
		return false
	}
	if m.QDCount == 0 && !(dnsPort && m.QR && m.ANCount > 0) {
		return false
	}
	if query && m.QR {
		return false
	}
	if m.Opcode > 6 {
		return false
	}
	if dnsPort {
		return true
	}
	m.Parse(b) // now with the names
	// Elsewhere, ask for plausible questions: host-name characters and a
	// known class (the top bit is mDNS's unicast-response flag).
	for _, q := range m.Questions {
		switch q.Class &^ 0x8000 {
		case 1, 3, 4, 254, 255:
		default:
			return false
		}
		for i := 0; i < len(q.Name); i++ {
			c := q.Name[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '*') {
				return false
			}
		}
	}
	return len(m.Questions) > 0
}

// berLen reads a BER length at b; it returns the length, the header bytes
// used and ok.
func berLen(b []byte) (int, int, bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	if b[0] < 0x80 {
		return int(b[0]), 1, true
	}
	k := int(b[0] & 0x7f)
	if k == 0 || k > 4 || len(b) < 1+k {
		return 0, 0, false
	}
	n := 0
	for _, c := range b[1 : 1+k] {
		n = n<<8 | int(c)
	}
	return n, 1 + k, n >= 0
}

func krbTCPVerdict(o []byte) verdict {
	if len(o) < 6 {
		return maybe
	}
	n := int(o[0])<<24 | int(o[1])<<16 | int(o[2])<<8 | int(o[3])
	if n < 4 || n > 1<<20 {
		return no
	}
	if krbMsg(o[4:], n) {
		return yes
	}
	return no
}

// krbMsg checks a Kerberos message's application tag and outer length
// (total: its expected length, or -1 for any).
func krbMsg(b []byte, total int) bool {
	switch b[0] {
	case 0x6a, 0x6b, 0x6c, 0x6d, 0x7e: // AS-REQ, AS-REP, TGS-REQ, TGS-REP, KRB-ERROR
	default:
		return false
	}
	l, h, ok := berLen(b[1:])
	if !ok {
		return false
	}
	if total >= 0 && 1+h+l != total {
		return false
	}
	return len(b) < 2+h || b[1+h] == 0x30
}

// ldapMsg checks the start of an LDAPMessage: SEQUENCE { INTEGER
// messageID, protocolOp [APPLICATION n] }.
func ldapMsg(o []byte) verdict {
	if len(o) < 2 {
		return maybe
	}
	if o[0] != 0x30 {
		return no
	}
	l, h, ok := berLen(o[1:])
	if !ok {
		if len(o) < 6 {
			return maybe
		}
		return no
	}
	if l < 5 || l > 1<<20 {
		return no
	}
	p := o[1+h:]
	if len(p) < 3 {
		return maybe
	}
	if p[0] != 0x02 || p[1] < 1 || p[1] > 4 {
		return no
	}
	if len(p) < 2+int(p[1]) {
		return maybe
	}
	p = p[2+int(p[1]):]
	if len(p) < 1 {
		return maybe
	}
	op := p[0]
	if op&0xc0 != 0x40 { // [APPLICATION n]
		return no
	}
	if op&0x1f > 25 {
		return no
	}
	return yes
}

// ldapVerdict: Zeek's LDAP analyzer confirms on the server's first
// message; the client's must be LDAP too.
func ldapVerdict(o, r []byte) verdict {
	if v := ldapMsg(o); v != yes {
		return v
	}
	return ldapMsg(r)
}

func syslogTCPVerdict(o []byte) verdict {
	b := o
	// Octet counting (RFC 6587): "NNN <PRI>..."
	i := 0
	for i < len(b) && i < 6 && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	if i > 0 {
		if i >= len(b) {
			return maybe
		}
		if b[i] != ' ' {
			return no
		}
		b = b[i+1:]
	}
	return syslogPRI(b)
}

func syslogPRI(b []byte) verdict {
	if len(b) == 0 {
		return maybe
	}
	if b[0] != '<' {
		return no
	}
	n := 0
	for i := 1; i < len(b); i++ {
		c := b[i]
		if c == '>' {
			if i == 1 || n > 191 {
				return no
			}
			if i+1 < len(b) && (b[i+1] < 0x20 || b[i+1] >= 0x7f) {
				return no
			}
			return yes
		}
		if c < '0' || c > '9' || i > 3 {
			return no
		}
		n = n*10 + int(c-'0')
	}
	return maybe
}

func rdpVerdict(o, r []byte) verdict {
	// TPKT (version 3) carrying an X.224 Connection Request, then a
	// Connection Confirm.
	if len(o) < 6 {
		if len(o) > 0 && o[0] != 3 {
			return no
		}
		return maybe
	}
	if o[0] != 3 || o[1] != 0 || o[5]&0xf0 != 0xe0 {
		return no
	}
	if len(r) < 6 {
		if len(r) > 0 && r[0] != 3 {
			return no
		}
		return maybe
	}
	if r[0] != 3 || r[1] != 0 || r[5]&0xf0 != 0xd0 {
		return no
	}
	return yes
}

func modbusVerdict(o, r []byte) verdict {
	// MBAP: transaction id, protocol id 0, length, unit, function.
	mbap := func(b []byte) verdict {
		if len(b) < 8 {
			if len(b) >= 4 && (b[2] != 0 || b[3] != 0) {
				return no
			}
			return maybe
		}
		n := int(b[4])<<8 | int(b[5])
		if b[2] != 0 || b[3] != 0 || n < 2 || n > 254 || b[7] == 0 {
			return no
		}
		return yes
	}
	if v := mbap(o); v != yes {
		return v
	}
	v := mbap(r)
	if v == yes && (r[0] != o[0] || r[1] != o[1]) {
		return no
	}
	return v
}

func dcerpcVerdict(o []byte) verdict {
	if len(o) < 10 {
		if len(o) > 0 && o[0] != 5 {
			return no
		}
		return maybe
	}
	if o[0] != 5 || o[1] > 1 || o[2] > 19 || o[4]&0xee != 0 {
		return no
	}
	var fl int
	if o[4]&0x10 != 0 {
		fl = int(o[8]) | int(o[9])<<8
	} else {
		fl = int(o[8])<<8 | int(o[9])
	}
	if fl < 16 {
		return no
	}
	return yes
}

func smbVerdict(o []byte) verdict {
	if len(o) < 8 {
		if len(o) > 0 && o[0] != 0 {
			return no
		}
		return maybe
	}
	if o[0] != 0 {
		return no
	}
	switch string(o[4:8]) {
	case "\xffSMB", "\xfeSMB", "\xfdSMB":
		return yes
	}
	return no
}
