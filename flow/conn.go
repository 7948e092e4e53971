package flow

import (
	"math"

	"github.com/flowlog/flowlog/decode"
)

// UID is a connection's unique id: 96 random bits, printed in Zeek's
// base62 form ("C" + up to 16 characters).
type UID [2]uint64

// IsZero reports whether u is unset.
func (u UID) IsZero() bool { return u[0] == 0 && u[1] == 0 }

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// AppendTo appends the uid's text form, prefix first, as Zeek's
// UID::Base62 does (each 64-bit word in base 62, least significant digit
// first).
func (u UID) AppendTo(b []byte, prefix byte) []byte {
	b = append(b, prefix)
	for _, w := range u {
		if w == 0 {
			b = append(b, '0')
			continue
		}
		for w > 0 {
			b = append(b, base62[w%62])
			w /= 62
		}
	}
	return b
}

func (u UID) String() string { return string(u.AppendTo(nil, 'C')) }

// maxInlineHistory is how many history letters a Conn holds without
// allocating; longer histories spill to a slice. 8 keeps the Conn at 136
// bytes and covers a complete normal TCP history ("ShADadFf"); 7% of the
// TCP connections of bench-1g.pcap have longer ones.
const maxInlineHistory = 8

// Conn.cflags bits.
const (
	cfOneWay     = 1 << iota // ICMP without a counterpart type: keyed one way
	cfRemoved                // removed from the table
	cfExtUsed                // rare.ext is in use by this connection
	cfOrigActive             // non-TCP: the originator sent packets (Zeek's UDP_ACTIVE)
	cfRespActive             // non-TCP: the responder sent packets
	cfUDPChk                 // UDP: bad checksum counters in Table.udpChk
)

// Conn is one connection's state and, once removed, its conn.log record.
// The Table owns it: a *Conn handed out in an Event is valid until the next
// call into the Table. Its layout is kept small (the per-flow memory of a
// sensor): TCP state, rarely used state and framework state live behind
// pointers that non-TCP or plain connections leave nil.
type Conn struct {
	// OrigH/OrigP/RespH/RespP are the connection's endpoints after any flip.
	OrigH, RespH decode.Addr

	// Start and Last are the first and last packet times (ns since epoch)
	// as Zeek keeps them (Last is not updated by some packets, e.g. after
	// both TCP sides closed, or bad checksums).
	Start, Last int64

	// Packets and IP bytes per side (Zeek's ConnSize), low 32 bits: the
	// high words of the few that pass 4 Gi are in rare (OrigPkts and
	// the like return the whole counts).
	origPkts, respPkts       uint32
	origIPBytes, respIPBytes uint32

	// UDP/ICMP/other: payload bytes per side, low 32 bits (payloadLen).
	origLen, respLen uint32

	// uid0 is the first word of the uid: the table's seeded bijection of
	// the creation sequence number, so it also orders connections by
	// creation (Table.creationSeq). The second word is derived from it.
	uid0 uint64

	tcp  *tcpState // TCP only (from the table's pool)
	rare *connRare // tunnel parents, long histories, framework state (nil: none); kept when recycled

	OrigP, RespP uint16
	// VLAN and InnerVLAN of the first packet.
	VLAN, InnerVLAN uint16

	histSeen uint32
	anaRef   uint32 // the table's Analyzer state of this connection (0: none)
	gen      uint32
	ref      uint32 // position in the table's slab, plus one

	// IPProto is the IP protocol number (conn.log ip_proto).
	IPProto  uint8
	Trans    Transport
	tcpFlags uint8 // tcp adapter flags (seenFirstACK, isActive, isPartial, firstPacketSeen bits)
	inact    uint8 // inactivity timeout: index into the table's timeouts (0: none)
	cflags   uint8 // cf* bits
	histLen  uint8
	// svc is conn.log's service column, interned (see Service).
	svc  serviceID
	hist [maxInlineHistory]byte
}

// OrigPkts returns the packets the originator sent (conn.log orig_pkts).
func (c *Conn) OrigPkts() uint64 { return c.wide(c.origPkts, 0) }

