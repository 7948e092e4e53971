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
	stActive = iota
	stDone
)

// StreamAssembler finds and reassembles the ClientHello in one direction of
// one TCP connection (client to server). Feed it every payload-carrying
// segment with Add, in any order; duplicates and overlaps are fine.
//
// The ClientHello need not be at the start of the stream. Segments are
// placed by sequence number into a bounded window, which is searched for a
// candidate: a position where a TLS record carrying a ClientHello could
// start (22, 3, 0-4, length, 1, length, 3, 0-4; see LooksLikeClientHello),
// whether at a segment start, inside a segment or split across segments.
// So STARTTLS protocols work (SMTP, IMAP, POP3, FTP AUTH TLS, XMPP, LDAP,
// PostgreSQL SSLRequest, IRC, RDP, HTTP CONNECT): the plaintext before the
// record is skipped. The earliest candidate is tried first; one that turns
// out not to parse is dropped and the search resumes after it. Data before
// the first candidate is kept (up to MaxPending bytes) until a candidate
// proves itself, so segments of the ClientHello may arrive before the
// segment that holds its first byte.
//
// Bounds: at most MaxPending bytes before a candidate plus
// 4+MaxClientHelloLen+4096 bytes from it are buffered, in at most 128
// disjoint pieces; at most 32 candidates may fail; and the assembler gives
// up after discarding MaxScan bytes of non-TLS data. After giving up, or
// once a ClientHello is found, it is done, releases its buffers and
// ignores further input.
//
// A StreamAssembler is not safe for concurrent use. The zero value is ready
// to use. Add never retains payload.
type StreamAssembler struct {
	// MaxScan is the number of bytes discarded as non-TLS before giving up;
	// 0 means DefaultMaxScan.
	MaxScan int
	// MaxPending bounds the bytes kept before the first candidate record
	// start; 0 means DefaultMaxPending.
	MaxPending int

	state    uint8
	started  bool
	floor    bool   // data before base was discarded: no backward rebase
	base     uint32 // sequence number of window offset 0
	r        reasm
	cand     int // offset of the current candidate, -1 none
	failPos  int // candidates before this offset have failed
	waitFor  int // bytes needed from cand before parsing again
	scanned  int // bytes discarded without a ClientHello
	failures int
	scratch  []byte
	hello    ClientHello
	found    bool
	err      error
}

// Reset makes a ready for a new stream, keeping its limits.
func (a *StreamAssembler) Reset() {
	*a = StreamAssembler{MaxScan: a.MaxScan, MaxPending: a.MaxPending, r: a.r, scratch: a.scratch, hello: a.hello}
	a.r.reset(0)
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

func (a *StreamAssembler) window() int { return a.maxPending() + streamLimit }

// Add feeds one TCP segment: seq is the sequence number of payload[0]. It
// returns the ClientHello on the call that completes it (and nil
// afterwards), and a non-nil error only on the call where the assembler
// gives up. payload is not retained.
func (a *StreamAssembler) Add(seq uint32, payload []byte) (*ClientHello, error) {
	if a.state == stDone || len(payload) == 0 {
		return nil, nil
	}
	w := a.window()
	if !a.started {
		a.started = true
		a.base = seq
		a.cand = -1
		a.r.reset(w)
	}
	if len(payload) > w {
		payload = payload[:w]
	}
	off := int(int32(seq - a.base))
	if off < 0 {
		d := -off
		if !a.floor && len(a.r.buf)+d <= w {
			// Earlier data than anything seen so far: move the window back.
			a.r.shiftRight(d)
			a.base = seq
			if a.cand >= 0 {
				a.cand += d
			}
			// The new bytes are untried; failPos is a single threshold, so
			// earlier failures may be retried (bounded by maxFailures).
			a.failPos = 0
		} else {
			if d >= len(payload) {
				return nil, nil // old data, already discarded
			}
			payload = payload[d:]
		}
		off = 0
	}
	if end := off + len(payload); end > w {
		// Slide the window forward: drop the oldest data.
		n := end - w
		a.discard(n)
		off -= n
		if off < 0 {
			payload = payload[-off:]
			off = 0
		}
	}
	if err := a.r.write(off, payload); err != nil {
		return nil, a.finish(err)
	}
	// Only positions whose 11-byte prefix overlaps the new data can have
	// become candidates; a new one matters if it is earlier.
	if a.cand < 0 || off < a.cand {
		to := off + len(payload)
		if a.cand >= 0 {
			to = min(to, a.cand)
		}
		if p := a.search(max(a.failPos, off-10), to); p >= 0 {
			a.cand, a.waitFor = p, 0
		}
	}
	if h, err := a.tryParse(); h != nil || err != nil {
		return h, err
	}
	// Keep at most MaxPending bytes before the candidate; discard down to
	// half of that so that the copying stays linear in the input.
	pre := len(a.r.buf)
	if a.cand >= 0 {
		pre = a.cand
	}
	if pre > a.maxPending() {
		a.discard(pre - a.maxPending()/2)
	}
	if a.scanned > a.maxScan() {
		return nil, a.finish(ErrNoClientHello)
	}
	return nil, nil
}

// discard drops the first n bytes of the window.
func (a *StreamAssembler) discard(n int) {
	a.r.shift(n)
	a.base += uint32(n)
	a.floor = true
	a.scanned += n
	a.failPos = max(0, a.failPos-n)
	if a.cand >= 0 {
		a.cand -= n
		if a.cand < 0 {
			a.cand, a.waitFor = a.search(a.failPos, len(a.r.buf)), 0
		}
	}
}

func (a *StreamAssembler) finish(err error) error {
	a.state = stDone
	a.err = err
	// Release buffers: a finished assembler may live as long as its flow.
	a.r.buf, a.r.ivs, a.scratch = nil, nil, nil
	return err
}

func (a *StreamAssembler) tryParse() (*ClientHello, error) {
	for a.cand >= 0 {
		end := a.r.runEnd(a.cand)
		n := end - a.cand
		if n == 0 || n < a.waitFor {
			return nil, nil
		}
		need, err := parseRecords(&a.hello, a.r.buf[a.cand:end], &a.scratch)
		if err == nil && need == 0 {
			a.found = true
			a.finish(nil)
			return &a.hello, nil
		}
		if err == nil {
			if n+need <= streamLimit {
				a.waitFor = n + need
				return nil, nil
			}
			err = errTooLarge
		}
		// This candidate is not a ClientHello: try the next one.
		a.failures++
		if a.failures > maxFailures {
			return nil, a.finish(ErrNoClientHello)
		}
		a.failPos = a.cand + 1
		a.cand, a.waitFor = a.search(a.failPos, len(a.r.buf)), 0
	}
	return nil, nil
}

// search returns the first covered position p in [from, to) where a
// ClientHello record could start, judged on the covered bytes from p (a
// partial match running to the end of the covered run counts), or -1.
func (a *StreamAssembler) search(from, to int) int {
	for _, iv := range a.r.ivs {
		if iv.hi <= from {
			continue
		}
		if iv.lo >= to {
			break
		}
		b := a.r.buf[:iv.hi]
		for p, e := max(iv.lo, from), min(iv.hi, to); p < e; p++ {
			j := bytes.IndexByte(b[p:e], contentHandshake)
			if j < 0 {
				break
			}
			p += j
			if helloPrefixOK(b[p:min(p+11, iv.hi)]) {
				return p
			}
		}
	}
	return -1
}
