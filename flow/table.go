package flow

import (
	"bytes"
	"math"
	"time"

	"github.com/flowlog/flowlog/decode"
)

// Config holds the table's settings. Zero durations take Zeek's defaults
// (see Defaults).
type Config struct {
	TCPInactivity   time.Duration // tcp_inactivity_timeout, 5 min
	UDPInactivity   time.Duration // udp_inactivity_timeout, 1 min
	ICMPInactivity  time.Duration // icmp_inactivity_timeout, 1 min
	OtherInactivity time.Duration // unknown_ip_inactivity_timeout, 1 min
	// PortTimeouts overrides the inactivity timeout by responder port, as
	// Zeek's Conn::port_inactivity_timeouts (21, 22, 23, 513/tcp: 1 h). TCP
	// ones apply once the connection is established, others at creation.
	PortTimeouts map[PortProto]time.Duration
	// LikelyServerPorts is Zeek's likely_server_ports: a connection whose
	// first packet is not a SYN (or any UDP packet) is flipped when it comes
	// from one of these ports. Nil means DefaultLikelyServerPorts.
	LikelyServerPorts map[PortProto]bool
	// Seed makes the uid sequence reproducible.
	Seed uint64
	// MaxFlows bounds the number of live connections (0: unbounded). When
	// a new connection would exceed it, the table evicts one as a memcap
	// does: a half-open one (TCP attempt, or a one-sided UDP/ICMP flow) if
	// a sample finds one, else the least recently active of the sample.
	// Evicted connections are logged like any other (Reason Evicted).
	MaxFlows int
	// OnOpen, if set, runs when a connection is created, before its first
	// packet is processed (so framework watchers attached there see it).
	OnOpen func(t *Table, c *Conn)
	// Interim, if set, makes the table emit an EventInterim for every live
	// connection each Interim of packet time after its start (Zeek's
	// long-connection logging idea): a snapshot with the counters so far.
	Interim time.Duration
}

// PortProto is a port with its transport.
type PortProto struct {
	Port  uint16
	Trans Transport
}

// Zeek's TCP timer constants (init-bare.zeek defaults).
const (
	tcpSYNTimeout        = 5 * int64(time.Second)
	tcpSessionTimer      = 6 * int64(time.Second)
	tcpConnectionLinger  = 5 * int64(time.Second)
	tcpAttemptDelay      = 5 * int64(time.Second)
	tcpCloseDelay        = 5 * int64(time.Second)
	tcpPartialCloseDelay = 3 * int64(time.Second)
	tcpResetDelay        = 5 * int64(time.Second)
	tooLargeSeqDelta     = 1048576
)

// Defaults returns Zeek's default timeouts.
func Defaults() Config {
	return Config{
		TCPInactivity:   5 * time.Minute,
		UDPInactivity:   time.Minute,
		ICMPInactivity:  time.Minute,
		OtherInactivity: time.Minute,
		PortTimeouts: map[PortProto]time.Duration{
			{21, TransportTCP}:  time.Hour,
			{22, TransportTCP}:  time.Hour,
			{23, TransportTCP}:  time.Hour,
			{513, TransportTCP}: time.Hour,
		},
	}
}

// EventKind says what happened to a connection.
type EventKind uint8

// Event kinds.
const (
	// EventOpened: a connection was created by this packet.
	EventOpened EventKind = iota
	// EventClosed: the connection was removed; its record is final.
	EventClosed
	// EventInterim: a long-lived connection's interim snapshot
	// (Config.Interim); the connection stays in the table.
	EventInterim
)

// Reason says why a connection was removed.
type Reason uint8

// Removal reasons.
const (
	ReasonInactivity Reason = iota // inactivity timeout
	ReasonClosed                   // TCP close/reset delay passed, or attempt/expire timers
	ReasonReuse                    // a new SYN reused the 5-tuple
	ReasonFlush                    // end of input
	ReasonEvicted                  // the table was full (Config.MaxFlows)
)

