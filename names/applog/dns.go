package applog

import (
	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
	"github.com/flowlog/flowlog/names/dnsmsg"
	"github.com/flowlog/flowlog/names/service"
)

// DNSRecord is one dns.log row: a query and its reply, paired as Zeek's
// base/protocols/dns/main.zeek pairs them (by transaction id, in order),
// or an unpaired query or reply.
type DNSRecord struct {
	TS           int64 // packet time of the first message of the pair (ns)
	UID          flow.UID
	OrigH, RespH decode.Addr
	OrigP, RespP uint16
	Proto        string // "udp" or "tcp"
	TransID      uint16
	// RTT is the time from the first message to the first answer (ns);
	// unset when HasRTT is false (no answer, or zero).
	RTT    int64
	HasRTT bool
	Query  string
	// HasQuery: query is set (from the request, else the first answer).
	HasQuery bool
	// QClass, QType and their names come from the request (HasQType).
	QClass, QType         uint16
	QClassName, QTypeName string
	HasQType              bool
	Rcode                 uint16
	HasRcode              bool
	AA, TC, RD, RA        bool
	Z                     uint8
	Answers               []string // nil: unset
	TTLs                  []uint32 // seconds, parallel to Answers
	Rejected              bool
	Opcode                uint8
	HasOpcode             bool
	OpcodeName            string
	sawQuery, sawReply    bool
	swapped               bool
	netbios               bool
}

// RcodeName is the rcode_name column ("" if unset).
func (r *DNSRecord) RcodeName() string {
	if !r.HasRcode {
		return ""
	}
	return dnsmsg.RcodeName(r.Rcode)
}

// DNSTracker parses DNS over UDP and TCP on Zeek's DNS ports and produces
// dns.log records with Zeek's pairing and formatting. It is not safe for
// concurrent use (it runs on the table's goroutine). It stays attached to
// a DNS connection for its whole life, as Zeek's DNS analyzer does.
type DNSTracker struct {
	// OnRecord receives each dns.log record; the record is not used by
	// the tracker afterwards (the callee may keep it).
	OnRecord func(*DNSRecord)
	// OnMessage, if set, receives every parsed message (for passive DNS)
	// with its packet time. m is reused after the call.
	OnMessage func(c *flow.Conn, m *dnsmsg.Msg, ts int64)
	// Ports are the responder ports Zeek's DNS analyzer runs on; nil means
	// Zeek's: 53/udp, 53/tcp, 137/udp, 5353/udp, 5355/udp.
	Ports map[flow.PortProto]bool
	// MaxQueries is Zeek's dns_max_queries (default 25): messages with
	// more questions are not parsed.
	MaxQueries int
	msg        dnsmsg.Msg
}

// Zeek's DNS::max_pending_msgs and max_pending_query_ids.
const (
	maxPendingMsgs = 50
	maxPendingIDs  = 50
)

func (d *DNSTracker) port(p uint16, tr flow.Transport) bool {
	if d.Ports != nil {
		return d.Ports[flow.PortProto{Port: p, Trans: tr}]
	}
	switch p {
	case 53:
		return true
	case 137, 5353, 5355:
		return tr == flow.TransportUDP
	}
	return false
}

// Attach starts watching a new connection if it is on a DNS port: call it
// for each flow.EventOpened with the packet that created the connection.
func (d *DNSTracker) Attach(t *flow.Table, c *flow.Conn, p *decode.Packet) {
	if c.Trans != flow.TransportTCP && c.Trans != flow.TransportUDP {
		return
	}
	if !d.port(c.RespP, c.Trans) && !d.port(c.OrigP, c.Trans) {
		return
	}
	w := &dnsConn{d: d, tcp: c.Trans == flow.TransportTCP, origH: c.OrigH, origP: c.OrigP}
	c.AddWatcher(w)
	if l, isOrig := service.LayerOf(c, p); l != nil {
		w.OnPacket(t, c, isOrig, l)
	}
}

type pending struct {
	ids []uint16
	q   map[uint16][]*DNSRecord
}

func (p *pending) has(id uint16) bool { return len(p.q[id]) > 0 }

func (p *pending) pop(id uint16) *DNSRecord {
	q := p.q[id]
	r := q[0]
	q[0] = nil
	if len(q) == 1 {
		delete(p.q, id)
		for i, x := range p.ids {
			if x == id {
				p.ids = append(p.ids[:i], p.ids[i+1:]...)
				break
			}
		}
	} else {
		p.q[id] = q[1:]
	}
	return r
}

