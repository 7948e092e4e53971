package applog

import (
	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
	"github.com/flowlog/flowlog/names/service"
	"github.com/flowlog/flowlog/tls"
)

// SSLRecord is one ssl.log row: a TLS, DTLS or QUIC handshake seen on a
// connection.
type SSLRecord struct {
	TS           int64 // packet time of the ClientHello (or ServerHello if none), ns
	UID          flow.UID
	OrigH, RespH decode.Addr
	OrigP, RespP uint16
	// Version is the negotiated version from the ServerHello
	// (HasVersion false when no ServerHello was seen).
	Version    uint16
	HasVersion bool
	// ServerName is the ClientHello's SNI ("" if none or no ClientHello).
	ServerName string
	// JA3 and JA4 fingerprint the ClientHello ("" if none was seen).
	JA3, JA4 string
	// Transport is "tcp", "udp" (DTLS) or "quic".
	Transport string
}

// VersionString is the version column as Zeek prints it ("" if unset).
func (r *SSLRecord) VersionString() string {
	if !r.HasVersion {
		return ""
	}
	return VersionName(r.Version)
}

// SSLTracker finds TLS handshakes and produces ssl.log records: one per
// connection whose ClientHello or ServerHello was seen, on any port, also
// after STARTTLS-style upgrades, and for QUIC and DTLS over UDP. Like the
// flow table it is not safe for concurrent use.
type SSLTracker struct {
	// OnRecord receives each record, when the ServerHello is seen or when
	// the connection is removed. The record is reused after the call.
	OnRecord func(*SSLRecord)
	// UpgradePackets bounds how many data packets of a plaintext TCP
	// connection are watched for a TLS ClientHello starting a segment
	// (STARTTLS and the like). Default 64.
	UpgradePackets int
	// SNIOnly: only the ClientHello's server name is wanted (Conn field
	// "sni"); no records, and tracking stops at the ClientHello.
	SNIOnly bool
	rec     SSLRecord
}

// Attach starts watching a new connection: call it for each
// flow.EventOpened, with the packet that created the connection (see
// service.Detector.Attach).
func (s *SSLTracker) Attach(t *flow.Table, c *flow.Conn, p *decode.Packet) {
	if w := s.Start(t, c, p); w != nil && !w.Done() {
		c.AddWatcher(w)
	}
}

// Watch is a tracker of one connection (see SSLTracker.Start).
type Watch interface {
	flow.Watcher
	// Done reports that the tracker needs no more packets.
	Done() bool
}

// Start starts tracking a new connection as Attach does, without
// attaching: the caller gives the tracker the connection's later packets
// until Done (names.Names does, with no framework state per connection).
// It returns nil for connections it does not track.
func (s *SSLTracker) Start(t *flow.Table, c *flow.Conn, p *decode.Packet) Watch {
	if c.Trans != flow.TransportTCP && c.Trans != flow.TransportUDP {
		return nil
	}
	w := &sslPre{s: s, tcp: c.Trans == flow.TransportTCP}
	if l, isOrig := service.LayerOf(c, p); l != nil {
		w.OnPacket(t, c, isOrig, l)
	}
	return w
}

func (w *sslConn) Done() bool { return w.done }

// sslPre watches a connection until a payload could start TLS, and only
// then makes its (large) sslConn: most connections never do. Until then it
// keeps the counts sslConn would keep and gives up when sslConn would.
type sslPre struct {
	s              *SSLTracker
	full           *sslConn
	tcp, done      bool
	srvDone        bool
	pkts, srvTries int
}

func (w *sslPre) Done() bool {
	if w.full != nil {
		return w.full.done
	}
	return w.done
}

