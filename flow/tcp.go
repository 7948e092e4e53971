package flow

import (
	"github.com/flowlog/flowlog/decode"
)

// This file follows Zeek's TCP session adapter
// (src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc and TCP.cc) rule
// for rule, so that history, sizes and states come out as Zeek's.

func (e *tcpEndpoint) checkHistory(c *Conn, isOrig bool, mask uint32, code byte) bool {
	if !isOrig {
		mask <<= 16
		code += 'a' - 'A'
	}
	return c.checkHistory(mask, code)
}

func (e *tcpEndpoint) addHistory(c *Conn, isOrig bool, code byte) {
	if !isOrig {
		code += 'a' - 'A'
	}
	c.addHistory(code)
}

func scaledLetter(c *Conn, s *scaled, isOrig bool, code byte) {
	if s.hit() {
		if !isOrig {
			code += 'a' - 'A'
		}
		c.addHistory(code)
	}
}

func isHandshake(s EndpointState) bool {
	return s == StateInactive || s == StateSynSent || s == StateSynAckSent
}

// setState is TCP_Endpoint::SetState: leaving the handshake switches the
// connection to the TCP inactivity timeout.
func (t *Table) setState(c *Conn, e, peer *tcpEndpoint, s EndpointState) {
	if s == e.state {
		return
	}
	if !isHandshake(s) && isHandshake(e.state) && isHandshake(peer.state) {
		t.setInactivity(c, t.tcpInact)
	}
	e.prevState = e.state
	e.state = s
}

func segLen(payload int, f uint8) int {
	n := payload
	if f&decode.TCPSyn != 0 {
		n++
	}
	if f&decode.TCPFin != 0 {
		n++
	}
	if f&decode.TCPRst != 0 {
		n -= payload
	}
	return n
}

func initEndpoint(c *Conn, e *tcpEndpoint, f uint8, firstSeq, lastSeq uint32, size uint64) {
	syn := f&decode.TCPSyn != 0
	switch e.state {
	case StateInactive:
		if syn {
			e.ackSeq = firstSeq
			e.startSeq = firstSeq
		} else {
			e.ackSeq = firstSeq - 1
			e.startSeq = firstSeq - 1
			lastSeq = firstSeq
		}
		e.lastSeq = lastSeq
	case StateSynSent, StateSynAckSent:
		if syn && firstSeq != e.startSeq {
			e.startSeq = firstSeq
			e.ackSeq = firstSeq
			e.lastSeq = lastSeq
		}
	case StateEstablished, StatePartial:
		if syn {
			e.startSeq = firstSeq
			e.ackSeq = firstSeq
			e.lastSeq = lastSeq
		}
	case StateReset:
		if syn && e.prevState == StateInactive {
			e.startSeq = firstSeq
			e.ackSeq = firstSeq
			e.lastSeq = lastSeq
		}
	}
}

func getRelativeSeq(e *tcpEndpoint, cur, last, wraps uint32, underflow *bool) uint64 {
	delta := seqDelta(cur, last)
	if delta < 0 {
		if wraps > 0 && cur > last {
			wraps--
		}
	} else if delta > 0 {
		if cur < last {
			wraps++
		}
	}
	if wraps == 0 {
		delta = seqDelta(cur, e.startSeq)
		if underflow != nil && delta < 0 {
			*underflow = true
		}
		return uint64(int64(delta))
	}
	return e.toRelative(cur, wraps)
}