// Event is one output of the table. Conn is valid until the next call into
// the Table; the caller must copy what it keeps.
type Event struct {
	Kind   EventKind
	Reason Reason
	Conn   *Conn
}

// Stats counts what the table did.
type Stats struct {
	Packets     uint64 // session layers processed
	Created     uint64
	Removed     uint64
	NoConn      uint64 // layers that made no connection (truncated transport header)
	MaxActive   int
	TimersFired uint64
	Evicted     uint64 // connections removed because the table was full
	// TimerCompactions counts the times the timers of removed
	// connections were dropped from the heap at once.
	TimerCompactions uint64
}

// Table is the flow table: a deterministic state machine driven by packets
// and packet time. It is not safe for concurrent use; run one per worker.
type Table struct {
	cfg   Config
	slab  slab[Conn]
	index index
	live  int // connections in the table
	// compactFloor: the timer heap is compacted only past this size.
	compactFloor int
	timers       timerHeap
	expireQ      timerFIFO // expire timers, scheduled in due order
	// udpChk holds the scaled bad-checksum counters (history C/c) of the
	// UDP connections that had one, by slab ref.
	udpChk map[uint32][2]scaled
	user   userTimerHeap
	seq    uint64
	now    int64
	events []Event
	// freeHead is the ref of the first free Conn (0: none); each free
	// Conn's uid0 holds the next.
	freeHead uint32
	// tcpFree holds the TCP state of recycled connections; tcpSlab is
	// where it comes from.
	tcpFree []*tcpState
	tcpSlab slab[tcpState]
	dead    []*Conn // removed conns handed out in events; recycled on the next call
	rng     uint64  // eviction samples
	// flushing orders the connections FlushStep has still to remove by
	// creation (flushStarted: it is built).
	flushing     timerHeap
	flushStarted bool
	// analyzer sees the packets of connections with an analyzer ref.
	analyzer Analyzer
	// uidBase and uidSeq make uids (nextUID0).
	uidBase, uidSeq uint64
	// inacts are the distinct inactivity timeouts in use (Conn.inact
	// indexes it; 0 is "none").
	inacts []int64
	// hashSeed keys the index hash (from Config.Seed, so layouts and
	// eviction samples replay alike).
	hashSeed uint64

	fifo     []connRef // creation order, kept only when MaxFlows is set
	fifoHead int

	tcpInact, udpInact, icmpInact, otherInact int64
	portTimeouts                              map[PortProto]int64
	likely                                    map[PortProto]bool
	tunnels                                   map[tunnelKey]UID

	stats Stats
}

type tunnelKey struct {
	src, dst decode.Addr
	kind     decode.Tunnel
}

// New returns an empty table.
func New(cfg Config) *Table {
	d := Defaults()
	if cfg.TCPInactivity == 0 {
		cfg.TCPInactivity = d.TCPInactivity
	}
	if cfg.UDPInactivity == 0 {
		cfg.UDPInactivity = d.UDPInactivity
	}
	if cfg.ICMPInactivity == 0 {
		cfg.ICMPInactivity = d.ICMPInactivity
	}
	if cfg.OtherInactivity == 0 {
		cfg.OtherInactivity = d.OtherInactivity
	}
	if cfg.PortTimeouts == nil {
		cfg.PortTimeouts = d.PortTimeouts
	}
	if cfg.LikelyServerPorts == nil {
		cfg.LikelyServerPorts = DefaultLikelyServerPorts()
	}
	t := &Table{
		cfg:          cfg,
		index:        newIndex(),
		tcpInact:     int64(cfg.TCPInactivity),
		udpInact:     int64(cfg.UDPInactivity),
		icmpInact:    int64(cfg.ICMPInactivity),
		otherInact:   int64(cfg.OtherInactivity),
		portTimeouts: make(map[PortProto]int64, len(cfg.PortTimeouts)),
		likely:       cfg.LikelyServerPorts,
		tunnels:      make(map[tunnelKey]UID),
		rng:          cfg.Seed,
		uidBase:      cfg.Seed,
		inacts:       []int64{0},
		hashSeed:     mix64(cfg.Seed ^ 0x6A09E667F3BCC909),
	}
	for k, v := range cfg.PortTimeouts {
		t.portTimeouts[k] = int64(v)
	}
	return t
}

