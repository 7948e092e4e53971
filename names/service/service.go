package service

import (
	"strings"

	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
	"github.com/flowlog/flowlog/names/dnsmsg"
	"github.com/flowlog/flowlog/tls"
)

// Config tunes the detector. Zero values take the defaults.
type Config struct {
	// MaxBytes is how many payload bytes of each direction are examined
	// (default 1024).
	MaxBytes int
	// MaxPackets is how many packets of a connection are watched before
	// the detector gives up and detaches (default 24).
	MaxPackets int
	// UpgradePackets is how many further packets are watched for a TLS
	// ClientHello after a protocol that can switch to TLS (STARTTLS and
	// the like) was found (default 64).
	UpgradePackets int
	// Enabled, if set, limits detection to the services it accepts (to
	// mimic a Zeek run with only some analyzers loaded). Nil enables all.
	Enabled func(service string) bool
}

func (c *Config) defaults() {
	if c.MaxBytes <= 0 {
		c.MaxBytes = 1024
	}
	if c.MaxPackets <= 0 {
		c.MaxPackets = 24
	}
	if c.UpgradePackets <= 0 {
		c.UpgradePackets = 64
	}
}

// Detector creates the per-connection detectors of one flow table and
// holds what they share: expected connections (FTP data channels, IRC DCC)
// announced by control connections. Like the table, it is not safe for
// concurrent use: call it from the goroutine that runs the table.
type Detector struct {
	cfg    Config
	expect map[expectKey]expectVal
	free   freeList[conn] // recycled detectors
	dnsMsg dnsmsg.Msg     // reused by dnsOK
	// scratch runs a Small detector (Start, Step).
	scratch conn
	// bufs recycles prefix arrays by capacity class (bufClasses);
	// quicFree and dtlsFree recycle handshake assemblers (Reset): their
	// buffers are several KiB, and most UDP detectors need one only for a
	// packet or two.
	bufs     [len(bufClasses)][][]byte
	quicFree freeList[tls.QUICAssembler]
	dtlsFree freeList[tls.DTLSAssembler]
	// Stats
	attached, detached uint64
}

type expectKey struct {
	orig, resp decode.Addr
	port       uint16
}

type expectVal struct {
	service string
	until   int64 // packet time (ns)
}

// maxExpect bounds the expected-connection table.
const maxExpect = 4096

// expectTimeout is how long an announced data connection is expected
// (Zeek's FTP and IRC scripts schedule the analyzer for 5 minutes).
const expectTimeout = 5 * 60 * int64(1e9)

// New returns a Detector.
func New(cfg Config) *Detector {
	cfg.defaults()
	return &Detector{cfg: cfg, expect: make(map[expectKey]expectVal)}
}

// Stats reports how many connections were attached and how many
// detectors have finished and detached.
func (d *Detector) Stats() (attached, detached uint64) { return d.attached, d.detached }

func (d *Detector) enabled(s string) bool { return d.cfg.Enabled == nil || d.cfg.Enabled(s) }

// Attach starts detection on a new connection and watches its packets as
// a flow.Watcher until it is done: call it for each flow.EventOpened, with
// the packet just given to Table.Packet (the one that created the
// connection: the table has already processed it, so the detector is
// handed its layer here). p may be nil (the first packet is then not
// examined). Connections of other transports than TCP and UDP are ignored.
// (names.Names drives detectors itself, through Start, with no framework
// state per connection.)
func (d *Detector) Attach(t *flow.Table, c *flow.Conn, p *decode.Packet) {
	w := d.start(t, c, p, false)
	if w == nil {
		return
	}
	if w.done {
		d.Free(w)
		return
	}
	w.watcher = true
	c.AddWatcher(w)
}

// State is the detector of one connection (see Start).
type State = conn

// Done reports whether detection on the connection has finished: its
// owner stops giving it packets and frees it.
func (w *State) Done() bool { return w.done }

