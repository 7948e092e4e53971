package dnsmsg

// MaxTCPMessage is the largest DNS-over-TCP message (its 16-bit length
// prefix).
const MaxTCPMessage = 65535

// Stream cuts one direction of a DNS-over-TCP connection into messages
// (each prefixed by its 2-byte length, RFC 1035 4.2.2). It takes segments
// in sequence order, trims retransmitted bytes, and stops at the first gap
// (a segment beyond the next expected byte), since the framing is lost
// there. It buffers at most one message (2+65535 bytes). Not safe for
// concurrent use.
type Stream struct {
	next    uint32
	started bool
	stopped bool
	buf     []byte
}

// Stopped reports whether the stream stopped at a gap.
func (s *Stream) Stopped() bool { return s.stopped }

// Reset makes s ready for a new stream, keeping its buffer.
func (s *Stream) Reset() {
	*s = Stream{buf: s.buf[:0]}
}

// Add feeds one TCP segment (its sequence number and payload) and calls fn
// with every message it completes. The message slice is valid only during
// the call.
func (s *Stream) Add(seq uint32, payload []byte, fn func(msg []byte)) {
	if s.stopped || len(payload) == 0 {
		return
	}
	if !s.started {
		s.started = true
		s.next = seq
	}
	d := int32(seq - s.next)
	if d > 0 {
		s.stopped = true
		s.buf = s.buf[:0]
		return
	}
	if -d >= int32(len(payload)) {
		return // all retransmitted
	}
	payload = payload[-d:]
	s.next += uint32(len(payload))
	// Fast path: whole messages in one segment, nothing buffered.
	if len(s.buf) == 0 {
		for len(payload) >= 2 {
			n := int(payload[0])<<8 | int(payload[1])
			if len(payload) < 2+n {
				break
			}
			fn(payload[2 : 2+n])
			payload = payload[2+n:]
		}
		if len(payload) == 0 {
			return
		}
	}
	s.buf = append(s.buf, payload...)
	for len(s.buf) >= 2 {
		n := int(s.buf[0])<<8 | int(s.buf[1])
		if len(s.buf) < 2+n {
			return
		}
		fn(s.buf[2 : 2+n])
		rest := copy(s.buf, s.buf[2+n:])
		s.buf = s.buf[:rest]
	}
}
