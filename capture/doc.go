// Package capture reads captured frames from pcap and pcapng files and
// filters them with tcpdump-syntax BPF expressions.
//
// # Usage
//
// Open one input with Open, or several (files, directories, "-" for
// standard input) merged in timestamp order with OpenAll, then call Next
// until io.EOF:
//
//	src, err := capture.OpenAll(paths, func(err error) { log.Print("warning: ", err) })
//	if err != nil {
//		return err // one line naming the input and the problem
//	}
//	defer src.Close()
//	filter, err := capture.NewFilter(expr) // optional; a nil *Filter matches all
//	if err != nil {
//		return err
//	}
//	for {
//		f, err := src.Next()
//		if err == io.EOF {
//			break
//		}
//		var rerr *capture.ReadError
//		if errors.As(err, &rerr) {
//			// The input is damaged (cut short, corrupt): the frames before
//			// it were good. Warn and go on: that input is finished, and a
//			// merged Source continues with its other inputs.
//			log.Print("warning: ", err)
//			continue // or return err, to stop at the first damaged input
//		}
//		if err != nil {
//			return err
//		}
//		if !filter.Match(f.LinkType, f.Data, f.WireLen) {
//			continue
//		}
//		decode(f.TS, f.LinkType, f.Data) // must not keep f.Data
//	}
//
// Each damaged input is reported once: after its *ReadError a single-file
// Source returns io.EOF, and a merged Source drops it.
//
// # Buffer ownership
//
// Next is zero-copy: Frame.Data points into the Source's read buffer and is
// valid only until the next call to Next or Close on that Source. A caller
// that keeps bytes past that (reassembly, a packet queue) must copy them.
// Data's capacity is clipped to its length, so appending to it copies
// rather than overwriting the buffer. Frame.Input is shared and never
// changes. With a merged Source the same rule holds for the merged Source:
// the frame returned last stays valid until the next call.
//
// Reading allocates nothing per frame. Each open input holds one read
// buffer (256 KiB for a single input, 64 KiB per input of a merge, growing
// only as far as the largest record, which is bounded; see MaxCaplen), plus
// the decompressor's state for gzip input.
//
// # Concurrency
//
// A Source is not safe for concurrent use: one goroutine calls Next. To
// spread work over cores, hand frames (copied) to workers, or give each
// worker its own Source. A Filter is safe for concurrent use: its compiled
// programs are cached per link type behind an atomic pointer, and Match
// neither allocates nor calls cgo once a link type is compiled (the first
// frame of a new link type compiles the expression with libpcap, under a
// lock).
//
// # Formats
//
// Inputs are detected by their first bytes, never by file name: classic
// pcap (microsecond and nanosecond magic, either byte order, versions 2.x
// with libpcap's caplen/len quirks, and the Kuznetzov variant), pcapng
// (several sections of either byte order, several interfaces with different
// link types, if_tsresol in powers of 10 or 2, if_tsoffset, Enhanced, Simple
// and obsolete Packet Blocks; other blocks are skipped), each optionally
// gzip-compressed (concatenated gzip members too). Frame.TS is in
// nanoseconds since the Unix epoch. Frame.LinkType is the LINKTYPE_* value
// of the file or of the frame's pcapng interface. A Simple Packet Block has
// no timestamp; its frame gets the previous frame's time.
//
// Damage is reported, never panicked on, and no length field can make a
// reader allocate more than about 1 MiB: a record whose captured length
// exceeds MaxCaplen (libpcap's own bound, 256 KiB), a pcapng block with a
// bad length, mismatched trailer, unknown interface or bad options, a cut
// in the middle of a record, and gzip errors are all a *ReadError giving
// the file, the number of the frame that could not be read and the byte
// offset of its record. Records longer than the file's snaplen are
// accepted, as libpcap does, as long as they stay within MaxCaplen.
//
// The readers are hand-written rather than gopacket's pcapgo: pcapgo v1.1.19
// has ZeroCopyReadPacketData for both formats, but it rejects records
// longer than the snaplen, allocates buffers sized by unchecked length
// fields, and can panic on malformed pcapng options.
//
// # Filters
//
// NewFilter compiles the expression with libpcap's compiler (through
// gopacket's pcap package, cgo) for Ethernet at once, so that a bad
// expression is reported up front with libpcap's message, and for other
// link types on first use. The compiled classic BPF program is checked and
// run by an interpreter in Go with the semantics of libpcap's pcap_filter:
// loads past the captured bytes reject the frame, and "len" is the wire
// length. Link types are mapped to the DLT values libpcap's compiler
// expects (LINKTYPE_RAW 101 is DLT_RAW 12 on Linux).
package capture