// Stats returns the table's counters.
func (t *Table) Stats() Stats { return t.stats }

// Len returns the number of live connections.
func (t *Table) Len() int { return t.live }

// Now returns the table's clock (ns): the latest packet or Advance time.
func (t *Table) Now() int64 { return t.now }

// Events returns the events produced by the last call. The slice and the
// Conns in it are valid until the next call into the Table.
func (t *Table) Events() []Event { return t.events }

// begin starts a call: recycles conns handed out by the previous call and
// clears the event list.
func (t *Table) begin() {
	for i, c := range t.dead {
		// The free list runs through the free Conns themselves (uid0
		// holds the next ref), so it costs no memory of its own.
		c.uid0 = uint64(t.freeHead)
		t.freeHead = c.ref
		t.dead[i] = nil
	}
	t.dead = t.dead[:0]
	for i := range t.events {
		t.events[i] = Event{}
	}
	t.events = t.events[:0]
}

// Advance moves the clock to now (ns) and fires every timer due by then,
// removing expired connections. Time never goes backwards: an earlier now
// is ignored.
func (t *Table) Advance(now int64) {
	t.begin()
	t.advance(now)
}

func (t *Table) advance(now int64) {
	if now > t.now {
		t.now = now
	}
	// The table's own timers and the framework's fire in one time order
	// (table timers first at equal times).
	for {
		// The next table timer: the heap's or the FIFO's (the heap's at
		// equal keys).
		var next *timer
		fromFIFO := false
		if t.timers.len() > 0 {
			next = t.timers.top()
		}
		if t.expireQ.len() > 0 && (next == nil || t.expireQ.first().key < next.key) {
			next, fromFIFO = t.expireQ.first(), true
		}
		ht := next != nil && next.at() <= t.now
		hu := t.user.len() > 0 && t.user.top().at <= t.now
		if ht && (!hu || next.at() <= t.user.top().at) {
			var tm timer
			if fromFIFO {
				tm = t.expireQ.pop()
			} else {
				tm = t.timers.pop()
			}
			if c := t.slab.at(tm.ref); c.gen != tm.gen || c.cflags&cfRemoved != 0 {
				continue
			}
			t.stats.TimersFired++
			t.fire(tm)
			continue
		}
		if hu {
			t.fireUser(t.user.pop(), t.now)
			continue
		}
		return
	}
}

// Flush removes every remaining connection (end of input), in creation
// order. Their events are all in Events at once: FlushStep bounds them.
func (t *Table) Flush() {
	for t.FlushStep(math.MaxInt) {
	}
}

// FlushStep removes up to n of the remaining connections (end of input),
// in creation order, and reports whether any remain. Like Packet, each call
// replaces the events of the last: call it until it returns false,
// consuming Events after each call, so that the end of a large table does
// not hold all its records at once. Packets must not be given to the table
// between the first and the last step.
func (t *Table) FlushStep(n int) bool {
	t.begin()
	if !t.flushStarted {
		// Order the remaining connections by creation in a heap built in
		// the timer heap's chunks: the timers are dropped at the end of
		// input anyway, and there are at least as many of them as live
		// connections, so the order costs no memory. (Timers a removal
		// hook might still add go to a new heap.)
		t.flushStarted = true
		t.flushing, t.timers = t.timers, timerHeap{}
		t.flushing.empty()
		t.Range(func(c *Conn) bool {
			t.flushing.push(timer{key: int64(t.creationSeq(c)), ref: c.ref, gen: c.gen})
			return true
		})
	}
	for n > 0 && t.flushing.len() > 0 {
		tm := t.flushing.pop()
		if c := t.slab.at(tm.ref); c.gen == tm.gen && c.cflags&cfRemoved == 0 {
			t.remove(c, ReasonFlush)
			n--
		}
	}
	if t.flushing.len() > 0 {
		return true
	}
	t.flushStarted = false
	t.flushing = timerHeap{}
	t.timers.reset()
	t.expireQ.reset()
	t.user.reset()
	return false
}

