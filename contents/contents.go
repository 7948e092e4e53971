package contents

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
)

// Direction chooses the sides of a connection to extract.
type Direction uint8

// Directions (Zeek's CONTENTS_ORIG, CONTENTS_RESP, CONTENTS_BOTH).
const (
	Orig Direction = 1 << iota // data sent by the originator
	Resp                       // data sent by the responder
	Both = Orig | Resp
)

// DefaultBuffer is the per-direction write buffer when Extractor.Buffer is 0.
const DefaultBuffer = 16 << 10

// ErrUnsupported is returned for connections that are neither TCP nor UDP.
var ErrUnsupported = errors.New("contents: only TCP and UDP connections can be extracted")

// Selector chooses the connections to extract.
type Selector interface {
	Select(c *flow.Conn) bool
}

// SelectFunc adapts a function to Selector.
type SelectFunc func(c *flow.Conn) bool

// Select calls f(c).
func (f SelectFunc) Select(c *flow.Conn) bool { return f(c) }

// Extractor attaches extraction to connections. Its fields must not change
// once it is in use; one Extractor serves one Table (it is not safe for
// concurrent use, as the Table is not).
type Extractor struct {
	// Dir is the directory the files are written in; it is created if
	// missing. Empty means the current directory.
	Dir string
	// Which sides to extract; 0 means Both.
	Which Direction
	// Select chooses connections in Events; nil chooses every TCP and UDP
	// connection.
	Select Selector
	// Buffer is the per-direction write buffer in bytes: 0 means
	// DefaultBuffer, negative writes every segment straight to its file.
	Buffer int
	// OnError, if set, hears about write and close errors (Zeek's
	// contents_file_write_failure). A direction stops being written after
	// its first error. Without OnError the first error is kept for Err.
	OnError func(c *flow.Conn, err error)

	err error
}

// Err returns the first write or close error not handed to OnError.
func (x *Extractor) Err() error { return x.err }

// Extract writes the data of c's sides chosen by which to files in dir,
// from the next packet on (see Extractor.Extract).
func Extract(t *flow.Table, c *flow.Conn, dir string, which Direction) error {
	x := &Extractor{Dir: dir, Which: which}
	return x.Extract(t, c)
}