func updateHistory(c *Conn, e *tcpEndpoint, isOrig bool, f uint8, relSeq uint64, length int) {
	syn, fin, rst := f&decode.TCPSyn != 0, f&decode.TCPFin != 0, f&decode.TCPRst != 0
	bits := 0
	if syn {
		bits++
	}
	if fin {
		bits++
	}
	if rst {
		bits++
	}
	switch {
	case bits > 1:
		if fin && rst {
			e.checkHistory(c, isOrig, histFINRST, 'I')
		} else {
			e.checkHistory(c, isOrig, histMultiFlag, 'Q')
		}
	case bits == 1:
		if syn {
			code := byte('S')
			if f&decode.TCPAck != 0 {
				code = 'H'
			}
			if e.checkHistory(c, isOrig, histSYN, code) && uint32(relSeq) != e.histLastSYN {
				e.addHistory(c, isOrig, code)
			}
			e.histLastSYN = uint32(relSeq)
		}
		if fin {
			if e.checkHistory(c, isOrig, histFIN, 'F') && uint32(relSeq+uint64(length)) != e.histLastFIN {
				e.addHistory(c, isOrig, 'F')
			}
			e.histLastFIN = uint32(relSeq + uint64(length))
		}
		if rst {
			if e.checkHistory(c, isOrig, histRST, 'R') && uint32(relSeq) != e.histLastRST {
				e.addHistory(c, isOrig, 'R')
			}
			e.histLastRST = uint32(relSeq)
		}
	default:
		if length > 0 {
			e.checkHistory(c, isOrig, histData, 'D')
		} else if f&decode.TCPAck != 0 {
			e.checkHistory(c, isOrig, histACK, 'A')
		}
	}
}

// updateWindow is the part of Zeek's update_window that reaches conn.log:
// zero windows (history W/w). The window tracking behind Zeek's
// window_recision weird is not kept. A scaled window is zero exactly when
// the raw one is, so window scaling does not matter here.
func updateWindow(c *Conn, e, peer *tcpEndpoint, isOrig bool, window uint32, f uint8) {
	if window == 0 && f&decode.TCPRst == 0 && peer.state != StateClosed && e.state != StateReset {
		scaledLetter(c, &c.counts(isOrig).win0, isOrig, 'W')
	}
}

func initPeer(peer *tcpEndpoint, ackSeq uint32) {
	peer.startSeq = ackSeq - 1
	peer.ackSeq = ackSeq - 1
	peer.lastSeq = ackSeq - 1
}

func updateAckSeq(e *tcpEndpoint, ackSeq uint32) {
	d := seqDelta(ackSeq, e.ackSeq)
	if ackSeq == 0 && d > tooLargeSeqDelta {
		return
	}
	if d > 0 {
		e.updateAckSeq(ackSeq)
	}
}

func updateLastSeq(c *Conn, e *tcpEndpoint, isOrig bool, lastSeq uint32, f uint8, length int) int32 {
	d := seqDelta(lastSeq, e.lastSeq)
	switch {
	case f&(decode.TCPSyn|decode.TCPRst) != 0 && (d > tooLargeSeqDelta || d < -tooLargeSeqDelta):
	case f&decode.TCPFin != 0 && int64(e.lastSeq) == int64(e.startSeq)+1:
		e.updateLastSeq(lastSeq)
	case e.state == StateReset:
	case d > 0:
		e.updateLastSeq(lastSeq)
	case d <= 0 && length > 0:
		scaledLetter(c, &c.counts(isOrig).rxmt, isOrig, 'T')
	}
	return d
}

// tcpIsReuse is TCPSessionAdapter::IsReuse: does this packet start a new
// connection on the same 5-tuple?
func (t *Table) tcpIsReuse(c *Conn, l *decode.Layer) bool {
	if l.DataOff < 20 {
		return false
	}
	f := l.Flags
	if f&decode.TCPSyn == 0 {
		return false
	}
	connOrig := &c.tcp.orig
	if f&decode.TCPAck != 0 {
		if c.tcp.orig.state != StateInactive {
			return false
		}
		connOrig = &c.tcp.resp
	}
	if !(c.tcp.orig.didClose || c.tcp.resp.didClose) {
		base := l.Seq
		if base == connOrig.startSeq {
			return false
		}
		if f&decode.TCPAck == 0 && connOrig.state == StateSynAckSent && c.tcp.resp.state == StateInactive && base == c.tcp.resp.startSeq {
			return false
		}
	}
	return true
}