// RespPkts returns the packets the responder sent (conn.log resp_pkts).
func (c *Conn) RespPkts() uint64 { return c.wide(c.respPkts, 1) }

// OrigIPBytes returns the IP bytes the originator sent (orig_ip_bytes).
func (c *Conn) OrigIPBytes() uint64 { return c.wide(c.origIPBytes, 2) }

// RespIPBytes returns the IP bytes the responder sent (resp_ip_bytes).
func (c *Conn) RespIPBytes() uint64 { return c.wide(c.respIPBytes, 3) }

func (c *Conn) wide(lo uint32, i int) uint64 {
	if c.rare == nil {
		return uint64(lo)
	}
	return uint64(c.rare.hi[i])<<32 | uint64(lo)
}

// SetCounts sets the packet and IP byte counts (for tests and tools that
// build records).
func (c *Conn) SetCounts(origPkts, respPkts, origIPBytes, respIPBytes uint64) {
	c.origPkts, c.respPkts = uint32(origPkts), uint32(respPkts)
	c.origIPBytes, c.respIPBytes = uint32(origIPBytes), uint32(respIPBytes)
	hi := [4]uint32{uint32(origPkts >> 32), uint32(respPkts >> 32), uint32(origIPBytes >> 32), uint32(respIPBytes >> 32)}
	if hi != [4]uint32{} || c.rare != nil {
		c.rareState().hi = hi
	}
}

// connRare holds what few connections need.
type connRare struct {
	ext           *Ext  // conn framework state (and anything callers attach)
	parents       []UID // uids of enclosing tunnel connections
	histMore      []byte
	inact         int64  // inactivity timeout (ns) when Conn.inact is inactOverflow
	encap         uint64 // identity of the current encapsulation (0: none)
	tunnelChanges uint8  // tunnel changes reported (Zeek's tunnel_changes)
	// hi holds the high words of the packet and IP byte counts past 4 Gi:
	// orig packets, resp packets, orig IP bytes, resp IP bytes.
	hi [4]uint32
	// lenHi holds the high words of the non-TCP payload sums (origLen,
	// respLen), which a UDP length field under 8 can make negative.
	lenHi [2]int32
	// service holds the service column when the intern table is full.
	service string
}

// reset clears r for reuse, keeping its slices' arrays and its Ext.
func (r *connRare) reset() {
	if r.ext != nil {
		r.ext.reset()
	}
	*r = connRare{ext: r.ext, parents: r.parents[:0], histMore: r.histMore[:0]}
}

// rareState returns c's connRare, creating it on first use. Like ext, it
// stays with the Conn when the table recycles it (emptied): only tunnels,
// histories over maxInlineHistory letters and counters past 4 Gi need one.
func (c *Conn) rareState() *connRare {
	if c.rare == nil {
		c.rare = &connRare{}
	}
	return c.rare
}

// counts returns the scaled history counters of one side of a TCP
// connection.
func (c *Conn) counts(isOrig bool) *counters {
	k := c.tcp.counts
	if k == nil {
		// First bad checksum, retransmission, zero window or gap of the
		// connection: most never have one.
		k = new([2]counters)
		c.tcp.counts = k
	}
	if isOrig {
		return &k[0]
	}
	return &k[1]
}

// UID returns the connection's uid.
func (c *Conn) UID() UID { return uidFrom(c.uid0) }

// CopyUID gives c the uid of src (for tools that build records, such as
// benchmarks of writers).
func (c *Conn) CopyUID(src *Conn) { c.uid0 = src.uid0 }

// TunnelParents returns the uids of the connection's enclosing tunnels
// (conn.log tunnel_parents). The slice belongs to the Conn.
func (c *Conn) TunnelParents() []UID {
	if c.rare == nil {
		return nil
	}
	return c.rare.parents
}

// MissedBytes returns the bytes in content gaps (conn.log missed_bytes,
// Zeek's content_gap); 0 for non-TCP connections.
func (c *Conn) MissedBytes() uint64 {
	if c.tcp == nil {
		return 0
	}
	return c.tcp.missed
}