func (t *Table) addTimer(c *Conn, at int64, kind timerKind) {
	tm := makeTimer(at, kind, c.ref, c.gen)
	if kind == timerExpire && (t.expireQ.len() == 0 || t.expireQ.last().key <= tm.key) {
		t.expireQ.push(tm) // in due order (see timerFIFO)
		return
	}
	t.timers.push(tm)
}

// timerCount is the number of pending table timers, live or not.
func (t *Table) timerCount() int { return t.timers.len() + t.expireQ.len() }

// nextUID0 returns the first word of the next uid (see uidFrom): a
// seeded bijection of the uid sequence number, so uids never repeat and
// the number can be recovered (creationSeq).
func (t *Table) nextUID0() uint64 {
	t.uidSeq++
	return mix64(t.uidBase + t.uidSeq*uidGamma)
}

func (t *Table) nextUID() UID { return uidFrom(t.nextUID0()) }

// creationSeq recovers the uid sequence number of c: connections sorted by
// it are in creation order.
func (t *Table) creationSeq(c *Conn) uint64 {
	return (unmix64(c.uid0) - t.uidBase) * uidGammaInv
}

// mix64 is splitmix64's finalizer.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// rand64 is splitmix64: fast, deterministic from the seed.
func (t *Table) rand64() uint64 {
	t.rng += 0x9E3779B97F4A7C15
	return mix64(t.rng)
}

func (t *Table) newConn() *Conn {
	var c *Conn
	if t.freeHead != 0 {
		c = t.slab.at(t.freeHead)
		t.freeHead = uint32(c.uid0)
		gen, ref := c.gen+1, c.ref
		rare, tcp := c.rare, c.tcp
		*c = Conn{}
		if rare != nil {
			rare.reset()
			c.rare = rare
		}
		if tcp != nil {
			t.tcpFree = append(t.tcpFree, tcp)
		}
		c.gen, c.ref = gen, ref
	} else {
		var ref uint32
		c, ref = t.slab.alloc()
		c.ref = ref
	}
	return c
}

// newTCP returns zeroed TCP state for a new connection.
func (t *Table) newTCP() *tcpState {
	var s *tcpState
	if n := len(t.tcpFree); n > 0 {
		s = t.tcpFree[n-1]
		t.tcpFree = t.tcpFree[:n-1]
		ob, rb, k := s.orig.blocks, s.resp.blocks, s.counts
		*s = tcpState{}
		s.orig.blocks, s.resp.blocks = ob, rb // holders reused, emptied below
		if k != nil {
			*k = [2]counters{}
			s.counts = k
		}
		if ob != nil {
			*ob = (*ob)[:0]
		}
		if rb != nil {
			*rb = (*rb)[:0]
		}
	} else {
		s, _ = t.tcpSlab.alloc()
	}
	s.orig.lastReassem, s.orig.trim = 1, 1
	s.resp.lastReassem, s.resp.trim = 1, 1
	return s
}

func (t *Table) remove(c *Conn, why Reason) {
	if c.cflags&cfRemoved != 0 {
		return
	}
	t.runHooks(c)
	if c.anaRef != 0 {
		t.analyzer.Release(c)
		c.anaRef = 0
	}
	c.cflags |= cfRemoved
	if c.cflags&cfUDPChk != 0 {
		delete(t.udpChk, c.ref)
	}
	t.index.remove(t.connTag(c), c.ref)
	t.live--
	t.stats.Removed++
	if n := t.timerCount(); n > t.live+t.live/4+4096 && n > t.compactFloor {
		t.compactTimers()
	}
	t.events = append(t.events, Event{Kind: EventClosed, Reason: why, Conn: c})
	t.dead = append(t.dead, c)
}