// tcpPacket is TCPAnalyzer::DeliverPacket for one packet of c.
func (t *Table) tcpPacket(c *Conn, isOrig bool, l *decode.Layer, ts int64) {
	if l.SkipPacket {
		// bad_TCP_header_len / truncated_header: the connection exists
		// but the packet is not analyzed or counted.
		return
	}
	e, peer := &c.tcp.orig, &c.tcp.resp
	if !isOrig {
		e, peer = peer, e
	}
	if l.BadChecksum {
		scaledLetter(c, &c.counts(isOrig).chk, isOrig, 'C')
		return
	}
	f := l.Flags
	if c.histLen == 1 && c.hist[0] == 'H' && f&(decode.TCPSyn|decode.TCPRst) == 0 &&
		(f&decode.TCPAck != 0 || l.PayloadLen > 0) {
		// A connection that began with a SYN-ACK from its "originator" is
		// flipped on the next acking or data packet (Zeek PR #2191): the
		// SYN-ACK sender becomes an established responder and the history
		// reads as if the flip had happened at creation.
		c.flip()
		c.histLen = 0
		c.addHistory('^')
		c.addHistory('h')
		c.tcp.resp.state, c.tcp.resp.prevState = StateEstablished, StateInactive
		isOrig = !isOrig
		e, peer = peer, e
	}
	syn, fin, rst, ack := f&decode.TCPSyn != 0, f&decode.TCPFin != 0, f&decode.TCPRst != 0, f&decode.TCPAck != 0
	length := int(l.PayloadLen)

	// SetPartialStatus
	if isOrig {
		if c.tcpFlags&tcpSeenOrig == 0 {
			if !syn || ack {
				c.tcpFlags |= tcpIsPartial
			} else {
				c.tcpFlags &^= tcpIsPartial
			}
		}
	} else if c.tcpFlags&tcpSeenResp == 0 && c.tcpFlags&tcpIsPartial == 0 {
		if !syn {
			c.tcpFlags |= tcpIsPartial
		}
	}

	baseSeq, ackSeq := l.Seq, l.Ack
	sl := segLen(length, f)
	seqOnePast := baseSeq + uint32(sl)
	initEndpoint(c, e, f, baseSeq, seqOnePast, 0)

	underflow := false
	relSeq := getRelativeSeq(e, baseSeq, e.lastSeq, e.seqWraps, &underflow)

	updateHistory(c, e, isOrig, f, relSeq, length)
	updateWindow(c, e, peer, isOrig, uint32(l.Window), f)

	if !c.tcp.orig.didClose || !c.tcp.resp.didClose {
		c.Last = ts
	}
	// Window scaling (initWindow in Zeek) is not tracked: a scaled window is
	// zero exactly when the raw one is, and that is all history needs.
	if fin {
		if e.finCnt < 255 {
			e.finCnt++
		}
		e.finSeq = relSeq + uint64(sl)
	}

	var relAck uint64
	if ack {
		if isOrig && c.tcpFlags&tcpSeenFirstACK == 0 && (e.state == StateEstablished || e.state == StateSynSent) {
			c.tcpFlags |= tcpSeenFirstACK
		}
		if peer.state == StateInactive {
			relAck = 1
			initPeer(peer, ackSeq)
		} else {
			au := false
			relAck = getRelativeSeq(peer, ackSeq, peer.ackSeq, peer.ackWraps, &au)
			if au {
				relAck = 0
			} else if !rst {
				updateAckSeq(peer, ackSeq)
			}
		}
	}

	deltaLast := updateLastSeq(c, e, isOrig, seqOnePast, f, length)

	doClose, flipped := t.updateStateMachine(c, e, peer, isOrig, baseSeq, ackSeq, length, deltaLast, f, ts)
	if flipped {
		// Zeek's FlipRoles swapped the endpoint objects; its local
		// pointers still name the same objects, which now sit in the other
		// slots. is_orig stays stale, as in Zeek.
		e, peer = peer, e
	}

	if ack {
		t.ackReceived(c, peer, e, !isOrig, relAck)
	}

	// Data delivery (reassembly emulation for gap detection).
	if length > 0 && !rst && !underflow && !l.PayloadTruncated {
		relData := relSeq
		if syn {
			relData++
		}
		dataSent(e, relData, length)
	}
	if isOrig {
		c.tcpFlags |= tcpSeenOrig
	} else {
		c.tcpFlags |= tcpSeenResp
	}

	if doClose {
		t.connectionClosed(c, e, peer)
	}
	t.count(c, isOrig, l)
}

const tcpSeenFirstACK = 0x10

// relAckOf returns the relative sequence number up to which e's data was
// acknowledged (signed: it may sit below e's start).
func (e *tcpEndpoint) relAcked() int64 {
	return int64(e.toFull(e.ackSeq, e.ackWraps)) - int64(e.startSeq)
}

