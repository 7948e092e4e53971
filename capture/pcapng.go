package capture

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
)

// pcapng block types.
const (
	ngIDB = 0x00000001 // Interface Description Block
	ngPB  = 0x00000002 // Packet Block (obsolete)
	ngSPB = 0x00000003 // Simple Packet Block
	ngEPB = 0x00000006 // Enhanced Packet Block
	ngSHB = magicNG    // Section Header Block

	ngByteOrderMagic = 0x1a2b3c4d
)

// ngIface is what a packet needs from its Interface Description Block.
type ngIface struct {
	linkType  int
	snaplen   uint32
	units     uint64 // timestamp units per second (if_tsresol; default 10^6)
	nsPerUnit uint64 // 1e9/units when that is an integer, else 0
	offsetNs  int64  // if_tsoffset, in ns
}

// ns converts a raw 64-bit pcapng timestamp to ns since the epoch.
func (ifc *ngIface) ns(ts uint64) int64 {
	if ifc.nsPerUnit != 0 {
		return int64(ts*ifc.nsPerUnit) + ifc.offsetNs
	}
	sec, rem := ts/ifc.units, ts%ifc.units
	hi, lo := bits.Mul64(rem, 1e9)
	frac, _ := bits.Div64(hi, lo, ifc.units) // hi < units since rem < units
	return int64(sec)*1e9 + int64(frac) + ifc.offsetNs
}

// ngReader reads pcapng: several sections (each with its own byte order),
// several interfaces with different link types, if_tsresol and if_tsoffset,
// and Enhanced, Simple and (obsolete) Packet Blocks. Other blocks are
// skipped. Data points into the read buffer.
type ngReader struct {
	name   string
	w      *window
	closer io.Closer
	big    bool
	ifaces []ngIface
	num    uint64
	lastTS int64
	err    error
}