func (w *sslPre) OnPacket(t *flow.Table, c *flow.Conn, isOrig bool, l *decode.Layer) {
	if w.full != nil {
		w.full.OnPacket(t, c, isOrig, l)
		return
	}
	if w.done || l.BadChecksum || l.SkipPacket || len(l.Payload) == 0 {
		return
	}
	p := l.Payload
	var start bool
	switch {
	case w.tcp && isOrig:
		start = tls.LooksLikeClientHello(p)
	case w.tcp:
		start = !w.srvDone && serverTLSStart(p)
	case isOrig:
		start = w.pkts < 8 && (tls.LooksLikeQUICInitial(p) || tls.LooksLikeDTLS(p))
	}
	if start {
		w.full = &sslConn{s: w.s, tcp: w.tcp, origH: c.OrigH, origP: c.OrigP,
			pkts: w.pkts, srvTries: w.srvTries, srvDone: w.srvDone}
		w.full.OnPacket(t, c, isOrig, l)
		return
	}
	w.pkts++
	if w.tcp {
		if !isOrig && !w.srvDone {
			if w.srvTries++; w.srvTries > maxSSLPkt {
				w.srvDone = true
			}
		}
		if w.pkts > w.s.upgradeLimit() {
			w.done = true
		}
	} else if w.pkts > 8 {
		w.done = true
	}
}

// serverTLSStart reports whether a server segment starts like TLS: a
// handshake record (or an alert before it), or an SSLv2 server hello.
func serverTLSStart(p []byte) bool {
	return (len(p) >= 3 && (p[0] == 22 || p[0] == 21) && p[1] == 3 && p[2] <= 4) ||
		(len(p) >= 3 && p[0]&0x80 != 0 && p[2] == 4)
}

const (
	stWatch   = iota // plaintext so far: look at segment starts
	stHello          // assembling a ClientHello
	stDone           // finished
	stNotTLS         // gave up
	maxSSLPkt = 64
)

type sslConn struct {
	s          *SSLTracker
	tcp        bool
	done       bool
	origH      decode.Addr
	origP      uint16
	state      int
	pkts       int
	haveHello  bool
	sni        string
	ja3, ja4   string
	helloTS    int64
	transport  string
	version    uint16
	hasVersion bool
	hooked     bool

	tcpCH tls.StreamAssembler
	quic  *tls.QUICAssembler
	dtls  *tls.DTLSAssembler
	qs    *quicServer

	// Server side (TCP): bytes from the first server segment that starts
	// like a TLS record, contiguous by sequence number.
	srv      []byte
	srvNext  uint32
	srvOn    bool
	srvDone  bool
	hsBuf    []byte
	srvTries int
}

func (w *sslConn) OnPacket(t *flow.Table, c *flow.Conn, isOrig bool, l *decode.Layer) {
	if w.done || l.BadChecksum || l.SkipPacket || len(l.Payload) == 0 {
		return
	}
	if c.OrigP != w.origP || c.OrigH != w.origH {
		w.origH, w.origP = c.OrigH, c.OrigP // roles flipped: isOrig is current
	}
	w.pkts++
	if w.tcp {
		w.onTCP(t, c, isOrig, l)
		if w.haveHello && (w.hasVersion || w.srvDone) {
			w.finish(t, c, true)
			return
		}
	} else {
		w.onUDP(t, c, isOrig, l)
	}
	if w.state == stNotTLS || (w.state == stWatch && w.pkts > w.s.upgradeLimit() && !w.srvOn) {
		w.finish(t, c, false)
	}
}

func (s *SSLTracker) upgradeLimit() int {
	if s.UpgradePackets > 0 {
		return s.UpgradePackets
	}
	return maxSSLPkt
}

func (w *sslConn) onTCP(t *flow.Table, c *flow.Conn, isOrig bool, l *decode.Layer) {
	p := l.Payload
	if isOrig {
		switch w.state {
		case stWatch:
			if !tls.LooksLikeClientHello(p) {
				return
			}
			w.state = stHello
			w.tcpCH.Reset()
			fallthrough
		case stHello:
			if h, _ := w.tcpCH.Add(l.Seq, p); h != nil {
				w.hello(h, c, "tcp")
			} else if w.tcpCH.Done() {
				w.state = stNotTLS
			}
		}
		return
	}
	if w.srvDone {
		return
	}
	if !w.srvOn {
		if !serverTLSStart(p) {
			if w.srvTries++; w.srvTries > maxSSLPkt {
				w.srvDone = true
			}
			return
		}
		w.srvOn = true
		w.srvNext = l.Seq
	}
	d := int32(l.Seq - w.srvNext)
	if d > 0 || -d >= int32(len(p)) {
		if d > 0 {
			w.srvDone = true // a gap before the ServerHello
		}
		return
	}
	p = p[-d:]
	w.srvNext += uint32(len(p))
	w.srv = append(w.srv, p...)
	v, ok, fin := tlsServerHello(w.srv, &w.hsBuf)
	if !fin && len(w.srv) < maxServerHelloBuf {
		return
	}
	w.srvDone = true
	w.srv = nil
	if ok {
		w.version, w.hasVersion = v, true
		if w.helloTS == 0 {
			w.helloTS = l2ts(c)
		}
		if w.transport == "" {
			w.transport = "tcp"
		}
		w.hook(c)
	}
}