// dataSent is TCP_Reassembler::DataSent reduced to sequence ranges: it tracks
// which of e's bytes were seen, to find the holes an ack later reveals.
func dataSent(e *tcpEndpoint, seq uint64, length int) {
	if e.reasmSkip {
		return
	}
	lo, hi := seq, seq+uint64(length)
	if ack := e.relAcked(); ack > 0 && lo < uint64(ack) {
		if hi <= uint64(ack) {
			return
		}
		lo = uint64(ack)
	}
	if hi <= e.trim {
		return
	}
	if lo < e.trim {
		lo = e.trim
	}
	bl := e.blk()
	if lo <= e.lastReassem {
		if hi > e.lastReassem {
			e.lastReassem = hi
			// absorb out-of-order blocks now contiguous
			n := 0
			for _, b := range bl {
				if b.lo <= e.lastReassem {
					if b.hi > e.lastReassem {
						e.lastReassem = b.hi
					}
					continue
				}
				bl[n] = b
				n++
			}
			e.setBlk(bl[:n])
		}
		return
	}
	bl = addBlock(bl, lo, hi)
	if e.noDataAcked() {
		var above uint64
		for _, b := range bl {
			above += b.hi - b.lo
		}
		if above > 16384 {
			// above_hole_data_without_any_acks: Zeek stops reassembling.
			bl = bl[:0]
			e.reasmSkip = true
		}
	}
	e.setBlk(bl)
}

// blk returns the out-of-order ranges (nil when none were ever needed).
func (e *tcpEndpoint) blk() []seqRange {
	if e.blocks == nil {
		return nil
	}
	return *e.blocks
}

// setBlk stores the ranges, allocating their holder on first use only.
func (e *tcpEndpoint) setBlk(bl []seqRange) {
	if e.blocks == nil {
		if len(bl) == 0 {
			return
		}
		e.blocks = new([]seqRange)
	}
	*e.blocks = bl
}

// addBlock inserts [lo,hi) into the sorted, merged list of out-of-order data.
func addBlock(bl []seqRange, lo, hi uint64) []seqRange {
	i := 0
	for i < len(bl) && bl[i].hi < lo {
		i++
	}
	j := i
	for j < len(bl) && bl[j].lo <= hi {
		if bl[j].lo < lo {
			lo = bl[j].lo
		}
		if bl[j].hi > hi {
			hi = bl[j].hi
		}
		j++
	}
	if i == j {
		bl = append(bl, seqRange{})
		copy(bl[i+1:], bl[i:])
		bl[i] = seqRange{lo, hi}
		return bl
	}
	bl[i] = seqRange{lo, hi}
	return append(bl[:i+1], bl[j:]...)
}

func cleanForGap(e *tcpEndpoint) bool {
	return e.state == StateEstablished || (e.state == StateClosed && e.prevState == StateEstablished)
}

// ackReceived is TCP_Reassembler::AckReceived: x acknowledged p's data up to
// relAck. Bytes acked but never seen are a content gap (missed_bytes, and
// history G/g on a log scale), reported only while both sides are
// established, as Zeek does.
func (t *Table) ackReceived(c *Conn, p, x *tcpEndpoint, pIsOrig bool, relAck uint64) {
	seq := relAck
	if p.finCnt > 0 && seq >= p.finSeq {
		seq = p.finSeq - 1
	}
	if seq <= p.trim {
		return
	}
	if seq > p.lastReassem {
		t.undelivered(c, p, x, pIsOrig, seq)
	}
	bl := p.blk()
	n := 0
	for _, b := range bl {
		if b.hi > seq {
			bl[n] = b
			n++
		}
	}
	p.setBlk(bl[:n])
	p.trim = seq
}

func (t *Table) undelivered(c *Conn, p, x *tcpEndpoint, pIsOrig bool, up uint64) {
	if up <= 2 && c.tcpFlags&tcpIsPartial != 0 {
		return
	}
	if !p.reasmSkip {
		for _, b := range p.blk() {
			if b.lo >= up {
				break
			}
			if b.lo > p.lastReassem {
				t.gap(c, p, x, pIsOrig, b.lo-p.lastReassem)
			}
			if b.hi > p.lastReassem {
				p.lastReassem = b.hi
			}
		}
		if up > p.lastReassem {
			t.gap(c, p, x, pIsOrig, up-p.lastReassem)
		}
	}
	if up > p.lastReassem {
		p.lastReassem = up
	}
}