// Packet processes one decoded frame: every session layer in it, outermost
// first, after firing the timers due by the frame's time. Events produced
// are available from Events until the next call.
func (t *Table) Packet(p *decode.Packet) {
	t.begin()
	t.advance(p.TS)
	// An out-of-order capture time does not move the clock back (timers),
	// but the connection sees the packet's own time, as in Zeek.
	ts := p.TS
	var parent, lastConn UID
	havePar, haveConn := false, false
	var encap uint64 // identity of the encapsulation so far (outer layers)
	for i := 0; i < p.N; i++ {
		l := &p.Layers[i]
		if i > 0 {
			// This layer's tunnel (Zeek's EncapsulatingConn) and its uid:
			// an IP-level tunnel (IP-in-IP, GRE, also GRE carried in UDP)
			// is named by the outer IP pair, whatever the direction; a
			// UDP tunnel (VXLAN, Geneve, Teredo, AYIYA, GTP) by the outer
			// UDP connection.
			switch l.Tunnel {
			case decode.TunnelIP, decode.TunnelGRE:
				prev := &p.Layers[i-1]
				tk := tunnelKey{src: prev.Key.Src, dst: prev.Key.Dst, kind: l.Tunnel}
				if bytes.Compare(tk.src[:], tk.dst[:]) > 0 {
					tk.src, tk.dst = tk.dst, tk.src // one tunnel both ways
				}
				u, ok := t.tunnels[tk]
				if !ok {
					u = t.nextUID()
					t.tunnels[tk] = u
				}
				parent, havePar = u, true
			default:
				parent, havePar = lastConn, haveConn
			}
			if havePar {
				encap = encap*0x100000001B3 ^ parent[0] ^ parent[1]<<7 ^ uint64(l.Tunnel)<<56
			}
		}
		if !l.Session {
			// No connection: a transport header cut short (Zeek's
			// CheckHeaderTrunc), or an IP-level tunnel carrier.
			if i+1 >= p.N {
				t.stats.NoConn++
			}
			haveConn = false
			continue
		}
		c := t.layer(p, l, ts, parent, havePar, encap)
		lastConn, haveConn = UID{}, false
		if c != nil {
			lastConn, haveConn = c.UID(), true
		}
	}
}

func transportOf(proto uint8) Transport {
	switch proto {
	case decode.ProtoTCP:
		return TransportTCP
	case decode.ProtoUDP:
		return TransportUDP
	case decode.ProtoICMP, decode.ProtoICMPv6:
		return TransportICMP
	}
	return TransportUnknown
}