type dnsConn struct {
	d       *DNSTracker
	tcp     bool
	origH   decode.Addr
	origP   uint16
	streams [2]dnsmsg.Stream
	started bool
	flipped bool // Zeek flipped the roles (first message was a reply)
	hooked  bool

	cur            *DNSRecord // Zeek's c$dns
	pendingQuery   *DNSRecord
	pendingQueries pending
	pendingReplies pending
}

func (w *dnsConn) OnPacket(t *flow.Table, c *flow.Conn, isOrig bool, l *decode.Layer) {
	if l.BadChecksum || l.SkipPacket || len(l.Payload) == 0 {
		return
	}
	if c.OrigP != w.origP || c.OrigH != w.origH {
		w.origH, w.origP = c.OrigH, c.OrigP
		w.streams[0], w.streams[1] = w.streams[1], w.streams[0]
	}
	if !w.tcp {
		w.message(c, isOrig, l.Payload, c.Last)
		return
	}
	k := 1
	if isOrig {
		k = 0
	}
	w.streams[k].Add(l.Seq, l.Payload, func(m []byte) { w.message(c, isOrig, m, c.Last) })
}

func multicast(a decode.Addr) bool {
	if a.Is4() {
		return a[12]&0xf0 == 0xe0 // 224.0.0.0/4
	}
	return a[0] == 0xff
}

// respH returns the responder as Zeek has it (after its flip).
func (w *dnsConn) respH(c *flow.Conn) decode.Addr {
	if w.flipped {
		return c.OrigH
	}
	return c.RespH
}

func (w *dnsConn) respP(c *flow.Conn) uint16 {
	if w.flipped {
		return c.OrigP
	}
	return c.RespP
}

// message runs one DNS message through Zeek's DNS analyzer events and
// base/protocols/dns/main.zeek.
func (w *dnsConn) message(c *flow.Conn, isOrig bool, b []byte, ts int64) {
	if len(b) < dnsmsg.HeaderLen {
		return // DNS_truncated_len_lt_hdr_len: no events
	}
	m := &w.d.msg
	m.Parse(b)
	isQuery := isOrig != w.flipped
	if !w.started && m.QR && isQuery {
		// Zeek's DNS analyzer flips a connection whose first message is
		// a reply sent by the originator (unless to multicast).
		if !multicast(w.respH(c)) {
			w.flipped = !w.flipped
		}
	}
	w.started = true
	netbios := w.respP(c) == 137
	tracked := dnsmsg.Tracked(m.Opcode)
	if tracked {
		w.setSession(c, m, !m.QR, ts, netbios)
	}
	if w.d.OnMessage != nil {
		w.d.OnMessage(c, m, ts)
	}
	maxq := w.d.MaxQueries
	if maxq == 0 {
		maxq = 25
	}
	if int(m.QDCount) <= maxq {
		for i := range m.Questions {
			q := &m.Questions[i]
			switch {
			case !m.QR:
				if tracked && m.Opcode != dnsmsg.OpUpdate && w.cur != nil {
					w.request(m, q, netbios)
				}
			case m.ANCount == 0 && m.NSCount == 0 && m.ARCount == 0:
				if w.cur != nil {
					w.cur.Rejected = true // dns_rejected
				}
			}
		}
		for i := range m.Records {
			rr := &m.Records[i]
			s, handled := dnsmsg.ZeekAnswer(m, rr, netbios)
			if handled && w.cur != nil {
				w.reply(m, rr, s, ts)
			}
		}
	}
	// dns_end
	if r := w.cur; r != nil {
		if m.QR {
			r.sawReply = true
		} else {
			r.sawQuery = true
		}
		if r.sawQuery && r.sawReply {
			w.emit(c, r)
			w.cur = nil
		}
	}
}

func (w *dnsConn) newSession(c *flow.Conn, id uint16, ts int64, netbios bool) *DNSRecord {
	proto := "udp"
	if w.tcp {
		proto = "tcp"
	}
	return &DNSRecord{TS: ts, TransID: id, Proto: proto, swapped: w.flipped, netbios: netbios}
}