func (t *Table) gap(c *Conn, p, x *tcpEndpoint, pIsOrig bool, n uint64) {
	if !cleanForGap(p) || !cleanForGap(x) {
		return
	}
	c.tcp.missed += n
	scaledLetter(c, &c.counts(pIsOrig).gap, pIsOrig, 'G')
}

func (t *Table) updateStateMachine(c *Conn, e, peer *tcpEndpoint, isOrig bool, baseSeq, ackSeq uint32, length int, deltaLast int32, f uint8, ts int64) (doClose, flipped bool) {
	syn, fin, rst, ack := f&decode.TCPSyn != 0, f&decode.TCPFin != 0, f&decode.TCPRst != 0, f&decode.TCPAck != 0
	switch e.state {
	case StateInactive:
		if syn {
			if isOrig {
				if ack {
					t.setState(c, e, peer, StateSynAckSent)
				} else {
					t.setState(c, e, peer, StateSynSent)
				}
				t.addTimer(c, ts+tcpAttemptDelay, timerAttempt)
			} else {
				if ack {
					// bad_SYN_ack weird only
				} else if peer.state == StateSynAckSent && baseSeq == e.startSeq {
					// SYN/SYN-ACK reversal: flip and establish.
					c.tcpFlags &^= tcpIsPartial
					c.flip()
					// after the flip, e is the originator's endpoint struct
					// position-wise; recompute pointers.
					e, peer = peer, e
					flipped = true
					t.setState(c, peer, e, StateEstablished)
					c.tcpFlags |= tcpSeenOrig
				}
				if peer.state == StateSynSent {
					t.setState(c, peer, e, StateEstablished)
				}
				t.setState(c, e, peer, StateEstablished)
				if peer.state != StatePartial {
					t.connectionEstablished(c)
				}
			}
		}
		if fin {
			t.setState(c, e, peer, StateClosed)
			doClose = true
		}
		if rst {
			// (Zeek also decides here whether to raise connection_rejected;
			// no event flowlog emits depends on it.)
			t.setState(c, e, peer, StateReset)
			doClose = true
		}
		if e.state == StateInactive {
			switch {
			case !isOrig && length == 0 && c.tcp.orig.state == StateSynSent:
			case ack && peer.state == StateEstablished:
				t.setState(c, e, peer, StateEstablished)
				c.tcpFlags &^= tcpIsPartial
				if isOrig {
					c.tcpFlags |= tcpSeenOrig
				} else {
					c.tcpFlags |= tcpSeenResp
				}
			default:
				t.setState(c, e, peer, StatePartial)
			}
		}
	case StateSynSent, StateSynAckSent:
		if fin {
			t.setState(c, e, peer, StateClosed)
			doClose = true
		}
		if rst {
			t.setState(c, e, peer, StateReset)
			doClose = true
		}
	case StateEstablished, StatePartial:
		if syn && e.state == StatePartial && peer.state == StateInactive && !ack {
			t.setState(c, e, peer, StateSynSent)
		}
		if fin && !rst {
			t.setState(c, e, peer, StateClosed)
			if peer.state == StateReset && peer.prevState == StateClosed {
				t.setState(c, peer, e, StateClosed)
			}
			doClose = true
		}
		if rst {
			t.setState(c, e, peer, StateReset)
			doClose = true
		}
	case StateClosed:
		if rst && peer.state != StateClosed {
			t.setState(c, e, peer, StateReset)
			if !e.didClose {
				doClose = true
			}
			t.addTimer(c, ts+tcpResetDelay, timerReset)
		}
	case StateReset:
	}
	return doClose, flipped
}