// Events attaches extraction to every connection opened in evs (the events
// of the Table call just made) that x.Select chooses, skipping connections
// that are neither TCP nor UDP. It returns the first error, after trying
// every connection.
func (x *Extractor) Events(t *flow.Table, evs []flow.Event) error {
	var first error
	for _, ev := range evs {
		if ev.Kind != flow.EventOpened {
			continue
		}
		c := ev.Conn
		if c.Trans != flow.TransportTCP && c.Trans != flow.TransportUDP {
			continue
		}
		if x.Select != nil && !x.Select.Select(c) {
			continue
		}
		if err := x.Extract(t, c); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Extract creates (or truncates) the files of c's sides chosen by x.Which
// and writes to them what each side sends from the next packet on, until
// the connection is removed. Calling it again for a connection already
// extracted adds the sides not yet extracted. It fails for connections that
// are neither TCP nor UDP, already removed, or whose files cannot be
// created.
func (x *Extractor) Extract(t *flow.Table, c *flow.Conn) error {
	if c.Trans != flow.TransportTCP && c.Trans != flow.TransportUDP {
		return ErrUnsupported
	}
	if c.Removed() {
		return errors.New("contents: connection already removed")
	}
	which := x.Which
	if which == 0 {
		which = Both
	}
	if x.Dir != "" {
		if err := os.MkdirAll(x.Dir, 0o755); err != nil {
			return fmt.Errorf("contents: %w", err)
		}
	}
	e := c.Ext()
	st, _ := e.Value(stateKey{}).(*state)
	fresh := st == nil
	if fresh {
		st = &state{x: x, tcp: c.Trans == flow.TransportTCP, origH: c.OrigH, origP: c.OrigP}
		st.s[0] = stream{host: c.OrigH, port: c.OrigP, role: Orig}
		st.s[1] = stream{host: c.RespH, port: c.RespP, role: Resp}
	}
	var err error
	for i := range st.s {
		s := &st.s[i]
		if which&s.role == 0 || s.f != nil {
			continue
		}
		name := filepath.Join(x.Dir, FileName(c, s.role))
		f, ferr := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
		if ferr != nil {
			err = fmt.Errorf("contents: %w", ferr)
			continue
		}
		s.f, s.name, s.dir = f, name, x.Dir
	}
	if fresh && (st.s[0].f != nil || st.s[1].f != nil) {
		e.SetValue(stateKey{}, st)
		c.AddWatcher(st)
		c.RegisterHook(hookName, st)
	}
	return err
}

// hookName is the removal hook that closes the files.
const hookName = "flowlog/contents"

// FileName returns the base name of the file of c's side d (Orig or Resp)
// as Zeek's generate_extraction_filename makes it:
// contents_<orig_h>:<orig_p>-<resp_h>:<resp_p>_orig.dat, IPv6 addresses in
// brackets.
func FileName(c *flow.Conn, d Direction) string {
	suffix := "orig"
	if d == Resp {
		suffix = "resp"
	}
	name := "contents_" + uri(c.OrigH) + fmt.Sprintf(":%d-", c.OrigP) + uri(c.RespH) + fmt.Sprintf(":%d_", c.RespP) + suffix + ".dat"
	if runtime.GOOS == "windows" {
		// As Zeek does: colons are invalid in Windows file names.
		name = strings.ReplaceAll(name, ":", "-")
	}
	return name
}

// uri is Zeek's addr_to_uri.
func uri(a decode.Addr) string {
	if a.Is4() {
		return a.String()
	}
	return "[" + a.String() + "]"
}

type stateKey struct{}

// state is one connection's extraction: its watcher and removal hook.
type state struct {
	x           *Extractor
	tcp         bool
	origH       decode.Addr // roles as last seen, to notice a flip
	origP       uint16
	s           [2]stream
	buf         int // resolved buffer size
	bufferSetUp bool
}

// stream is what one side sent. It belongs to a host and port, not to a
// role: a flip renames its file but keeps its data.
type stream struct {
	host decode.Addr
	port uint16
	role Direction
	f    *os.File // nil: this side is not extracted
	dir  string
	name string
	err  error

	// TCP: the stream offset of sequence number ref is refOff.
	based  bool
	wrote  bool
	ref    uint32
	refOff int64
	// UDP: bytes appended so far.
	size int64

	buf    []byte // contiguous data at bufOff not yet written
	bufOff int64
}

// OnPacket writes the packet's payload (flow.Watcher).
func (st *state) OnPacket(t *flow.Table, c *flow.Conn, isOrig bool, l *decode.Layer) {
	if l.SkipPacket || l.BadChecksum {
		return // not analyzed by the table (nor by Zeek)
	}
	if c.OrigH != st.origH || c.OrigP != st.origP {
		st.flipped(c)
	}
	// The sender, by address and port (the isOrig a watcher gets may
	// predate a flip this packet made). A connection from a host and port
	// to itself has one endpoint: use isOrig then.
	m0 := st.s[0].host == l.Key.Src && st.s[0].port == l.Key.SrcPort
	m1 := st.s[1].host == l.Key.Src && st.s[1].port == l.Key.SrcPort
	var i int
	switch {
	case m0 && m1:
		if isOrig != (st.s[0].role == Orig) {
			i = 1
		}
	case m0:
	case m1:
		i = 1
	default:
		return
	}
	snd, peer := &st.s[i], &st.s[1-i]
	if !st.tcp {
		if len(l.Payload) > 0 {
			st.write(c, snd, snd.size, l.Payload)
			snd.size += int64(len(l.Payload))
		}
		return
	}
	f := l.Flags
	seq := l.Seq
	if f&decode.TCPSyn != 0 {
		seq++
		if !snd.wrote {
			snd.setBase(seq)
		}
		if f&decode.TCPAck != 0 && !peer.wrote {
			peer.setBase(l.Ack) // the SYN-ACK acknowledges the peer's SYN
		}
	}
	if f&decode.TCPRst != 0 || len(l.Payload) == 0 {
		return
	}
	if !snd.based {
		snd.setBase(seq) // no SYN seen: the first byte seen is offset 0
	}
	off := snd.refOff + int64(int32(seq-snd.ref))
	if off > snd.refOff+maxAhead {
		return // a bogus sequence number: not worth a huge sparse file
	}
	data := l.Payload
	if off < 0 {
		if -off >= int64(len(data)) {
			return
		}
		data = data[-off:]
		seq += uint32(-off)
		off = 0
	}
	if end := off + int64(len(data)); end > snd.refOff {
		snd.ref, snd.refOff = seq+uint32(len(data)), end
	}
	snd.wrote = true
	st.write(c, snd, off, data)
}

// maxAhead is how far past the furthest byte so far a TCP segment may
// land; one further away is dropped.
const maxAhead = 256 << 20

func (s *stream) setBase(seq uint32) {
	s.based, s.ref, s.refOff = true, seq, 0
}

// write puts data at offset off of s's file, through the buffer.
func (st *state) write(c *flow.Conn, s *stream, off int64, data []byte) {
	if s.f == nil || s.err != nil {
		return
	}
	if !st.bufferSetUp {
		st.bufferSetUp = true
		st.buf = st.x.Buffer
		if st.buf == 0 {
			st.buf = DefaultBuffer
		}
	}
	end := s.bufOff + int64(len(s.buf))
	switch {
	case len(s.buf) > 0 && off == end && len(s.buf)+len(data) <= st.buf:
		s.buf = append(s.buf, data...)
		return
	case len(s.buf) > 0 && off >= s.bufOff && off+int64(len(data)) <= end:
		copy(s.buf[off-s.bufOff:], data) // a retransmission of buffered data
		return
	}
	if !st.flush(c, s) {
		return
	}
	if len(data) >= st.buf {
		if _, err := s.f.WriteAt(data, off); err != nil {
			st.fail(c, s, err)
		}
		return
	}
	if s.buf == nil {
		s.buf = make([]byte, 0, st.buf)
	}
	s.buf = append(s.buf[:0], data...)
	s.bufOff = off
}

// flush writes s's buffer out; it reports false after an error.
func (st *state) flush(c *flow.Conn, s *stream) bool {
	if len(s.buf) == 0 {
		return s.err == nil
	}
	_, err := s.f.WriteAt(s.buf, s.bufOff)
	s.buf = s.buf[:0]
	if err != nil {
		st.fail(c, s, err)
		return false
	}
	return true
}

func (st *state) fail(c *flow.Conn, s *stream, err error) {
	s.err = fmt.Errorf("contents: %s: %w", s.name, err)
	s.buf = nil
	if st.x.OnError != nil {
		st.x.OnError(c, s.err)
	} else if st.x.err == nil {
		st.x.err = s.err
	}
}

// flipped follows a role flip: each side keeps its data and its file is
// renamed to its new role's name.
func (st *state) flipped(c *flow.Conn) {
	st.origH, st.origP = c.OrigH, c.OrigP
	for i := range st.s {
		s := &st.s[i]
		if s.host == c.OrigH && s.port == c.OrigP {
			s.role = Orig
		} else {
			s.role = Resp
		}
	}
	for i := range st.s {
		s := &st.s[i]
		if s.f == nil || s.err != nil {
			continue
		}
		name := filepath.Join(s.dir, FileName(c, s.role))
		if err := os.Rename(s.name, name); err != nil {
			st.fail(c, s, err)
			continue
		}
		s.name = name
	}
}

// OnRemove flushes and closes the files (flow.RemovalHook).
func (st *state) OnRemove(c *flow.Conn) {
	for i := range st.s {
		s := &st.s[i]
		if s.f == nil {
			continue
		}
		if s.err == nil {
			st.flush(c, s)
		}
		if err := s.f.Close(); err != nil && s.err == nil {
			st.fail(c, s, err)
		}
		s.f, s.buf = nil, nil
	}
}
