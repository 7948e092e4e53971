package tls

import "bytes"

// Defaults for StreamAssembler limits.
const (
	DefaultMaxScan    = 64 << 10
	DefaultMaxPending = 16 << 10
	// maxFailures bounds how many candidate record starts may fail to parse
	// before a StreamAssembler gives up.
	maxFailures = 32
	// streamLimit bounds the bytes buffered from a candidate record start:
	// a maximal ClientHello plus room for its record headers.
	streamLimit = 4 + MaxClientHelloLen + 4096
)

const (
	stScanning = iota
	stAnchored
	stDone
)

// StreamAssembler finds and reassembles the ClientHello in one direction of
// one TCP connection (client to server). Feed it every payload-carrying
// segment with Add, in any order; duplicates and overlaps are fine.
//
// The ClientHello need not be at the start of the stream: segments are
// scanned for a TLS record header that starts a ClientHello (22, 3, 0-4,
// length, 1, ...), so STARTTLS protocols (SMTP, IMAP, POP3, FTP AUTH TLS,
// XMPP, LDAP, PostgreSQL SSLRequest, IRC, RDP) work: the plaintext before the
// record is skipped. A candidate that turns out not to parse is dropped and
// scanning resumes after it. Segments that arrive before the segment holding
// the record start are kept (at most MaxPending bytes) so that out-of-order
// delivery of the ClientHello's own segments still works.
//
// Bounds: at most MaxScan bytes are scanned without a candidate, a
// candidate buffers at most 4+MaxClientHelloLen+4096 bytes in at most 64
// disjoint pieces, and at most 32 candidates may fail. After that, or once a
// ClientHello is found, the assembler is done and ignores further input.
//
// A StreamAssembler is not safe for concurrent use. The zero value is ready
// to use. Add never retains payload.
type StreamAssembler struct {
	// MaxScan is the number of payload bytes inspected while no candidate
	// record start is held before giving up; 0 means DefaultMaxScan.
	MaxScan int
	// MaxPending bounds the bytes kept from segments seen before the
	// ClientHello's first segment; 0 means DefaultMaxPending.
	MaxPending int

	state    uint8
	anchor   uint32 // sequence number of stream offset 0 of r
	r        reasm
	waitFor  int // contiguous length needed before parsing again
	scanned  int
	failures int
	pending  []pendingSeg
	pbuf     []byte
	scratch  []byte
	hello    ClientHello
	found    bool
	err      error
}

type pendingSeg struct {
	seq    uint32
	off, n int // data in pbuf[off:off+n]
}

// Reset makes a ready for a new stream, keeping its buffers and limits.
func (a *StreamAssembler) Reset() {
	a.state = stScanning
	a.anchor = 0
	a.r.reset(streamLimit)
	a.waitFor, a.scanned, a.failures = 0, 0, 0
	a.pending = a.pending[:0]
	a.pbuf = a.pbuf[:0]
	a.found, a.err = false, nil
}

// Done reports whether the assembler has finished: a ClientHello was found
// or it gave up (see Err).
func (a *StreamAssembler) Done() bool { return a.state == stDone }

// Err returns why a finished assembler gave up, or nil.
func (a *StreamAssembler) Err() error { return a.err }

// ClientHello returns the assembled ClientHello, or nil if none (yet). It is
// owned by the assembler and overwritten after Reset.
func (a *StreamAssembler) ClientHello() *ClientHello {
	if !a.found {
		return nil
	}
	return &a.hello
}

// Add feeds one TCP segment: seq is the sequence number of payload[0]. It
// returns the ClientHello on the call that completes it (and nil
// afterwards), and a non-nil error only on the call where the assembler
// gives up. payload is not retained.
func (a *StreamAssembler) Add(seq uint32, payload []byte) (*ClientHello, error) {
	if a.state == stDone || len(payload) == 0 {
		return nil, nil
	}
	if a.r.limit == 0 {
		a.r.limit = streamLimit
	}
	if a.state == stScanning {
		a.scanned += len(payload)
		p := findHelloStart(payload)
		if p < 0 {
			if a.scanned > a.maxScan() {
				return nil, a.finish(ErrNoClientHello)
			}
			a.pool(seq, payload)
			return nil, nil
		}
		a.state = stAnchored
		a.anchor = seq + uint32(p)
		a.r.reset(streamLimit)
		a.waitFor = 0
		if err := a.place(seq, payload); err != nil {
			return nil, a.finish(err)
		}
		for _, ps := range a.pending {
			if err := a.place(ps.seq, a.pbuf[ps.off:ps.off+ps.n]); err != nil {
				return nil, a.finish(err)
			}
		}
		a.pending, a.pbuf = a.pending[:0], a.pbuf[:0]
		return a.tryParse()
	}
	if err := a.place(seq, payload); err != nil {
		return nil, a.finish(err)
	}
	return a.tryParse()
}