// Small is the detector of a UDP connection packed into 31 bits, for an
// owner that keeps it in a word of its own instead of a State (names
// keeps it in the connection's Analyzer ref): the datagram counts and the
// few flags UDP detection carries between datagrams. Zero means done.
// A connection assembling a QUIC or DTLS handshake over several datagrams
// needs a State: Step then returns one in its place.
type Small uint32

// Bits of Small: a live marker (so that a live Small is never 0), the
// datagrams with payload classified per side (at most 8 each), the
// packets seen (at most Config.MaxPackets, which Small requires to be
// under 256) and the flags.
const (
	smLive       Small = 1 << 0
	smOrigShift        = 1
	smRespShift        = 5
	smPktsShift        = 9
	smTeredoOrig Small = 1 << 17
	smTeredoResp Small = 1 << 18
	smRDPSyn     Small = 1 << 19
	smMaxPackets       = 255
)

// Start starts detection on a new connection, as Attach, and returns its
// detector: a State, or for UDP a Small (both zero if there is nothing
// to detect, or detection finished on the first packet). The caller gives
// the connection's later packets to the State's OnPacket until Done, then
// Frees it (also when the connection is removed first); or to Step while
// the Small is not zero.
func (d *Detector) Start(t *flow.Table, c *flow.Conn, p *decode.Packet) (*State, Small) {
	w := d.start(t, c, p, true)
	if w == nil {
		return nil, 0
	}
	if w == &d.scratch {
		return d.pack(w)
	}
	if w.done {
		d.Free(w)
		return nil, 0
	}
	return w, 0
}

// Step gives a packet of c to its Small detector and returns the new
// state: a Small (zero: done), or a State that takes over from it.
func (d *Detector) Step(t *flow.Table, c *flow.Conn, isOrig bool, l *decode.Layer, s Small) (*State, Small) {
	if s == 0 {
		return nil, 0
	}
	w := &d.scratch
	d.unpack(w, c, s)
	w.OnPacket(t, c, isOrig, l)
	return d.pack(w)
}

// smallOK reports whether UDP detection on this Detector fits a Small.
func (d *Detector) smallOK() bool { return d.cfg.MaxPackets <= smMaxPackets }

func (d *Detector) unpack(w *conn, c *flow.Conn, s Small) {
	*w = conn{d: d, respPort: c.RespP, origH: c.OrigH, origP: c.OrigP, live: allUDP}
	w.orig.pkts = uint16(s>>smOrigShift) & 0xf
	w.resp.pkts = uint16(s>>smRespShift) & 0xf
	w.pkts = int(s>>smPktsShift) & 0xff
	w.teredoOrig = s&smTeredoOrig != 0
	w.teredoResp = s&smTeredoResp != 0
	w.quic.rdpSyn = s&smRDPSyn != 0
}

// pack turns the scratch detector back into a Small, or into a State if
// it holds a handshake assembler.
func (d *Detector) pack(w *conn) (*State, Small) {
	if w.done || w.live == 0 {
		return nil, 0
	}
	if w.quic.quic != nil || w.quic.dtls != nil {
		x := d.free.get()
		*x = *w
		*w = conn{}
		return x, 0
	}
	s := smLive | Small(w.orig.pkts)<<smOrigShift | Small(w.resp.pkts)<<smRespShift | Small(w.pkts)<<smPktsShift
	if w.teredoOrig {
		s |= smTeredoOrig
	}
	if w.teredoResp {
		s |= smTeredoResp
	}
	if w.quic.rdpSyn {
		s |= smRDPSyn
	}
	return nil, s
}