func (c *Conn) encap() uint64 {
	if c.rare == nil {
		return 0
	}
	return c.rare.encap
}

const (
	tcpIsActive  = 0x1
	tcpIsPartial = 0x2
	tcpSeenOrig  = 0x4 // first_packet_seen & ORIG
	tcpSeenResp  = 0x8 // first_packet_seen & RESP
)

// A UDP connection keeps in tcpFlags which of Zeek's role-flipping UDP
// analyzers it has (attached, as Zeek attaches them, by the responder
// port at creation) and their state (see udpAnalyzerFlip).
const (
	udpDNS         = 0x1 // DNS analyzer (53, 137, 5353, 5355)
	udpDNSParsed   = 0x2 // it parsed a message: later ones never flip
	udpNTP         = 0x4 // NTP analyzer (123)
	udpNTPFlipOrig = 0x8 // NTP: the flow of the orig side flipped once
	udpNTPFlipResp = 0x10
)

func (c *Conn) addHistory(code byte) {
	if c.histLen < maxInlineHistory {
		c.hist[c.histLen] = code
		c.histLen++
		return
	}
	r := c.rareState()
	r.histMore = append(r.histMore, code)
}

// checkHistory adds code once per mask, as Zeek's Connection::CheckHistory:
// it returns true if the mask was already seen (and adds nothing).
func (c *Conn) checkHistory(mask uint32, code byte) bool {
	if c.histSeen&mask == 0 {
		c.histSeen |= mask
		c.addHistory(code)
		return false
	}
	return true
}

// AppendHistory appends the history string to b.
func (c *Conn) AppendHistory(b []byte) []byte {
	b = append(b, c.hist[:c.histLen]...)
	if c.rare != nil {
		b = append(b, c.rare.histMore...)
	}
	return b
}

// History returns the history string (allocates; for tests and tools).
func (c *Conn) History() string { return string(c.AppendHistory(nil)) }

// OrigState and RespState are the endpoint states used by conn_state.
func (c *Conn) OrigState() EndpointState {
	if c.tcp != nil {
		return c.tcp.orig.state
	}
	if c.cflags&cfOrigActive != 0 {
		return StateActive
	}
	return StateInactive
}

// RespState is the responder's endpoint state.
func (c *Conn) RespState() EndpointState {
	if c.tcp != nil {
		return c.tcp.resp.state
	}
	if c.cflags&cfRespActive != 0 {
		return StateActive
	}
	return StateInactive
}

// Sizes returns the payload byte counts per direction (conn.log orig_bytes,
// resp_bytes): from sequence numbers for TCP, summed payloads otherwise.
func (c *Conn) Sizes() (orig, resp uint64) {
	if c.tcp != nil {
		return c.tcp.orig.size(&c.tcp.resp), c.tcp.resp.size(&c.tcp.orig)
	}
	if n := c.payloadLen(0); n > 0 {
		orig = uint64(n)
	}
	if n := c.payloadLen(1); n > 0 {
		resp = uint64(n)
	}
	return orig, resp
}

// State returns Zeek's conn_state for the connection as it is now.
func (c *Conn) State() string {
	o, r := c.Sizes()
	os, rs := c.OrigState(), c.RespState()
	h := ""
	if c.Trans == TransportTCP && os == StateReset {
		h = c.History() // only the RSTOS0/OTH choice reads it
	}
	return ConnState(c.Trans, os, rs, o, r, h)
}

// Duration returns last-start in seconds, computed from float seconds as
// Zeek does (so rounding matches its output).
func (c *Conn) Duration() float64 {
	return float64(c.Last)/1e9 - float64(c.Start)/1e9
}