// layer runs one IP layer through its connection and returns it (nil if
// the layer makes no connection).
func (t *Table) layer(p *decode.Packet, l *decode.Layer, ts int64, parent UID, havePar bool, encap uint64) *Conn {
	trans := transportOf(l.Key.Proto)
	t.stats.Packets++
	src, dst := l.Key.Src, l.Key.Dst
	sp, dp := l.Key.SrcPort, l.Key.DstPort
	oneWay := false
	if trans == TransportICMP {
		dp, oneWay = icmpCounterpart(l.Key.Proto == decode.ProtoICMPv6, uint8(sp), uint8(dp))
	} else if trans == TransportUnknown {
		sp, dp = 0, 0
	}
	tag := flowHash(t.hashSeed, &src, &dst, sp, dp, l.Key.Proto, oneWay)
	c := t.lookup(tag, &src, &dst, sp, dp, l.Key.Proto, oneWay)
	if c != nil && trans == TransportTCP && t.tcpIsReuse(c, l) {
		t.remove(c, ReasonReuse)
		c = nil
	}
	if c == nil {
		if t.cfg.MaxFlows > 0 && t.live >= t.cfg.MaxFlows {
			t.evict()
		}
		c = t.newConn()
		c.OrigH, c.RespH, c.OrigP, c.RespP = src, dst, sp, dp
		c.IPProto = l.Key.Proto
		c.Trans = trans
		if oneWay {
			c.cflags |= cfOneWay
		}
		c.Start, c.Last = ts, ts
		c.uid0 = t.nextUID0()
		c.VLAN, c.InnerVLAN = p.VLAN, p.InnerVLAN
		if encap != 0 {
			c.rareState().encap = encap
		}
		t.index.insert(tag, c.ref)
		t.live++
		if t.cfg.MaxFlows > 0 {
			if t.fifoHead > 0 && t.fifoHead >= len(t.fifo)/2 {
				n := copy(t.fifo, t.fifo[t.fifoHead:])
				t.fifo, t.fifoHead = t.fifo[:n], 0
			}
			if len(t.fifo) >= 2*t.cfg.MaxFlows {
				// drop references to connections gone or established
				n := 0
				for _, r := range t.fifo[t.fifoHead:] {
					if r.c.gen == r.gen && r.c.cflags&cfRemoved == 0 && halfOpen(r.c) {
						t.fifo[n] = r
						n++
					}
				}
				clear(t.fifo[n:])
				t.fifo, t.fifoHead = t.fifo[:n], 0
			}
			t.fifo = append(t.fifo, connRef{c, c.gen})
		}
		t.stats.Created++
		if t.live > t.stats.MaxActive {
			t.stats.MaxActive = t.live
		}
		if t.wantFlip(trans, l, sp, dp) && !isBroadcast(dst) {
			c.flip()
		}
		switch trans {
		case TransportTCP:
			c.tcpFlags = tcpIsActive
			c.tcp = t.newTCP()
			t.setInactivity(c, t.udpInact) // sic: Zeek's TCP starts on udp_inactivity_timeout
			t.addTimer(c, ts+tcpSYNTimeout, timerExpire)
		case TransportUDP:
			t.setInactivity(c, t.portTimeout(c, t.udpInact))
			c.tcpFlags = udpAnalyzerPorts(c.RespP)
		case TransportICMP:
			t.setInactivity(c, t.icmpInact)
		default:
			t.setInactivity(c, t.portTimeout(c, t.otherInact))
		}
		if t.cfg.Interim > 0 {
			t.addTimer(c, ts+int64(t.cfg.Interim), timerInterim)
		}
		t.events = append(t.events, Event{Kind: EventOpened, Conn: c})
		if t.cfg.OnOpen != nil {
			t.cfg.OnOpen(t, c)
		}
	}
	if c.encap() != encap {
		// Connection::CheckEncapsulation: a tunnel change. Zeek reports
		// at most Tunnel::max_changes_per_connection (5) of them; the
		// connection that goes past the limit gets history X, once.
		r := c.rareState()
		r.encap = encap
		if encap != 0 {
			if r.tunnelChanges < maxTunnelChanges {
				r.tunnelChanges++
				if havePar && !c.hasParent(parent) {
					r.parents = append(r.parents, parent)
				}
			} else if r.tunnelChanges == maxTunnelChanges {
				r.tunnelChanges++
				c.addHistory('X')
			}
		}
	} else if havePar && len(c.TunnelParents()) == 0 {
		r := c.rareState()
		r.parents = append(r.parents, parent)
	}
	isOrig := src == c.OrigH && sp == c.OrigP
	switch trans {
	case TransportTCP:
		t.tcpPacket(c, isOrig, l, ts)
	case TransportUDP:
		t.udpPacket(c, isOrig, l, ts)
	case TransportICMP:
		t.icmpPacket(c, isOrig, l, ts)
	default:
		c.Last = ts
		t.count(c, isOrig, l)
	}
	if l.HistoryX {
		c.addHistory('X')
	}
	if c.anaRef != 0 {
		// the packet may have flipped the connection (SYN-ACK first)
		t.analyzer.OnPacket(t, c, src == c.OrigH && sp == c.OrigP, l)
	}
	if c.cflags&cfExtUsed != 0 && len(c.rare.ext.watchers) > 0 {
		t.watch(c, src == c.OrigH && sp == c.OrigP, l)
	}
	return c
}

