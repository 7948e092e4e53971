package flow

// History mask bits, as Zeek's TCP_Endpoint::HistoryMasks; responder bits are
// shifted left by 16 so both directions share one uint32.
const (
	histSYN       = 0x1
	histFIN       = 0x2
	histRST       = 0x4
	histFINRST    = 0x8
	histData      = 0x10
	histACK       = 0x20
	histMultiFlag = 0x40
)

// scaled counts the events behind the history letters that repeat on a
// logarithmic scale (c, t, w, g): Zeek's ScaledHistoryEntry adds the letter
// when the count reaches 1, 10, 100, ... (thresholds times 10).
type scaled uint32

// hit counts one more event and reports whether the letter must be added.
func (s *scaled) hit() bool {
	*s++
	for p := uint32(1); ; p *= 10 {
		if uint32(*s) == p {
			return true
		}
		if uint32(*s) < p || p > 1e9 {
			return false
		}
	}
}

// tcpEndpoint is one direction of a TCP connection, after Zeek's TCP_Endpoint.
// Sequence numbers are kept as Zeek keeps them: 32-bit values plus wrap
// counters, with a signed 64-bit start.
type tcpEndpoint struct {
	// Relative sequence numbers of the reassembly emulation and the FIN:
	// 64 bits, so flows over 4 GiB keep exact counts.
	finSeq uint64 // relative seq just past the FIN (Zeek's FIN_seq)
	// Reassembly emulation for content gaps (Zeek's TCP_Reassembler, which
	// is on for every connection): sequence ranges only, no payload.
	lastReassem uint64      // next in-order relative seq (starts at 1)
	trim        uint64      // everything below was acked (starts at 1)
	blocks      *[]seqRange // out-of-order data above lastReassem, sorted (nil: none)

	// startSeq is Zeek's start_seq: always a 32-bit sequence value (the
	// first one seen, or one less), widened where Zeek computes with it.
	startSeq           uint32
	lastSeq, ackSeq    uint32
	seqWraps, ackWraps uint32
	// Low 32 bits of the relative seqs of the last SYN, FIN and RST (Zeek
	// keeps 64: only a retransmission exactly 4 GiB later would differ).
	histLastSYN, histLastFIN, histLastRST uint32
	state, prevState                      EndpointState
	finCnt                                uint8 // saturating: only > 0 matters
	didClose                              bool
	reasmSkip                             bool // gave up (too much data above a hole without acks)
}

// tcpState is the TCP part of a connection, kept apart so that UDP, ICMP
// and other connections do not carry it.
type tcpState struct {
	orig, resp tcpEndpoint
	counts     *[2]counters // scaled history counters: orig, resp (nil until the first event; kept when recycled)
	missed     uint64       // bytes in content gaps (Zeek's content_gap)
}

// counters are the scaled history counters of one direction (c, t, w, g).
type counters struct {
	chk, rxmt, win0, gap scaled
}

type seqRange struct{ lo, hi uint64 }

func (e *tcpEndpoint) toFull(seq, wraps uint32) uint64 { return uint64(wraps)<<32 + uint64(seq) }

func (e *tcpEndpoint) toRelative(seq, wraps uint32) uint64 {
	return e.toFull(seq, wraps) - uint64(e.startSeq)
}

func (e *tcpEndpoint) updateLastSeq(seq uint32) {
	if seq < e.lastSeq {
		e.seqWraps++
	}
	e.lastSeq = seq
}

func (e *tcpEndpoint) updateAckSeq(seq uint32) {
	if seq < e.ackSeq {
		e.ackWraps++
	}
	e.ackSeq = seq
}

func (e *tcpEndpoint) noDataAcked() bool {
	ack := e.toFull(e.ackSeq, e.ackWraps)
	start := uint64(e.startSeq)
	return ack == start || ack == start+1
}

// size is Zeek's TCP_Endpoint::Size: bytes sent, from sequence numbers.
func (e *tcpEndpoint) size(peer *tcpEndpoint) uint64 {
	if e.prevState == StateSynSent && e.state == StateReset && peer.state == StateInactive && !e.noDataAcked() {
		return 0
	}
	last := e.toFull(e.lastSeq, e.seqWraps)
	ack := e.toFull(e.ackSeq, e.ackWraps)
	var size uint64
	if last > ack {
		size = last - uint64(e.startSeq)
	} else {
		size = ack - uint64(e.startSeq)
	}
	if size != 0 {
		size--
	}
	if e.finCnt > 0 && size != 0 {
		size--
	}
	return size
}

func seqDelta(a, b uint32) int32 { return int32(a - b) }