// start creates the detector of a new connection and gives it the first
// packet: for UDP with small set, the Detector's scratch detector, to be
// packed into a Small.
func (d *Detector) start(t *flow.Table, c *flow.Conn, p *decode.Packet, small bool) *State {
	if c.Trans != flow.TransportTCP && c.Trans != flow.TransportUDP {
		return nil
	}
	if len(d.expect) > 0 && c.Trans == flow.TransportTCP {
		for _, k := range [2]expectKey{{c.OrigH, c.RespH, c.RespP}, {decode.Addr{}, c.RespH, c.RespP}} {
			v, ok := d.expect[k]
			if !ok {
				continue
			}
			delete(d.expect, k)
			if v.until >= t.Now() && d.enabled(v.service) {
				c.SetService(v.service)
				return nil // a data channel: nothing more to detect
			}
		}
	}
	var w *conn
	if small && c.Trans == flow.TransportUDP && d.smallOK() {
		w = &d.scratch
		*w = conn{}
	} else {
		w = d.free.get()
	}
	w.d = d
	w.tcp = c.Trans == flow.TransportTCP
	w.respPort = c.RespP
	w.origH, w.origP = c.OrigH, c.OrigP
	w.live = allTCP
	if !w.tcp {
		w.live = allUDP
	}
	d.attached++
	if l, isOrig := LayerOf(c, p); l != nil {
		w.OnPacket(t, c, isOrig, l)
	}
	return w
}

// LayerOf returns the layer of p that belongs to connection c and whether
// it was sent by c's originator (nil if p has none, or p is nil).
func LayerOf(c *flow.Conn, p *decode.Packet) (*decode.Layer, bool) {
	if p == nil {
		return nil, false
	}
	for i := 0; i < p.N; i++ {
		l := &p.Layers[i]
		if !l.Session || l.Key.Proto != c.IPProto {
			continue
		}
		k := &l.Key
		if k.Src == c.OrigH && k.Dst == c.RespH && k.SrcPort == c.OrigP && k.DstPort == c.RespP {
			return l, true
		}
		if k.Src == c.RespH && k.Dst == c.OrigH && k.SrcPort == c.RespP && k.DstPort == c.OrigP {
			return l, false
		}
	}
	return nil, false
}

// Free gives back a detector from Start (done or not).
func (d *Detector) Free(w *State) {
	d.putBuf(w.orig.buf)
	d.putBuf(w.resp.buf)
	if w.quic.quic != nil {
		w.dropQUIC()
	}
	if w.quic.dtls != nil {
		w.dropDTLS()
	}
	*w = conn{}
	d.free.put(w)
}

// freeList recycles values of one type, keeping at most maxPool.
type freeList[T any] []*T

func (l *freeList[T]) get() *T {
	if n := len(*l); n > 0 {
		x := (*l)[n-1]
		(*l)[n-1] = nil
		*l = (*l)[:n-1]
		return x
	}
	return new(T)
}

func (l *freeList[T]) put(x *T) {
	if len(*l) < maxPool {
		*l = append(*l, x)
	}
}

// expectConn announces a connection orig -> resp:port, at packet time now.
func (d *Detector) expectConn(orig, resp decode.Addr, port uint16, service string, now int64) {
	if len(d.expect) >= maxExpect {
		for k, v := range d.expect {
			if v.until < now {
				delete(d.expect, k)
			}
		}
		if len(d.expect) >= maxExpect {
			return
		}
	}
	d.expect[expectKey{orig, resp, port}] = expectVal{service, now + expectTimeout}
}

// Of returns the services detected on c so far, joined by "," in the order
// they were confirmed ("" if none).
func Of(c *flow.Conn) string { return c.Service() }

// dir is one direction's examined prefix.
type dir struct {
	buf     []byte
	next    uint32 // TCP: next expected sequence number
	pkts    uint16 // data packets (UDP: datagrams) seen (saturating)
	started bool
	gap     bool // TCP: a segment was missing: no more bytes
}

// bufClasses are the capacities of prefix buffers (up to MaxBytes): a
// prefix holds about what it needs, not the largest array it was ever
// recycled with.
var bufClasses = [...]int{64, 256, 1024}