// evictSample is how many connections evict looks at when no half-open
// connection is queued.
const evictSample = 32

// halfOpen reports whether c never heard back from its responder: the
// connections a SYN or scan flood makes.
func halfOpen(c *Conn) bool {
	if c.tcp != nil {
		return c.tcp.resp.state == StateInactive
	}
	return c.RespPkts() == 0
}

type connRef struct {
	c   *Conn
	gen uint32
}

// evict removes one connection to make room (see Config.MaxFlows): the
// oldest connection still half-open, from the creation-order queue kept
// while MaxFlows is set; failing that, the least recently active of a
// sample (starting at a place in the slab drawn from the table's random sequence).
func (t *Table) evict() {
	for t.fifoHead < len(t.fifo) {
		r := t.fifo[t.fifoHead]
		t.fifo[t.fifoHead] = connRef{}
		t.fifoHead++
		if r.c.gen == r.gen && r.c.cflags&cfRemoved == 0 && halfOpen(r.c) {
			t.stats.Evicted++
			t.remove(r.c, ReasonEvicted)
			return
		}
	}
	t.fifo, t.fifoHead = t.fifo[:0], 0
	// A sample of live connections from a pseudo-random place in the
	// slab (deterministic: the table's random sequence).
	var victim *Conn
	n := 0
	start := uint32(t.rand64() % uint64(t.slab.next))
	for k := uint32(0); k < t.slab.next && n < evictSample; k++ {
		c := t.slab.at((start+k)%t.slab.next + 1)
		if c.cflags&cfRemoved != 0 {
			continue
		}
		if victim == nil || c.Last < victim.Last {
			victim = c
		}
		n++
	}
	if victim != nil {
		t.stats.Evicted++
		t.remove(victim, ReasonEvicted)
	}
}

// compactTimers drops the timers of removed connections. A removed
// connection's timers stay in the heap until they fall due (Zeek cancels
// them; a heap cannot cheaply), and a closed TCP connection's inactivity
// timer is due minutes later: with many short connections the heap would
// hold far more dead timers than live ones. remove calls this once the
// heap holds over 1.25 times as many timers as there are live connections,
// and only after the heap grew by half since the last time (when most
// timers are live), so the cost stays a constant per timer.
func (t *Table) compactTimers() {
	live := func(tm *timer) bool {
		c := t.slab.at(tm.ref)
		return c.gen == tm.gen && c.cflags&cfRemoved == 0
	}
	t.timers.filter(live)
	t.expireQ.filter(live)
	t.stats.TimerCompactions++
	t.compactFloor = t.timerCount() + t.timerCount()/2
}

// maxTunnelChanges is Zeek's Tunnel::max_changes_per_connection.
const maxTunnelChanges = 5

func isBroadcast(a decode.Addr) bool {
	return a.Is4() && a[12] == 255 && a[13] == 255 && a[14] == 255 && a[15] == 255
}

// count is Zeek's ConnSize analyzer: packets and IP bytes per direction.
func (t *Table) count(c *Conn, isOrig bool, l *decode.Layer) {
	if isOrig {
		c.origPkts++
		b := c.origIPBytes + l.IPLen
		if c.origPkts == 0 || b < c.origIPBytes {
			c.carry(0, c.origPkts == 0, b < c.origIPBytes)
		}
		c.origIPBytes = b
	} else {
		c.respPkts++
		b := c.respIPBytes + l.IPLen
		if c.respPkts == 0 || b < c.respIPBytes {
			c.carry(1, c.respPkts == 0, b < c.respIPBytes)
		}
		c.respIPBytes = b
	}
}