// connectionEstablished applies Conn::port_inactivity_timeouts as Zeek's
// base/protocols/conn/inactivity.zeek does on connection_established: by the
// responder port, or by the originator port of a half-established
// connection whose responder port is not a likely server port.
func (t *Table) connectionEstablished(c *Conn) {
	port := c.RespP
	if c.tcp.orig.state == StateInactive && !t.likely[PortProto{port, TransportTCP}] && t.likely[PortProto{c.OrigP, TransportTCP}] {
		port = c.OrigP
	}
	if d, ok := t.portTimeouts[PortProto{port, TransportTCP}]; ok {
		t.setInactivity(c, d)
	}
}

// connectionClosed is TCPSessionAdapter::ConnectionClosed (without the
// reassembler's deferred close, which only delays events).
func (t *Table) connectionClosed(c *Conn, e, peer *tcpEndpoint) {
	if e.didClose {
		return
	}
	e.didClose = true
	closeComplete := e.state == StateReset || peer.didClose || peer.state == StateInactive
	if closeComplete {
		if e.prevState != StateInactive || peer.state != StateInactive {
			c.tcpFlags &^= tcpIsActive
		}
		// CancelTimers + DeleteTimer at LastTime + tcp_close_delay.
		t.addTimer(c, c.Last+tcpCloseDelay, timerDelete)
		c.tcpFlags |= tcpTimersCanceled
		return
	}
	if e.prevState == StateInactive {
		t.addTimer(c, c.Last+tcpPartialCloseDelay, timerPartialClose)
	} else {
		t.addTimer(c, c.Last+tcpSessionTimer, timerExpire)
	}
}

const tcpTimersCanceled = 0x20

func (t *Table) tcpTimer(c *Conn, tm timer) {
	// After a full close Zeek cancels the analyzer's timers; only the
	// delete timer (added after the cancel) and the connection's own
	// inactivity timer remain.
	if c.tcpFlags&tcpTimersCanceled != 0 && tm.kind() != timerDelete && tm.kind() != timerInterim {
		return
	}
	now := t.now
	switch tm.kind() {
	case timerDelete:
		t.remove(c, ReasonClosed)
	case timerAttempt:
		if c.tcpFlags&tcpIsActive == 0 {
			return
		}
		if (c.tcp.orig.state == StateSynSent || c.tcp.orig.state == StateSynAckSent) && c.tcp.resp.state == StateInactive {
			c.tcpFlags &^= tcpIsActive
			t.remove(c, ReasonClosed)
		}
	case timerPartialClose:
		if c.tcpFlags&tcpIsActive == 0 {
			return
		}
		if c.tcp.orig.state != StateInactive && c.tcp.resp.state != StateInactive && (!c.tcp.orig.didClose || !c.tcp.resp.didClose) {
			if c.tcp.orig.state == StateReset || c.tcp.resp.state == StateReset {
				return
			}
			t.remove(c, ReasonClosed)
		}
	case timerReset:
		if c.tcpFlags&tcpIsActive == 0 {
			return
		}
		t.remove(c, ReasonClosed)
	case timerExpire:
		if c.tcpFlags&tcpIsActive == 0 {
			return
		}
		if c.Last+tcpConnectionLinger < now {
			if c.tcp.orig.didClose || c.tcp.resp.didClose {
				if (c.tcp.orig.didClose && c.tcp.resp.didClose) ||
					c.tcp.orig.state == StateReset || c.tcp.resp.state == StateReset ||
					c.tcp.orig.state == StateInactive || c.tcp.resp.state == StateInactive {
					c.tcpFlags &^= tcpIsActive
					t.remove(c, ReasonClosed)
					return
				}
			}
			if c.tcp.resp.state == StateInactive && c.tcp.orig.state == StateInactive {
				t.remove(c, ReasonClosed)
				return
			}
		}
		t.addTimer(c, now+tcpSessionTimer, timerExpire)
	}
}

func (t *Table) udpPacket(c *Conn, isOrig bool, l *decode.Layer, ts int64) {
	if l.BadChecksum {
		// UDPSessionAdapter::HandleBadChecksum; the packet is not counted.
		// The counters live in the table's udpChk map: one connection in
		// twenty of many-flows.pcap has one, too many for a connRare each.
		if t.udpChk == nil {
			t.udpChk = make(map[uint32][2]scaled)
		}
		k := t.udpChk[c.ref]
		side := 0
		if !isOrig {
			side = 1
		}
		scaledLetter(c, &k[side], isOrig, 'C')
		t.udpChk[c.ref] = k
		c.cflags |= cfUDPChk
		return
	}
	c.Last = ts
	n := int64(l.UDPLen) - 8
	if isOrig {
		c.checkHistory(0x1, 'D')
		c.cflags |= cfOrigActive
		c.addPayload(0, n)
	} else {
		c.checkHistory(0x2, 'd')
		c.cflags |= cfRespActive
		c.addPayload(1, n)
	}
	t.count(c, isOrig, l)
	if c.tcpFlags != 0 {
		udpAnalyzerFlip(c, isOrig, l)
	}
}

