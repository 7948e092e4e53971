package capture

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
)

// Source yields captured frames. Not safe for concurrent use.
type Source interface {
	// Next returns the next frame. f.Data is owned by the Source and valid
	// only until the next call to Next or Close (zero-copy).
	// At end of input it returns io.EOF. A *ReadError means the input is
	// damaged: the frames returned so far are valid, and the caller decides
	// what to do (typically: warn and stop this input). The damaged input is
	// then finished: a single-file Source returns io.EOF from then on, and a
	// merged Source (OpenAll) goes on with its other inputs.
	Next() (f Frame, err error)
	// Close releases the input. For a Source from Open or OpenAll it closes
	// the files it opened (never stdin); for one from NewReader it leaves the
	// io.Reader alone.
	Close() error
}

// Frame is one captured frame.
type Frame struct {
	TS       int64  // ns since the Unix epoch (pcap µs and ns, pcapng with if_tsresol and if_tsoffset)
	LinkType int    // pcap LINKTYPE_* of this frame (pcapng: of its interface)
	Data     []byte // captured bytes, owned by the Source: valid until the next Next; copy to keep
	WireLen  int    // original length on the wire, as recorded in the file
	Num      uint64 // 1-based frame number within its file
	Input    string // file name the frame came from ("-" for stdin)
}

// MaxCaplen is the largest captured length of one frame that the readers
// accept: libpcap's MAXIMUM_SNAPLEN (256 KiB), the bound libpcap itself (and
// so Zeek) applies when reading savefiles. A record whose captured length
// exceeds the file's snaplen is accepted as long as it stays within MaxCaplen.
const MaxCaplen = 262144

// maxParsedBlock bounds the pcapng blocks that are read whole (section and
// interface headers, and packet blocks with their options). Larger blocks of
// other types are skipped without being buffered.
const maxParsedBlock = 1 << 20

// Default and merge-time buffer sizes. A single input reads in large chunks;
// each input of a merge gets a smaller buffer since all are open at once.
const (
	bufSize      = 256 << 10
	mergeBufSize = 64 << 10
)

// Errors that Open wraps, for errors.Is.
var (
	ErrNotCapture = errors.New("not a pcap or pcapng file")
	ErrEmpty      = errors.New("empty file")
	errClosed     = errors.New("source is closed")
)

// ReadError reports a damaged input: a record cut short, an absurd length
// field, a bad pcapng block, or a decompression error. Packet is the number
// of the frame that could not be read (frames before it were returned), and
// Offset is the byte offset of the damaged record (in the decompressed
// stream for gzip input).
type ReadError struct {
	File   string
	Packet uint64
	Offset int64
	Err    error
}

func (e *ReadError) Error() string {
	return fmt.Sprintf("capture: %s: packet %d (offset %d): %v", e.File, e.Packet, e.Offset, e.Err)
}

func (e *ReadError) Unwrap() error { return e.Err }

// errTruncated is the ReadError.Err of a record cut short by end of input.
var errTruncated = fmt.Errorf("truncated record: %w", io.ErrUnexpectedEOF)

// Open opens one input: a pcap or pcapng file, either optionally
// gzip-compressed (detected by magic number, not by extension), or "-" for
// standard input. Errors name the file and say in one line what is wrong.
func Open(path string) (Source, error) {
	return open(path, bufSize)
}

func open(path string, size int) (Source, error) {
	if path == "-" {
		return newReader("-", os.Stdin, nil, size)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("capture: %s: is a directory (use OpenAll)", path)
	}
	s, err := newReader(path, f, f, size)
	if err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

// NewReader reads a capture (pcap or pcapng, optionally gzip-compressed) from
// r. name is used in errors and as Frame.Input. The returned Source does not
// close r.
func NewReader(name string, r io.Reader) (Source, error) {
	return newReader(name, r, nil, bufSize)
}

// Magic numbers, as read little-endian from the first four bytes.
const (
	magicMicro     = 0xa1b2c3d4
	magicNano      = 0xa1b23c4d
	magicKuznetzov = 0xa1b2cd34 // "modified" pcap: 24-byte record headers
	magicNG        = 0x0a0d0d0a // pcapng Section Header Block type
)

func newReader(name string, r io.Reader, closer io.Closer, size int) (Source, error) {
	w := newWindow(r, size)
	compressed := ""
	if err := w.need(4); err != nil && !isEOF(err) {
		return nil, fmt.Errorf("capture: %s: %w", name, err)
	}
	if w.avail() >= 2 && w.buf[w.lo] == 0x1f && w.buf[w.lo+1] == 0x8b {
		// Re-buffer: the file window now holds compressed bytes; frames come
		// from a second window over the decompressor.
		raw := w
		zr, err := gzip.NewReader(raw)
		if err != nil {
			return nil, fmt.Errorf("capture: %s: bad gzip header: %v", name, err)
		}
		w = newWindow(zr, size)
		compressed = " (after gzip decompression)"
		if err := w.need(4); err != nil && !isEOF(err) {
			return nil, fmt.Errorf("capture: %s: gzip: %v", name, err)
		}
	}
	n := w.avail()
	if n == 0 {
		return nil, fmt.Errorf("capture: %s: %w%s", name, ErrEmpty, compressed)
	}
	if n < 4 {
		return nil, fmt.Errorf("capture: %s: %w%s (only %d bytes)", name, ErrNotCapture, compressed, n)
	}
	b := w.buf[w.lo : w.lo+4]
	le := uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
	be := uint32(b[3]) | uint32(b[2])<<8 | uint32(b[1])<<16 | uint32(b[0])<<24
	switch {
	case le == magicNG:
		return newNgReader(name, w, closer)
	case le == magicMicro, le == magicNano, le == magicKuznetzov,
		be == magicMicro, be == magicNano, be == magicKuznetzov:
		return newPcapReader(name, w, closer)
	}
	if kind := compressionKind(b); kind != "" {
		return nil, fmt.Errorf("capture: %s: %s-compressed input is not supported (decompress it first)", name, kind)
	}
	return nil, fmt.Errorf("capture: %s: %w%s (starts with % x)", name, ErrNotCapture, compressed, b)
}

func compressionKind(b []byte) string {
	switch {
	case b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd:
		return "zstd"
	case b[0] == 0xfd && b[1] == '7' && b[2] == 'z' && b[3] == 'X':
		return "xz"
	case b[0] == 'B' && b[1] == 'Z' && b[2] == 'h':
		return "bzip2"
	case b[0] == 0x04 && b[1] == 0x22 && b[2] == 0x4d && b[3] == 0x18:
		return "lz4"
	}
	return ""
}

func isEOF(err error) bool {
	return err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF)
}

// readErr builds the ReadError for the record at offset off. A clean io.EOF
// or an io.ErrUnexpectedEOF from the decompressor both mean the input was cut
// short inside a record.
func readErr(name string, packet uint64, off int64, err error) *ReadError {
	if isEOF(err) {
		err = errTruncated
	}
	return &ReadError{File: name, Packet: packet, Offset: off, Err: err}
}

// closeInput closes c if non-nil.
func closeInput(c io.Closer) error {
	if c == nil {
		return nil
	}
	return c.Close()
}