// growBuf returns b with room for need bytes, moving it to a larger
// recycled array.
func (d *Detector) growBuf(b []byte, need int) []byte {
	size := max(need, d.cfg.MaxBytes)
	class := len(bufClasses)
	for i, n := range bufClasses {
		if n >= need && n <= d.cfg.MaxBytes {
			size, class = n, i
			break
		}
	}
	var nb []byte
	if class < len(bufClasses) {
		if k := len(d.bufs[class]); k > 0 {
			nb = d.bufs[class][k-1]
			d.bufs[class][k-1] = nil
			d.bufs[class] = d.bufs[class][:k-1]
		}
	}
	if nb == nil {
		nb = make([]byte, 0, size)
	}
	nb = append(nb, b...)
	d.putBuf(b)
	return nb
}

// putBuf recycles a prefix buffer's array.
func (d *Detector) putBuf(b []byte) {
	for i, n := range bufClasses {
		if cap(b) == n {
			if len(d.bufs[i]) < maxPool {
				d.bufs[i] = append(d.bufs[i], b[:0])
			}
			return
		}
	}
}

// maxPool bounds each list of recycled detectors and arrays: enough for
// the connections that start while others finish, not a copy of every
// detector freed when a large table is flushed.
const maxPool = 1024

// releaseBufs gives back the prefix buffers once they are no longer
// read (the control phase reads packets, not prefixes).
func (w *conn) releaseBufs() {
	w.d.putBuf(w.orig.buf)
	w.d.putBuf(w.resp.buf)
	w.orig.buf, w.resp.buf = nil, nil
}

// add appends a TCP segment's payload if it continues the prefix.
func (x *dir) addTCP(det *Detector, l *decode.Layer, max int) bool {
	if l.Flags&decode.TCPSyn != 0 {
		x.next, x.started = l.Seq+1, true
	}
	p := l.Payload
	if len(p) == 0 || x.gap {
		return false
	}
	if x.pkts < 0xffff {
		x.pkts++
	}
	if !x.started {
		x.next, x.started = l.Seq, true
	}
	d := int32(l.Seq - x.next)
	switch {
	case d > 0:
		x.gap = true
		return false
	case -d >= int32(len(p)):
		return false // retransmission
	}
	p = p[-d:]
	x.next += uint32(len(p))
	if room := max - len(x.buf); room > 0 {
		if len(p) > room {
			p = p[:room]
		}
		if len(x.buf)+len(p) > cap(x.buf) {
			x.buf = det.growBuf(x.buf, len(x.buf)+len(p))
		}
		x.buf = append(x.buf, p...)
		return true
	}
	return false
}

// conn is the per-connection detector, a flow.Watcher.
type conn struct {
	d          *Detector
	done       bool
	watcher    bool // attached as a flow.Watcher (Attach)
	tcp        bool
	respPort   uint16
	orig, resp dir
	pkts       int
	live       uint32 // protocols not yet ruled out
	// upgrade: watching for a TLS ClientHello after STARTTLS & co.
	upgrade     bool
	upgradeLeft int
	// ftp: the control connection stays attached to learn data channels.
	ftp bool
	// http: request seen was CONNECT / asked for a WebSocket upgrade.
	httpConnect, httpWS, httpWait bool
	// The roles as of the last packet (the table may flip them).
	origH decode.Addr
	origP uint16
	// irc DCC offers.
	irc bool
	// ssh: the client's banner was seen, the server's is after a long
	// pre-banner text.
	sshWait, sshLineStart bool
	// ldap: look for SASL mechanisms (NTLM, Kerberos) in the binds.
	ldap, ldapMech bool
	// pop3/ftp: server replies are checked for protocol violations.
	pop3        bool
	pop3Multi   bool
	pop3Greeted bool
	// ctl: line state of control protocols (FTP, POP3), nil until needed.
	ctl *ctlState
	// teredo: valid packets seen from the originator and the responder.
	teredoOrig, teredoResp bool
	// ssl: confirmed from a ClientHello; removed again if the server
	// answers with something that is not TLS (a protocol violation).
	sslCheckResp bool
	// UDP state: QUIC and DTLS assemblers, RDP-UDP handshake.
	quic quicState
}