// setSession is main.zeek's DNS::set_session hook.
func (w *dnsConn) setSession(c *flow.Conn, m *dnsmsg.Msg, isQuery bool, ts int64, netbios bool) {
	if !w.hooked {
		w.hooked = c.RegisterHook("applog.dns", w)
	}
	id := m.ID
	switch {
	case multicast(w.respH(c)):
		w.cur = w.newSession(c, id, ts, netbios)
		w.cur.sawQuery, w.cur.sawReply = true, true
	case isQuery:
		if w.pendingReplies.has(id) {
			w.cur = w.pendingReplies.pop(id)
		} else {
			w.cur = w.newSession(c, id, ts, netbios)
			if w.pendingQuery == nil {
				w.pendingQuery = w.cur
			} else {
				w.enqueue(c, &w.pendingQueries, id, w.cur)
			}
		}
	default:
		switch {
		case w.pendingQuery != nil && w.pendingQuery.TransID == id:
			w.cur = w.pendingQuery
			w.pendingQuery = nil
			if len(w.pendingQueries.ids) > 0 {
				if w.pendingQueries.has(id) {
					w.pendingQuery = w.pendingQueries.pop(id)
				} else {
					w.pendingQuery = w.pendingQueries.pop(w.pendingQueries.ids[0])
				}
			}
		case w.pendingQueries.has(id):
			w.cur = w.pendingQueries.pop(id)
		default:
			w.cur = w.newSession(c, id, ts, netbios)
			w.enqueue(c, &w.pendingReplies, id, w.cur)
		}
	}
	r := w.cur
	if !isQuery {
		r.Rcode, r.HasRcode = uint16(m.Rcode), true
		if m.Rcode != 0 && m.QDCount == 0 {
			r.Rejected = true
		}
	}
	r.Opcode, r.HasOpcode = m.Opcode, true
	r.OpcodeName = dnsmsg.OpcodeName(m.Opcode, netbios)
}

// enqueue is main.zeek's enqueue_new_msg.
func (w *dnsConn) enqueue(c *flow.Conn, p *pending, id uint16, r *DNSRecord) {
	if p.q == nil {
		p.q = make(map[uint16][]*DNSRecord)
	}
	if !p.has(id) {
		if len(p.ids) > maxPendingIDs {
			w.flush(c, p)
		}
		p.ids = append(p.ids, id)
	} else if len(p.q[id]) > maxPendingMsgs {
		for _, x := range p.q[id] {
			w.emit(c, x)
		}
		p.q[id] = p.q[id][:0]
	}
	p.q[id] = append(p.q[id], r)
}

func (w *dnsConn) flush(c *flow.Conn, p *pending) {
	for _, id := range p.ids {
		for _, x := range p.q[id] {
			w.emit(c, x)
		}
	}
	p.ids = p.ids[:0]
	clear(p.q)
}

// request is main.zeek's dns_request handler.
func (w *dnsConn) request(m *dnsmsg.Msg, q *dnsmsg.Question, netbios bool) {
	r := w.cur
	r.RD, r.TC = m.RD, m.TC
	r.QClass, r.QType, r.HasQType = q.Class, q.Type, true
	r.QClassName = dnsmsg.ClassName(q.Class)
	r.QTypeName = dnsmsg.QTypeName(q.Type)
	r.Z = m.Z
	query := q.Name
	if netbios {
		first, _, _ := cut(query, '.')
		if d := dnsmsg.DecodeNetBIOSName(first); d != "" {
			query = d
		}
		if r.QTypeName == "SRV" {
			r.QTypeName = "NBSTAT"
		}
	}
	r.Query, r.HasQuery = query, true
}

func cut(s string, sep byte) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// reply is main.zeek's DNS::do_reply hook.
func (w *dnsConn) reply(m *dnsmsg.Msg, rr *dnsmsg.RR, s string, ts int64) {
	r := w.cur
	if !r.HasQuery {
		r.Query, r.HasQuery = rr.Name, true
	}
	r.AA, r.RA = m.AA, m.RA
	if !r.HasRTT {
		if d := ts - r.TS; d != 0 {
			r.RTT, r.HasRTT = d, true
		}
	}
	if s != "" {
		r.Answers = append(r.Answers, s)
		r.TTLs = append(r.TTLs, rr.TTL)
	}
}

func (w *dnsConn) emit(c *flow.Conn, r *DNSRecord) {
	r.UID = c.UID()
	r.OrigH, r.RespH, r.OrigP, r.RespP = c.OrigH, c.RespH, c.OrigP, c.RespP
	if r.swapped {
		r.OrigH, r.RespH, r.OrigP, r.RespP = r.RespH, r.OrigH, r.RespP, r.OrigP
	}
	if w.d.OnRecord != nil {
		w.d.OnRecord(r)
	}
}

// OnRemove implements flow.RemovalHook: main.zeek's finalize_dns logs the
// unmatched queries and replies.
func (w *dnsConn) OnRemove(c *flow.Conn) {
	if w.pendingQuery != nil {
		w.emit(c, w.pendingQuery)
		w.pendingQuery = nil
	}
	w.flush(c, &w.pendingQueries)
	w.flush(c, &w.pendingReplies)
}
