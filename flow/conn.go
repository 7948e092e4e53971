package flow

import (
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
// allocating; longer histories spill to a slice.
const maxInlineHistory = 16

// Conn is one connection's state and, once removed, its conn.log record.
// The Table owns it: a *Conn handed out in an Event is valid until the next
// call into the Table.
type Conn struct {
	// OrigH/OrigP/RespH/RespP are the connection's endpoints after any flip.
	OrigH, RespH decode.Addr
	OrigP, RespP uint16
	// IPProto is the IP protocol number (conn.log ip_proto).
	IPProto uint8
	Trans   Transport
	oneWay  bool

	// Start and Last are the first and last packet times (ns since epoch)
	// as Zeek keeps them (Last is not updated by some packets, e.g. after
	// both TCP sides closed, or bad checksums).
	Start, Last int64
	UID         UID

	OrigPkts, RespPkts       uint64
	OrigIPBytes, RespIPBytes uint64
	// MissedBytes counts bytes in content gaps (Zeek's content_gap).
	MissedBytes uint64

	// VLAN and InnerVLAN of the first packet.
	VLAN, InnerVLAN uint16

	// TunnelParents holds the uids of enclosing tunnel connections.
	TunnelParents []UID

	histSeen uint32
	histLen  uint8
	hist     [maxInlineHistory]byte
	histMore []byte

	// UDP/ICMP/other: payload bytes per side, -1 while inactive.
	origLen, respLen int64

	orig, resp tcpEndpoint // TCP only

	encap         uint64 // identity of the current encapsulation (0: none)
	tunnelChanges uint8  // tunnel changes reported (Zeek's tunnel_changes)
	inactivity    int64  // inactivity timeout (ns), 0 = none
	created       uint64 // creation sequence number in the table
	gen           uint32
	tcpFlags      uint8 // tcp adapter flags (seenFirstACK, isActive, isPartial, firstPacketSeen bits)
	removed       bool

	ext     *Ext // conn framework state (and anything callers attach); kept when recycled
	extUsed bool // ext is in use by this connection
}

// key returns the connection's table key (derivable: the key is
// direction-symmetric, and one-way ICMP connections never flip).
func (c *Conn) key() connKey {
	return makeKey(c.OrigH, c.RespH, c.OrigP, c.RespP, c.IPProto, c.oneWay)
}

const (
	tcpIsActive  = 0x1
	tcpIsPartial = 0x2
	tcpSeenOrig  = 0x4 // first_packet_seen & ORIG
	tcpSeenResp  = 0x8 // first_packet_seen & RESP
)

func (c *Conn) addHistory(code byte) {
	if c.histLen < maxInlineHistory {
		c.hist[c.histLen] = code
		c.histLen++
		return
	}
	c.histMore = append(c.histMore, code)
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
	return append(b, c.histMore...)
}

// History returns the history string (allocates; for tests and tools).
func (c *Conn) History() string { return string(c.AppendHistory(nil)) }

// OrigState and RespState are the endpoint states used by conn_state.
func (c *Conn) OrigState() EndpointState { return c.orig.state }

// RespState is the responder's endpoint state.
func (c *Conn) RespState() EndpointState { return c.resp.state }

// Sizes returns the payload byte counts per direction (conn.log orig_bytes,
// resp_bytes): from sequence numbers for TCP, summed payloads otherwise.
func (c *Conn) Sizes() (orig, resp uint64) {
	if c.Trans == TransportTCP {
		return c.orig.size(&c.resp), c.resp.size(&c.orig)
	}
	if c.origLen > 0 {
		orig = uint64(c.origLen)
	}
	if c.respLen > 0 {
		resp = uint64(c.respLen)
	}
	return orig, resp
}

// State returns Zeek's conn_state for the connection as it is now.
func (c *Conn) State() string {
	o, r := c.Sizes()
	return ConnState(c.Trans, c.orig.state, c.resp.state, o, r, c.History())
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
	if c.Trans == TransportTCP {
		c.orig, c.resp = c.resp, c.orig
		// TCP's FlipRoles also flips its packet children, ConnSize among
		// them: packets counted so far move with their sender. (UDP's
		// ConnSize is an ordinary child and keeps its counts: a UDP flow
		// flipped by its analyzer keeps its first packet on the orig side.)
		c.OrigPkts, c.RespPkts = c.RespPkts, c.OrigPkts
		c.OrigIPBytes, c.RespIPBytes = c.RespIPBytes, c.OrigIPBytes
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
	for _, p := range c.TunnelParents {
		if p == u {
			return true
		}
	}
	return false
}

// CopyTo copies the record into dst (which may be a previous copy: its
// slices and framework state are reused), deeply: dst shares nothing with
// c, so it stays valid after c is recycled. Only the record's data is
// copied: fields (SetField) come along, watchers and hooks do not.
func (c *Conn) CopyTo(dst *Conn) {
	parents := dst.TunnelParents[:0]
	more := dst.histMore[:0]
	ext := dst.ext
	*dst = *c
	dst.TunnelParents = append(parents, c.TunnelParents...)
	dst.histMore = append(more, c.histMore...)
	dst.ext, dst.extUsed = ext, false
	if dst.ext != nil {
		dst.ext.reset()
	}
	if c.extUsed && len(c.ext.Fields) > 0 {
		e := dst.Ext()
		e.Fields = append(e.Fields, c.ext.Fields...)
	}
}