func (a *StreamAssembler) maxScan() int {
	if a.MaxScan > 0 {
		return a.MaxScan
	}
	return DefaultMaxScan
}

func (a *StreamAssembler) maxPending() int {
	if a.MaxPending > 0 {
		return a.MaxPending
	}
	return DefaultMaxPending
}

func (a *StreamAssembler) finish(err error) error {
	a.state = stDone
	a.err = err
	// Release buffers: a finished assembler may live as long as its flow.
	a.r.buf, a.r.ivs = nil, nil
	a.pending, a.pbuf, a.scratch = nil, nil, nil
	return err
}

// place writes a segment into the candidate buffer, relative to anchor.
func (a *StreamAssembler) place(seq uint32, data []byte) error {
	off := int64(int32(seq - a.anchor))
	if off < 0 {
		if -off >= int64(len(data)) {
			return nil
		}
		data = data[-off:]
		off = 0
	}
	if off >= int64(a.r.limit) {
		return nil
	}
	return a.r.write(int(off), data)
}

// pool keeps a copy of a segment seen while scanning, evicting the oldest
// ones beyond MaxPending bytes.
func (a *StreamAssembler) pool(seq uint32, data []byte) {
	limit := a.maxPending()
	if len(data) > limit {
		data = data[:limit]
	}
	if len(a.pbuf)+len(data) > limit {
		// Evict the oldest segments, then compact.
		drop, k := 0, 0
		for k < len(a.pending) && len(a.pbuf)-drop+len(data) > limit {
			drop = a.pending[k].off + a.pending[k].n
			k++
		}
		copy(a.pbuf, a.pbuf[drop:])
		a.pbuf = a.pbuf[:len(a.pbuf)-drop]
		n := copy(a.pending, a.pending[k:])
		a.pending = a.pending[:n]
		for i := range a.pending {
			a.pending[i].off -= drop
		}
	}
	a.pending = append(a.pending, pendingSeg{seq: seq, off: len(a.pbuf), n: len(data)})
	a.pbuf = append(a.pbuf, data...)
}

func (a *StreamAssembler) tryParse() (*ClientHello, error) {
	for {
		contig := a.r.contiguous()
		if contig == 0 || contig < a.waitFor {
			return nil, nil
		}
		need, err := parseRecords(&a.hello, a.r.buf[:contig], &a.scratch)
		if err == nil && need == 0 {
			a.found = true
			a.finish(nil)
			return &a.hello, nil
		}
		if err == nil {
			if contig+need > a.r.limit {
				err = errTooLarge
			} else {
				a.waitFor = contig + need
				return nil, nil
			}
		}
		// This candidate is not a ClientHello: try the next one.
		a.failures++
		if a.failures > maxFailures {
			return nil, a.finish(ErrNoClientHello)
		}
		if p := findHelloStart(a.r.buf[1:contig]); p >= 0 {
			a.r.shift(p + 1)
			a.anchor += uint32(p + 1)
			a.waitFor = 0
			continue
		}
		// No candidate left in the contiguous data: resume scanning. Pieces
		// beyond the contiguous prefix go back to the pending pool.
		a.scanned += contig
		if a.scanned > a.maxScan() {
			return nil, a.finish(ErrNoClientHello)
		}
		a.state = stScanning
		if len(a.r.ivs) > 1 {
			for _, iv := range a.r.ivs[1:] {
				a.pool(a.anchor+uint32(iv.lo), a.r.buf[iv.lo:iv.hi])
			}
		}
		a.r.reset(streamLimit)
		return nil, nil
	}
}

// findHelloStart returns the offset of the first position in b where a
// ClientHello record could start (a full match of helloPrefixOK, or a
// partial match running to the end of b), or -1.
func findHelloStart(b []byte) int {
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], contentHandshake)
		if j < 0 {
			return -1
		}
		i += j
		if helloPrefixOK(b[i:min(len(b), i+11)]) {
			return i
		}
		i++
	}
	return -1
}