func l2ts(c *flow.Conn) int64 { return c.Last }

func (w *sslConn) onUDP(t *flow.Table, c *flow.Conn, isOrig bool, l *decode.Layer) {
	p := l.Payload
	if isOrig {
		if w.quic == nil && w.dtls == nil && w.pkts <= 8 {
			switch {
			case tls.LooksLikeQUICInitial(p):
				w.quic = new(tls.QUICAssembler)
				w.qs = new(quicServer)
			case tls.LooksLikeDTLS(p):
				w.dtls = new(tls.DTLSAssembler)
			}
		}
		switch {
		case w.quic != nil:
			w.qs.client(p)
			if !w.quic.Done() {
				if h, _ := w.quic.Add(p); h != nil {
					w.hello(h, c, "quic")
				}
			}
		case w.dtls != nil && !w.dtls.Done():
			if h, _ := w.dtls.Add(p); h != nil {
				w.hello(h, c, "udp")
			}
		}
	} else {
		switch {
		case w.qs != nil && !w.qs.done:
			w.qs.server(p)
			if w.qs.found {
				w.version, w.hasVersion = w.qs.version, true
			}
		case w.dtls != nil && !w.hasVersion:
			if v, ok := dtlsServerHello(p); ok {
				w.version, w.hasVersion = v, true
			}
		}
	}
	if w.haveHello && w.hasVersion {
		w.finish(t, c, true)
		return
	}
	if w.pkts > 4*maxSSLPkt || (w.quic == nil && w.dtls == nil && w.pkts > 8) {
		w.finish(t, c, w.haveHello || w.hasVersion)
	}
}

func (w *sslConn) hello(h *tls.ClientHello, c *flow.Conn, transport string) {
	w.haveHello = true
	w.sni = h.SNI
	if h.SNI != "" {
		c.SetField("sni", h.SNI) // for policies and --names: the SNI of the flow
	}
	if w.s.SNIOnly {
		w.state, w.done = stDone, true
		return
	}
	_, w.ja3 = h.JA3()
	w.ja4 = h.JA4()
	w.helloTS = c.Last
	w.transport = transport
	w.state = stDone
	w.hook(c)
}

// hook makes sure the record is written when the connection goes away.
func (w *sslConn) hook(c *flow.Conn) {
	if !w.hooked {
		w.hooked = c.RegisterHook("applog.ssl", w)
	}
}

// OnRemove implements flow.RemovalHook.
func (w *sslConn) OnRemove(c *flow.Conn) {
	if !w.done && (w.haveHello || w.hasVersion) {
		w.emit(c)
	}
	w.done = true
}

func (w *sslConn) emit(c *flow.Conn) {
	r := &w.s.rec
	*r = SSLRecord{TS: w.helloTS, UID: c.UID(), OrigH: c.OrigH, RespH: c.RespH, OrigP: c.OrigP, RespP: c.RespP,
		Version: w.version, HasVersion: w.hasVersion, ServerName: w.sni, JA3: w.ja3, JA4: w.ja4, Transport: w.transport}
	if w.s.OnRecord != nil {
		w.s.OnRecord(r)
	}
}

// finish writes the record (if emit) and stops watching.
func (w *sslConn) finish(t *flow.Table, c *flow.Conn, emit bool) {
	if w.done {
		return
	}
	w.done = true
	if emit {
		w.emit(c)
	}
	if w.hooked {
		c.UnregisterHook("applog.ssl")
	}
	c.RemoveWatcher(w)
}