func (t *Table) portTimeout(c *Conn, def int64) int64 {
	if v, ok := t.portTimeouts[PortProto{c.RespP, c.Trans}]; ok {
		return v
	}
	return def
}

// setInactivity is Zeek's Connection::SetInactivityTimeout.
func (t *Table) setInactivity(c *Conn, d int64) {
	old := t.inactivity(c)
	if d == old {
		return
	}
	t.storeInactivity(c, d)
	// While a timeout is set, one inactivity timer is pending, due by
	// c.Last+old. When the new deadline is later, that timer re-arms
	// itself at it when it fires (as Zeek's InactivityTimer does), so it
	// stands for Zeek's cancel-and-add without a second heap entry.
	if d > 0 && (old == 0 || d < old) {
		t.addTimer(c, c.Last+d, timerInactivity)
	}
}

// inactOverflow in Conn.inact means the timeout is in connRare.inact: more
// distinct timeouts are in use than a byte indexes (scripts may set any).
const inactOverflow = 255

// inactivity returns c's inactivity timeout (ns; 0: none).
func (t *Table) inactivity(c *Conn) int64 {
	if c.inact == inactOverflow {
		return c.rare.inact
	}
	return t.inacts[c.inact]
}

// storeInactivity sets c's timeout: an index into the table's few distinct
// values (the configured ones, in practice), so a Conn spends one byte on it.
func (t *Table) storeInactivity(c *Conn, d int64) {
	for i, v := range t.inacts {
		if v == d {
			c.inact = uint8(i)
			return
		}
	}
	if len(t.inacts) < inactOverflow {
		c.inact = uint8(len(t.inacts))
		t.inacts = append(t.inacts, d)
		return
	}
	c.inact = inactOverflow
	c.rareState().inact = d
}

// SetInactivityTimeout changes one connection's inactivity timeout at run
// time (0 disables it).
func (t *Table) SetInactivityTimeout(c *Conn, d time.Duration) { t.setInactivity(c, int64(d)) }

func (t *Table) wantFlip(trans Transport, l *decode.Layer, sp, dp uint16) bool {
	switch trans {
	case TransportTCP:
		f := l.Flags
		if f&decode.TCPSyn == 0 || f&decode.TCPAck != 0 {
			if t.likely[PortProto{sp, TransportTCP}] {
				if t.likely[PortProto{dp, TransportTCP}] {
					return f&decode.TCPSyn == 0 && sp < dp
				}
				return true
			}
		}
	case TransportUDP:
		return t.likely[PortProto{sp, TransportUDP}] && !t.likely[PortProto{dp, TransportUDP}]
	}
	return false
}

func (t *Table) fire(tm timer) {
	c := t.slab.at(tm.ref)
	switch tm.kind() {
	case timerInterim:
		t.events = append(t.events, Event{Kind: EventInterim, Conn: c})
		t.addTimer(c, tm.at()+int64(t.cfg.Interim), timerInterim)
	case timerInactivity:
		d := t.inactivity(c)
		if d == 0 {
			return
		}
		if c.Last+d <= tm.at() || c.Last+d <= t.now {
			t.remove(c, ReasonInactivity)
			return
		}
		t.addTimer(c, c.Last+d, timerInactivity)
	default:
		t.tcpTimer(c, tm)
	}
}

// Range calls fn for each live connection, in no particular order, until
// fn returns false. fn must not call into the table.
func (t *Table) Range(fn func(c *Conn) bool) {
	for ref := uint32(1); ref <= t.slab.next; ref++ {
		if c := t.slab.at(ref); c.cflags&cfRemoved == 0 && c.ref == ref {
			if !fn(c) {
				return
			}
		}
	}
}