// ctlState is what control protocols (FTP, POP3) keep beyond the prefix:
// few connections need it, so it is apart from conn.
type ctlState struct {
	// lineBuf holds a partial control line per direction.
	lineBuf       [2][]byte
	pop3Pending   []bool
	ftpReplyMulti string
}

func (w *conn) ctlOf() *ctlState {
	if w.ctl == nil {
		w.ctl = new(ctlState)
	}
	return w.ctl
}

// maxServices bounds the services of one connection.
const maxServices = 6

// The services found so far are kept in the Conn's service column itself
// (conn.log's comma-separated column), in the order they were confirmed.

func hasService(c *flow.Conn, s string) bool {
	for rest := c.Service(); rest != ""; {
		f, r, _ := strings.Cut(rest, ",")
		if f == s {
			return true
		}
		rest = r
	}
	return false
}

func (w *conn) add(c *flow.Conn, s string) {
	if hasService(c, s) || !w.d.enabled(s) || strings.Count(c.Service(), ",") >= maxServices-1 {
		return
	}
	c.AddService(s)
}

func (w *conn) remove(c *flow.Conn, s string) {
	if !hasService(c, s) {
		return
	}
	var b []string
	for _, f := range strings.Split(c.Service(), ",") {
		if f != s {
			b = append(b, f)
		}
	}
	c.SetService(strings.Join(b, ","))
}

// OnPacket implements flow.Watcher.
func (w *conn) OnPacket(t *flow.Table, c *flow.Conn, isOrig bool, l *decode.Layer) {
	if w.done || l.BadChecksum || l.SkipPacket {
		return
	}
	w.pkts++
	if c.OrigP != w.origP || c.OrigH != w.origH {
		// The table flipped the connection's roles.
		w.orig, w.resp = w.resp, w.orig
		w.origH, w.origP, w.respPort = c.OrigH, c.OrigP, c.RespP
		w.teredoOrig, w.teredoResp = w.teredoResp, w.teredoOrig
	}
	x := &w.resp
	if isOrig {
		x = &w.orig
	}
	if w.tcp {

		if w.control0() {
			if w.control(t, c, isOrig, l) {
				w.detach(t, c)
			}
			return
		}
		if x.addTCP(w.d, l, w.d.cfg.MaxBytes) {
			w.classifyTCP(c)
		}
		if w.control0() {
			w.releaseBufs()
			w.upgradeLeft = w.d.cfg.UpgradePackets
			return
		}
	} else {
		if len(l.Payload) > 0 && x.pkts < 8 {
			x.pkts++
			w.classifyUDP(c, isOrig, l.Payload)
		}
	}
	if w.live == 0 || w.pkts >= w.d.cfg.MaxPackets ||
		(len(w.orig.buf) >= w.d.cfg.MaxBytes && len(w.resp.buf) >= w.d.cfg.MaxBytes) {
		if w.sslCheckResp && len(w.resp.buf) == 0 && w.pkts < 4*w.d.cfg.MaxPackets {
			return // still waiting for the server's first bytes
		}
		w.detach(t, c)
	}
}

// control0 reports whether the detector is in its control phase (after
// the prefix classification).
func (w *conn) control0() bool {
	return w.upgrade || w.ftp || w.irc || w.sshWait || w.pop3 || w.ldap || w.httpWait
}

// detach removes the finished detector from the connection (flow allows
// this from inside OnPacket) and recycles it.
func (w *conn) detach(t *flow.Table, c *flow.Conn) {
	if w.done {
		return
	}
	w.done = true
	w.d.detached++
	if w.watcher { // attached with Attach: recycled here
		c.RemoveWatcher(w)
		w.d.Free(w)
	}
}