func (r *ngReader) u16(b []byte) uint16 {
	if r.big {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (r *ngReader) u32(b []byte) uint32 {
	if r.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func (r *ngReader) u64(b []byte) uint64 {
	if r.big {
		return binary.BigEndian.Uint64(b)
	}
	return binary.LittleEndian.Uint64(b)
}

func newNgReader(name string, w *window, closer io.Closer) (*ngReader, error) {
	r := &ngReader{name: name, w: w, closer: closer}
	if err := w.need(12); err != nil {
		if isEOF(err) {
			return nil, fmt.Errorf("capture: %s: truncated pcapng section header (%d bytes)", name, w.avail())
		}
		return nil, fmt.Errorf("capture: %s: reading pcapng section header: %v", name, err)
	}
	n, err := r.blockLen()
	if err == nil {
		if err = w.need(n); err != nil {
			if isEOF(err) {
				return nil, fmt.Errorf("capture: %s: truncated pcapng section header (%d of %d bytes)", name, w.avail(), n)
			}
			return nil, fmt.Errorf("capture: %s: reading pcapng section header: %v", name, err)
		}
		err = r.section(w.buf[w.lo : w.lo+n])
	}
	if err != nil {
		return nil, fmt.Errorf("capture: %s: bad pcapng section header: %v", name, err)
	}
	w.lo += n
	return r, nil
}

// blockLen reads the type and total length of the block at the read
// position (12 bytes must be buffered), switching byte order at a Section
// Header Block, and checks the length.
func (r *ngReader) blockLen() (int, error) {
	b := r.w.buf[r.w.lo:]
	typ := binary.LittleEndian.Uint32(b) // the SHB type is a palindrome
	if typ == ngSHB {
		switch {
		case binary.LittleEndian.Uint32(b[8:]) == ngByteOrderMagic:
			r.big = false
		case binary.BigEndian.Uint32(b[8:]) == ngByteOrderMagic:
			r.big = true
		default:
			return 0, fmt.Errorf("bad byte-order magic % x", b[8:12])
		}
	} else {
		typ = r.u32(b)
	}
	n := r.u32(b[4:])
	if n < 12 || n%4 != 0 {
		return 0, fmt.Errorf("bad block length %d (block type 0x%08x)", n, typ)
	}
	if n > maxParsedBlock && (typ == ngSHB || typ == ngIDB || typ == ngEPB || typ == ngPB || typ == ngSPB) {
		return 0, fmt.Errorf("block length %d exceeds the maximum of %d (block type 0x%08x)", n, maxParsedBlock, typ)
	}
	return int(n), nil
}

// section parses a whole Section Header Block.
func (r *ngReader) section(b []byte) error {
	if len(b) < 28 {
		return fmt.Errorf("section header block too short (%d bytes)", len(b))
	}
	if err := r.trailer(b); err != nil {
		return err
	}
	if major, minor := r.u16(b[12:]), r.u16(b[14:]); major != 1 {
		return fmt.Errorf("unsupported pcapng version %d.%d", major, minor)
	}
	r.ifaces = r.ifaces[:0]
	return nil
}

// trailer checks that a block's trailing length matches its leading one.
func (r *ngReader) trailer(b []byte) error {
	if t := r.u32(b[len(b)-4:]); t != uint32(len(b)) {
		return fmt.Errorf("block length mismatch (%d at start, %d at end)", len(b), t)
	}
	return nil
}

// iface parses a whole Interface Description Block.
func (r *ngReader) iface(b []byte) error {
	if len(b) < 20 {
		return fmt.Errorf("interface description block too short (%d bytes)", len(b))
	}
	ifc := ngIface{
		linkType: int(r.u16(b[8:])),
		snaplen:  r.u32(b[12:]),
	}
	resol, offset := byte(6), int64(0)
	opts := b[16 : len(b)-4]
	for len(opts) >= 4 {
		code, n := r.u16(opts), int(r.u16(opts[2:]))
		if code == 0 { // opt_endofopt
			break
		}
		padded := (n + 3) &^ 3
		if 4+padded > len(opts) {
			return fmt.Errorf("interface option %d: length %d overruns the block", code, n)
		}
		v := opts[4 : 4+n]
		switch code {
		case 9: // if_tsresol
			if n != 1 {
				return fmt.Errorf("if_tsresol option has length %d, want 1", n)
			}
			resol = v[0]
		case 14: // if_tsoffset
			if n != 8 {
				return fmt.Errorf("if_tsoffset option has length %d, want 8", n)
			}
			offset = int64(r.u64(v))
		}
		opts = opts[4+padded:]
	}
	if resol&0x80 != 0 {
		e := resol & 0x7f
		if e > 63 {
			return fmt.Errorf("unsupported if_tsresol 0x%02x", resol)
		}
		ifc.units = 1 << e
	} else {
		if resol > 19 {
			return fmt.Errorf("unsupported if_tsresol %d", resol)
		}
		ifc.units = 1
		for i := byte(0); i < resol; i++ {
			ifc.units *= 10
		}
	}
	if ifc.units <= 1e9 && 1e9%ifc.units == 0 {
		ifc.nsPerUnit = 1e9 / ifc.units
	}
	ifc.offsetNs = offset * 1e9
	r.ifaces = append(r.ifaces, ifc)
	return nil
}

func (r *ngReader) Next() (Frame, error) {
	if r.err != nil {
		return Frame{}, r.err // io.EOF after a *ReadError, or the closed error
	}
	w := r.w
	for {
		off := w.offset()
		if w.hi-w.lo < 12 {
			if err := w.fill(12); err != nil {
				if err == io.EOF && w.avail() == 0 {
					return Frame{}, io.EOF
				}
				return Frame{}, r.fail(off, err)
			}
		}
		n, err := r.blockLen()
		if err != nil {
			return Frame{}, r.fail(off, err)
		}
		typ := r.u32(w.buf[w.lo:])
		switch typ {
		case ngEPB, ngPB, ngSPB, ngIDB, ngSHB:
		default:
			// Skip a block we do not parse, then check its trailer.
			if err := w.skip(int64(n) - 4); err != nil {
				return Frame{}, r.fail(off, err)
			}
			if err := w.need(4); err != nil {
				return Frame{}, r.fail(off, err)
			}
			if t := r.u32(w.take(4)); t != uint32(n) {
				return Frame{}, r.fail(off, fmt.Errorf("block length mismatch (%d at start, %d at end)", n, t))
			}
			continue
		}
		if w.hi-w.lo < n {
			if err := w.fill(n); err != nil {
				return Frame{}, r.fail(off, err)
			}
		}
		b := w.buf[w.lo : w.lo+n]
		switch typ {
		case ngSHB:
			err = r.section(b)
		case ngIDB:
			err = r.iface(b)
		default:
			var f Frame
			if f, err = r.packet(typ, b); err == nil {
				w.lo += n
				return f, nil
			}
		}
		if err != nil {
			return Frame{}, r.fail(off, err)
		}
		w.lo += n
	}
}

// packet decodes a whole packet block.
func (r *ngReader) packet(typ uint32, b []byte) (f Frame, err error) {
	if err := r.trailer(b); err != nil {
		return f, err
	}
	var id, caplen, wirelen uint32
	var ts uint64
	hl := 28
	switch typ {
	case ngEPB, ngPB:
		if len(b) < 32 {
			return f, fmt.Errorf("packet block too short (%d bytes)", len(b))
		}
		if typ == ngEPB {
			id = r.u32(b[8:])
		} else {
			id = uint32(r.u16(b[8:]))
		}
		ts = uint64(r.u32(b[12:]))<<32 | uint64(r.u32(b[16:]))
		caplen, wirelen = r.u32(b[20:]), r.u32(b[24:])
		if caplen > MaxCaplen {
			return f, fmt.Errorf("captured length %d exceeds the maximum of %d", caplen, MaxCaplen)
		}
		if hl+int(caplen)+4 > len(b) {
			return f, fmt.Errorf("captured length %d overruns the %d-byte block", caplen, len(b))
		}
	default: // ngSPB
		if len(b) < 16 {
			return f, fmt.Errorf("simple packet block too short (%d bytes)", len(b))
		}
		hl = 12
		wirelen = r.u32(b[8:])
		caplen = uint32(len(b) - 16)
		if wirelen < caplen {
			caplen = wirelen
		}
	}
	if int(id) >= len(r.ifaces) {
		return f, fmt.Errorf("packet on interface %d, but the section defines %d", id, len(r.ifaces))
	}
	ifc := &r.ifaces[id]
	if typ == ngSPB {
		if ifc.snaplen != 0 && caplen > ifc.snaplen {
			caplen = ifc.snaplen
		}
		if caplen > MaxCaplen {
			return f, fmt.Errorf("captured length %d exceeds the maximum of %d", caplen, MaxCaplen)
		}
		// A Simple Packet Block has no timestamp: keep the previous one.
		f.TS = r.lastTS
	} else {
		f.TS = ifc.ns(ts)
	}
	end := hl + int(caplen)
	r.num++
	r.lastTS = f.TS
	f.LinkType = ifc.linkType
	f.Data = b[hl:end:end]
	f.WireLen = int(wirelen)
	f.Num = r.num
	f.Input = r.name
	return f, nil
}

// fail returns the *ReadError for the block at offset off; later calls to
// Next return io.EOF.
func (r *ngReader) fail(off int64, err error) error {
	r.err = io.EOF
	return readErr(r.name, r.num+1, off, err)
}

func (r *ngReader) Close() error {
	r.err = fmt.Errorf("capture: %s: %w", r.name, errClosed)
	c := r.closer
	r.closer = nil
	r.w.buf = nil
	return closeInput(c)
}