// flip swaps the roles of originator and responder (Zeek's
// Connection::FlipRoles) and records '^' in the history.
func (c *Conn) flip() {
	c.OrigH, c.RespH = c.RespH, c.OrigH
	c.OrigP, c.RespP = c.RespP, c.OrigP
	if c.tcp != nil {
		c.tcp.orig, c.tcp.resp = c.tcp.resp, c.tcp.orig
		if k := c.tcp.counts; k != nil {
			k[0], k[1] = k[1], k[0]
		}
		// TCP's FlipRoles also flips its packet children, ConnSize among
		// them: packets counted so far move with their sender. (UDP's
		// ConnSize is an ordinary child and keeps its counts: a UDP flow
		// flipped by its analyzer keeps its first packet on the orig side.)
		c.origPkts, c.respPkts = c.respPkts, c.origPkts
		c.origIPBytes, c.respIPBytes = c.respIPBytes, c.origIPBytes
		if r := c.rare; r != nil {
			r.hi = [4]uint32{r.hi[1], r.hi[0], r.hi[3], r.hi[2]}
		}
		f := c.tcpFlags &^ (tcpSeenOrig | tcpSeenResp | tcpIsPartial)
		if c.tcpFlags&tcpSeenOrig != 0 {
			f |= tcpSeenResp
		}
		if c.tcpFlags&tcpSeenResp != 0 {
			f |= tcpSeenOrig
		}
		c.tcpFlags = f
	}
	c.addHistory('^')
}

func (c *Conn) hasParent(u UID) bool {
	for _, p := range c.TunnelParents() {
		if p == u {
			return true
		}
	}
	return false
}

// CopyTo copies the record into dst (which may be a previous copy: its
// slices and framework state are reused), deeply: dst shares nothing with
// c, so it stays valid after c is recycled. Only the record's data is
// copied: fields (SetField) come along, watchers and hooks do not. dst must
// be a copy, never a connection of a Table.
func (c *Conn) CopyTo(dst *Conn) {
	tcp, rare := dst.tcp, dst.rare
	*dst = *c
	dst.tcp, dst.rare = nil, nil
	dst.cflags &^= cfExtUsed
	if c.tcp != nil {
		if tcp == nil {
			tcp = new(tcpState)
		}
		*tcp = *c.tcp
		tcp.orig.blocks, tcp.resp.blocks = nil, nil // reassembly state is not part of the record
		tcp.counts = nil                            // nor are the history letters' counters
		dst.tcp = tcp
	}
	if c.rare != nil {
		if rare == nil {
			rare = &connRare{}
		}
		parents, more, ext := rare.parents[:0], rare.histMore[:0], rare.ext
		*rare = *c.rare
		rare.ext = ext
		if ext != nil {
			ext.reset()
		}
		rare.parents = append(parents, c.rare.parents...)
		rare.histMore = append(more, c.rare.histMore...)
		dst.rare = rare
	} else if rare != nil {
		rare.reset()
		dst.rare = rare // kept for the next copy; empty
	}
	if c.cflags&cfExtUsed != 0 && len(c.rare.ext.Fields) > 0 {
		e := dst.Ext()
		e.Fields = append(e.Fields, c.rare.ext.Fields...)
	}
}

// carry adds the overflow of side's (0 orig, 1 resp) 32-bit packet and IP
// byte counters to their high words.
func (c *Conn) carry(side int, pkts, bytes bool) {
	r := c.rareState()
	if pkts {
		r.hi[side]++
	}
	if bytes {
		r.hi[2+side]++
	}
}

// payloadLen returns a non-TCP side's payload sum (0 orig, 1 resp), as
// Zeek's UDP and ICMP analyzers keep it (it may be negative).
func (c *Conn) payloadLen(side int) int64 {
	lo := c.origLen
	if side == 1 {
		lo = c.respLen
	}
	if c.rare == nil {
		return int64(lo)
	}
	return int64(c.rare.lenHi[side])<<32 | int64(lo)
}

// addPayload adds n payload bytes to a non-TCP side's sum.
func (c *Conn) addPayload(side int, n int64) {
	lo := &c.origLen
	if side == 1 {
		lo = &c.respLen
	}
	v := int64(*lo) + n
	if v >= 0 && v <= math.MaxUint32 {
		*lo = uint32(v)
		return
	}
	v += c.payloadLen(side) - int64(*lo) // the whole sum
	r := c.rareState()
	r.lenHi[side] = int32(v >> 32)
	*lo = uint32(v)
}