// udpAnalyzerPorts gives the UDP analyzers whose first messages can flip
// a connection's roles, by the responder port their scripts register
// (DNS::ports, NTP::ports).
func udpAnalyzerPorts(port uint16) uint8 {
	switch port {
	case 53, 137, 5353, 5355:
		return udpDNS
	case 123:
		return udpNTP
	}
	return 0
}

// udpAnalyzerFlip applies the role flips of Zeek's DNS and NTP analyzers,
// which see each datagram after the UDP analyzer counted it:
//
//   - DNS (DNS_Interpreter::ParseMessage): the first message of at least a
//     header's 12 bytes, if it is a response (QR set) sent by the
//     originator, flips the connection unless the responder address is
//     multicast.
//   - NTP (NTP_Flow::proc_ntp_message): a server-mode message (4) from the
//     originator or a client-mode one (3) from the responder flips it; each
//     direction's flow does so at most once.
//
// As for Zeek's UDP, the flip keeps packets, sizes and history letters
// already counted where they were (Conn.flip).
func udpAnalyzerFlip(c *Conn, isOrig bool, l *decode.Layer) {
	p := l.Payload
	switch {
	case c.tcpFlags&udpDNS != 0:
		if c.tcpFlags&udpDNSParsed != 0 || len(p) < 12 {
			return
		}
		c.tcpFlags |= udpDNSParsed
		if isOrig && p[2]&0x80 != 0 && !c.RespH.Netip().IsMulticast() {
			c.flip()
		}
	case c.tcpFlags&udpNTP != 0:
		if len(p) < 48 {
			return // not a standard NTP message (modes 3 and 4 are 48 bytes or more)
		}
		mode := p[0] & 7
		side := uint8(udpNTPFlipResp)
		if isOrig {
			side = udpNTPFlipOrig
		}
		if c.tcpFlags&side == 0 && (mode == 4 && isOrig || mode == 3 && !isOrig) {
			c.tcpFlags |= side
			c.flip()
		}
	}
}

func (t *Table) icmpPacket(c *Conn, isOrig bool, l *decode.Layer, ts int64) {
	if l.BadChecksum {
		return
	}
	c.Last = ts
	n := int64(l.PayloadLen)
	if isOrig {
		c.cflags |= cfOrigActive
		c.addPayload(0, n)
	} else {
		c.cflags |= cfRespActive
		c.addPayload(1, n)
	}
	if !l.PayloadTruncated {
		t.count(c, isOrig, l)
	}
}

// icmpCounterpart returns the "responder port" Zeek gives an ICMP message:
// the type of the matching reply for request/reply pairs, else the code
// with oneWay set (ICMP4_counterpart / ICMP6_counterpart).
func icmpCounterpart(v6 bool, typ, code uint8) (uint16, bool) {
	if !v6 {
		switch typ {
		case 8:
			return 0, false
		case 0:
			return 8, false
		case 13:
			return 14, false
		case 14:
			return 13, false
		case 15:
			return 16, false
		case 16:
			return 15, false
		case 10:
			return 9, false
		case 9:
			return 10, false
		case 17:
			return 18, false
		case 18:
			return 17, false
		}
		return uint16(code), true
	}
	switch typ {
	case 128:
		return 129, false
	case 129:
		return 128, false
	case 133:
		return 134, false
	case 134:
		return 133, false
	case 135:
		return 136, false
	case 136:
		return 135, false
	case 130:
		return 131, false
	case 131:
		return 130, false
	case 139:
		return 140, false
	case 140:
		return 139, false
	case 144:
		return 145, false
	case 145:
		return 144, false
	}
	return uint16(code), true
}
