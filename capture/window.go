package capture

import (
	"errors"
	"io"
)

// window is a read buffer that hands out slices of itself: the zero-copy core
// of the readers. Unread bytes are buf[lo:hi]; base is the stream offset of
// buf[0]. A slice returned by take stays valid until the next call to need,
// which may move the unread bytes to the front of buf or replace buf.
//
// window grows buf only as far as the largest single request (need(n)), and
// every caller bounds n before asking, so a length field in the input can
// never make it allocate more than maxWindow bytes.
type window struct {
	r    io.Reader
	buf  []byte
	lo   int
	hi   int
	base int64
	err  error // sticky error from r (io.EOF at end of input)
}

// maxWindow bounds the buffer: the largest record we accept (MaxCaplen plus
// block framing) or the largest pcapng header block we parse whole.
const maxWindow = maxParsedBlock + 64

func newWindow(r io.Reader, size int) *window {
	return &window{r: r, buf: make([]byte, size)}
}

// offset is the stream offset of the next unread byte.
func (w *window) offset() int64 { return w.base + int64(w.lo) }

// avail is the number of buffered unread bytes.
func (w *window) avail() int { return w.hi - w.lo }

// need makes at least n bytes readable. It returns nil on success; otherwise
// the reader's error (io.EOF when the input ended, whatever was buffered is
// still there: see avail).
func (w *window) need(n int) error {
	if w.hi-w.lo >= n {
		return nil
	}
	return w.fill(n)
}

func (w *window) fill(n int) error {
	if n > maxWindow {
		return errors.New("internal: window request too large")
	}
	if n > len(w.buf) {
		size := 2 * len(w.buf)
		if size < n {
			size = n
		}
		if size > maxWindow {
			size = maxWindow
		}
		nb := make([]byte, size)
		copy(nb, w.buf[w.lo:w.hi])
		w.base += int64(w.lo)
		w.hi -= w.lo
		w.lo = 0
		w.buf = nb
	} else if w.lo+n > len(w.buf) {
		copy(w.buf, w.buf[w.lo:w.hi])
		w.base += int64(w.lo)
		w.hi -= w.lo
		w.lo = 0
	}
	empty := 0
	for w.hi-w.lo < n {
		if w.err != nil {
			return w.err
		}
		m, err := w.r.Read(w.buf[w.hi:])
		if m < 0 || m > len(w.buf)-w.hi {
			w.err = errors.New("invalid Read count from underlying reader")
			return w.err
		}
		w.hi += m
		if err != nil {
			w.err = err
		} else if m == 0 {
			if empty++; empty > 100 {
				w.err = io.ErrNoProgress
			}
		}
	}
	return nil
}

// take consumes n bytes, which must be available (need(n) == nil), and
// returns them. The slice has its capacity clipped so that an append by the
// caller cannot overwrite the buffer.
func (w *window) take(n int) []byte {
	b := w.buf[w.lo : w.lo+n : w.lo+n]
	w.lo += n
	return b
}

// skip consumes n bytes without buffering them all. On a short input it
// returns the reader's error (io.EOF) after consuming what there was.
func (w *window) skip(n int64) error {
	for {
		a := int64(w.hi - w.lo)
		if n <= a {
			w.lo += int(n)
			return nil
		}
		n -= a
		w.lo = w.hi
		if w.err != nil {
			return w.err
		}
		// Read a fresh buffer's worth (or less).
		want := len(w.buf)
		if int64(want) > n {
			want = int(n)
		}
		if err := w.need(want); err != nil && w.avail() == 0 {
			return err
		}
	}
}

// Read lets a window feed another reader (the gzip decompressor). It serves
// buffered bytes first.
func (w *window) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if w.lo == w.hi {
		if w.err != nil {
			return 0, w.err
		}
		if err := w.need(1); err != nil && w.avail() == 0 {
			return 0, err
		}
	}
	n := copy(p, w.buf[w.lo:w.hi])
	w.lo += n
	return n, nil
}

// ReadByte makes window an io.ByteReader, so that compress/flate reads from it
// directly instead of wrapping it in another bufio.Reader.
func (w *window) ReadByte() (byte, error) {
	if w.lo == w.hi {
		if err := w.need(1); err != nil && w.avail() == 0 {
			return 0, err
		}
	}
	c := w.buf[w.lo]
	w.lo++
	return c, nil
}
