//go:build linux

package capture

// Live capture from a network interface with AF_PACKET (TPACKET_V3 rings,
// gopacket's afpacket), optionally spread over several sockets of one
// fanout group. See OpenLive.

import (
	"errors"
	"fmt"
	"net"
	"os"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/google/gopacket/afpacket"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// FanoutMode says how the sockets of a multi-socket live capture share the
// interface's packets. Both modes send both directions of a connection to
// the same socket.
type FanoutMode int

const (
	// FanoutHash is the kernel's PACKET_FANOUT_HASH with
	// PACKET_FANOUT_FLAG_DEFRAG. The kernel hashes with
	// __skb_get_hash_symmetric (flow_keys_dissector_symmetric: addresses and
	// ports are put in a canonical order before hashing), so A->B and B->A
	// land on the same socket; TestPrivilegedFanoutSymmetric checks it on the
	// running kernel. The defrag flag makes the kernel reassemble IPv4
	// fragments before hashing (fragments carry no ports, so they would
	// otherwise hash apart from the rest of their flow); the socket then
	// receives the reassembled datagram, which flowlog counts as Zeek counts
	// a reassembled datagram (one packet, full IP length). Limits: IPv6
	// fragments are hashed on their addresses only and can land on another
	// socket than the unfragmented packets of their flow; for UDP tunnels
	// (VXLAN, Geneve) the outer source port differs per direction, so the
	// two directions of an inner connection can land on different sockets.
	// Use FanoutAddr where that matters.
	FanoutHash FanoutMode = iota
	// FanoutAddr installs a classic BPF fanout program (PACKET_FANOUT_CBPF)
	// that hashes only the outermost IP address pair, symmetrically (the sum
	// of the address words, mixed). Every fragment and every tunnelled inner
	// connection then stays with its outer address pair, exactly as in a
	// single-threaded replay, at the price of balance: one busy host pair
	// goes to one worker. Frames that are not IPv4/IPv6 (after at most one
	// VLAN tag left in the frame) go to the first socket.
	FanoutAddr
)

func (m FanoutMode) String() string {
	switch m {
	case FanoutHash:
		return "hash"
	case FanoutAddr:
		return "addr"
	}
	return fmt.Sprintf("FanoutMode(%d)", int(m))
}

// ParseFanoutMode parses "hash" or "addr".
func ParseFanoutMode(s string) (FanoutMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "hash":
		return FanoutHash, nil
	case "addr":
		return FanoutAddr, nil
	}
	return 0, fmt.Errorf("fanout mode %q: want hash or addr", s)
}

// LiveOptions configure OpenLive. Zero values take the defaults below.
type LiveOptions struct {
	// Interface is the network interface to capture on (required).
	Interface string
	// Filter is a tcpdump-syntax expression. It is compiled by libpcap for
	// the interface's link type and attached to every socket in the kernel
	// (SO_ATTACH_FILTER), so rejected frames never reach the ring.
	Filter string
	// Sockets is the number of sockets in the fanout group (default 1, no
	// fanout). Each socket has its own ring.
	Sockets int
	// Fanout selects the fanout mode (default FanoutHash).
	Fanout FanoutMode
	// FanoutID is the fanout group id. Default: derived from the process id,
	// so that two flowlog processes never join each other's group.
	FanoutID uint16
	// BlockSize is the TPACKET_V3 block size in bytes (default 1 MiB; a
	// multiple of the page size and of FrameSize). A frame longer than a
	// block is cut to the block.
	BlockSize int
	// NumBlocks is the number of blocks per socket (default 64): the ring of
	// each socket is BlockSize*NumBlocks bytes (64 MiB by default).
	NumBlocks int
	// FrameSize is TPACKET_V3's tp_frame_size (default 2048). With V3 frames
	// are packed into blocks by their real length; this only has to divide
	// BlockSize.
	FrameSize int
	// BlockTimeout retires a partly filled block after this long, so frames
	// reach the reader with at most this delay on a quiet link (default
	// 10ms, at least 1ms).
	BlockTimeout time.Duration
	// PollTimeout is how long Next waits for a frame before returning
	// ErrTimeout, so the caller regains control on an idle link (default
	// 100ms; raised to 2*BlockTimeout if lower, which Drain relies on).
	PollTimeout time.Duration
	// NoPromisc leaves the interface's promiscuous mode alone. By default
	// the first socket joins PACKET_MR_PROMISC (reference-counted by the
	// kernel and undone when the socket closes), as a SPAN port needs.
	NoPromisc bool
}

// Ring geometry defaults.
const (
	DefaultBlockSize    = 1 << 20
	DefaultNumBlocks    = 64
	DefaultFrameSize    = 2048
	DefaultBlockTimeout = 10 * time.Millisecond
	DefaultPollTimeout  = 100 * time.Millisecond
)

func (o *LiveOptions) setDefaults() {
	if o.Sockets <= 0 {
		o.Sockets = 1
	}
	if o.BlockSize <= 0 {
		o.BlockSize = DefaultBlockSize
	}
	if o.NumBlocks <= 0 {
		o.NumBlocks = DefaultNumBlocks
	}
	if o.FrameSize <= 0 {
		o.FrameSize = DefaultFrameSize
	}
	if o.BlockTimeout < time.Millisecond {
		o.BlockTimeout = DefaultBlockTimeout
	}
	if o.PollTimeout <= 0 {
		o.PollTimeout = DefaultPollTimeout
	}
	if o.PollTimeout < 2*o.BlockTimeout {
		o.PollTimeout = 2 * o.BlockTimeout
	}
	if o.FanoutID == 0 {
		o.FanoutID = uint16(os.Getpid()) | 1 // never 0
	}
}

// ErrTimeout is returned by LiveSource.Next when no frame arrived within the
// poll timeout. It is not an error: the caller does its idle work and calls
// Next again.
var ErrTimeout = errors.New("capture: no frame within the poll timeout")

// ErrLinkDown is wrapped by the error Next returns when the kernel reports
// the interface down (ENETDOWN). Capture resumes by itself when the
// interface comes back up; the caller logs it and calls Next again.
var ErrLinkDown = errors.New("interface is down")

// Live is a capture on one interface: one socket, or several in a fanout
// group. Give each LiveSource to one goroutine.
type Live struct {
	Interface string
	LinkType  int           // LINKTYPE_* of the interface
	Sources   []*LiveSource // one per socket; Sources[i] is fanout member i
	// Start is the time (ns since the epoch) when every socket had its
	// filter and had joined the fanout group. Frames stamped earlier are
	// discarded (counted in LiveStats.Startup): they may have been queued
	// before the filter was attached, or copied to more than one socket
	// before the group was complete.
	Start int64
	// KernelFilter is false when the kernel refused the compiled filter
	// (too long): frames are then filtered in-process.
	KernelFilter bool
	// Warnings are non-fatal problems found when opening (no carrier, the
	// kernel refused the filter).
	Warnings []string
	Options  LiveOptions // with defaults applied
}

// LiveStats counts what one socket saw. Packets, Drops and QueueFreezes are
// the kernel's (PACKET_STATISTICS, accumulated since the socket opened);
// the rest are counted by the reader.
type LiveStats struct {
	Packets      uint64 // frames that passed the socket filter, Drops included
	Drops        uint64 // frames dropped because the ring was full
	QueueFreezes uint64 // times the TPACKET_V3 queue froze (ring full)
	Received     uint64 // frames read from the ring
	Startup      uint64 // frames discarded because stamped before Live.Start
	Filtered     uint64 // frames rejected by the in-process filter (VLAN-tagged frames, or all when !KernelFilter)
	LinkDown     uint64 // ENETDOWN reports
}

// LiveSource is one AF_PACKET socket with its TPACKET_V3 ring. It
// implements Source; it is not safe for concurrent use (Stats too must be
// called from the goroutine that calls Next).
type LiveSource struct {
	tp       *afpacket.TPacket
	fd       int
	name     string
	index    int
	linkType int
	start    int64
	// filter runs in-process on VLAN-tagged frames (the kernel program lets
	// them through, see kernelProgram), and on every frame when the kernel
	// filter could not be attached.
	filter    *Filter
	filterAll bool
	scratch   []byte
	num       uint64
	stats     LiveStats
	detached  bool
	closed    bool
}

// OpenLive opens opt.Sockets capture sockets on opt.Interface. Errors say in
// one line what is wrong: no such interface (with the list of interfaces),
// interface down, no permission (opening packet sockets needs CAP_NET_RAW),
// unsupported link type, bad filter.
func OpenLive(opt LiveOptions) (*Live, error) {
	opt.setDefaults()
	if opt.Interface == "" {
		return nil, errors.New("capture: no interface given")
	}
	ifi, err := net.InterfaceByName(opt.Interface)
	if err != nil {
		return nil, fmt.Errorf("capture: interface %q: no such interface (have: %s)", opt.Interface, interfaceNames())
	}
	if ifi.Flags&net.FlagUp == 0 {
		return nil, fmt.Errorf("capture: interface %q is down (bring it up: ip link set %s up)", opt.Interface, opt.Interface)
	}
	l := &Live{Interface: opt.Interface, Options: opt, KernelFilter: true}
	if ifi.Flags&net.FlagRunning == 0 {
		l.Warnings = append(l.Warnings, fmt.Sprintf("interface %q has no carrier (no link): no frames until it has", opt.Interface))
	}
	fail := func(err error) (*Live, error) {
		l.Close()
		return nil, err
	}
	var filter *Filter
	var kprog []bpf.RawInstruction
	for i := 0; i < opt.Sockets; i++ {
		tp, err := afpacket.NewTPacket(
			afpacket.OptInterface(opt.Interface),
			afpacket.OptTPacketVersion(afpacket.TPacketVersion3),
			afpacket.OptBlockSize(opt.BlockSize),
			afpacket.OptNumBlocks(opt.NumBlocks),
			afpacket.OptFrameSize(opt.FrameSize),
			afpacket.OptBlockTimeout(opt.BlockTimeout),
			afpacket.OptPollTimeout(opt.PollTimeout),
		)
		if err != nil {
			return fail(openError(opt.Interface, err))
		}
		fd, err := tpacketFD(tp)
		if err != nil {
			tp.Close()
			return fail(fmt.Errorf("capture: %s: %v", opt.Interface, err))
		}
		s := &LiveSource{tp: tp, fd: fd, name: opt.Interface, index: i}
		l.Sources = append(l.Sources, s)
		if i == 0 {
			lt, err := socketLinkType(s.fd)
			if err != nil {
				return fail(fmt.Errorf("capture: interface %q: %v", opt.Interface, err))
			}
			l.LinkType = lt
			if opt.Filter != "" {
				filter = &Filter{expr: opt.Filter}
				if err := filter.Prepare(lt); err != nil {
					return fail(err)
				}
				raw, err := compileExpr(lt, opt.Filter)
				if err != nil {
					return fail(fmt.Errorf("capture: bad filter %q: %v", opt.Filter, err))
				}
				kprog = kernelProgram(lt, raw)
			}
			if !opt.NoPromisc {
				mreq := unix.PacketMreq{Ifindex: int32(ifi.Index), Type: unix.PACKET_MR_PROMISC}
				if err := unix.SetsockoptPacketMreq(s.fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mreq); err != nil {
					l.Warnings = append(l.Warnings, fmt.Sprintf("interface %q: promiscuous mode: %v", opt.Interface, err))
				}
			}
		}
		s.linkType = l.LinkType
		s.filter = filter
		if kprog != nil && l.KernelFilter {
			if err := tp.SetBPF(kprog); err != nil {
				// Too long for the kernel (BPF_MAXINSNS) or refused: filter
				// every frame in-process instead.
				l.KernelFilter = false
				l.Warnings = append(l.Warnings, fmt.Sprintf("kernel refused the filter (%v): filtering in-process", err))
				for _, p := range l.Sources[:i] {
					p.tp.SetBPF(acceptAll)
				}
			}
		}
		if opt.Sockets > 1 {
			if err := joinFanout(s, opt, i == 0); err != nil {
				return fail(fmt.Errorf("capture: interface %q: fanout group %d (%s): %v", opt.Interface, opt.FanoutID, opt.Fanout, err))
			}
		}
	}
	l.Start = time.Now().UnixNano()
	for _, s := range l.Sources {
		s.start = l.Start
		s.filterAll = filter != nil && !l.KernelFilter
	}
	return l, nil
}

// Close closes every socket. Safe to call more than once; the LiveSources
// must no longer be in use.
func (l *Live) Close() error {
	var first error
	for _, s := range l.Sources {
		if err := s.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Stats returns the sum over all sockets. Call it only when no goroutine is
// reading (for per-socket stats while reading, use LiveSource.Stats in the
// reading goroutine).
func (l *Live) Stats() LiveStats {
	var t LiveStats
	for _, s := range l.Sources {
		st, _ := s.Stats()
		t.Add(st)
	}
	return t
}

// Add adds o to s.
func (s *LiveStats) Add(o LiveStats) {
	s.Packets += o.Packets
	s.Drops += o.Drops
	s.QueueFreezes += o.QueueFreezes
	s.Received += o.Received
	s.Startup += o.Startup
	s.Filtered += o.Filtered
	s.LinkDown += o.LinkDown
}

// Index is the socket's position in the fanout group.
func (s *LiveSource) Index() int { return s.index }

// Next returns the next frame. Data points into the ring (or, for a
// VLAN-tagged frame, into a buffer of the LiveSource) and is valid until the
// next call to Next or Close. It returns ErrTimeout when no frame arrived
// within the poll timeout, an error wrapping ErrLinkDown when the interface
// went down (capture resumes when it comes back up), and io.EOF after Close.
//
// The kernel strips 802.1Q tags into the packet's metadata (VLAN
// acceleration); Next puts the tag back (TPID 0x8100, with the VLAN id) so
// that decoding and filtering see the frame as it was on the wire, as
// libpcap does, and counts the 4 bytes in WireLen.
func (s *LiveSource) Next() (Frame, error) {
	if s.closed {
		return Frame{}, errClosed
	}
	for {
		data, ci, err := s.tp.ZeroCopyReadPacketData()
		if err != nil {
			switch err {
			case afpacket.ErrTimeout:
				return Frame{}, ErrTimeout
			case afpacket.ErrPoll:
				// POLLERR: read (and so clear) the socket error, or poll
				// would report it again at once.
				soerr, _ := unix.GetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_ERROR)
				if soerr == int(unix.ENETDOWN) {
					s.stats.LinkDown++
					time.Sleep(10 * time.Millisecond)
					return Frame{}, fmt.Errorf("capture: %s: %w", s.name, ErrLinkDown)
				}
				if soerr == 0 {
					return Frame{}, ErrTimeout
				}
				return Frame{}, fmt.Errorf("capture: %s: %w", s.name, unix.Errno(soerr))
			}
			return Frame{}, fmt.Errorf("capture: %s: %w", s.name, err)
		}
		s.stats.Received++
		ts := ci.Timestamp.UnixNano()
		if ts < s.start {
			s.stats.Startup++
			continue
		}
		wire := ci.Length
		tagged := false
		if len(ci.AncillaryData) > 0 && s.linkType == linkTypeEthernet && len(data) >= 12 {
			for _, a := range ci.AncillaryData {
				if v, ok := a.(afpacket.AncillaryVLAN); ok {
					b := append(s.scratch[:0], data[:12]...)
					b = append(b, 0x81, 0x00, byte(v.VLAN>>8)&0x0f, byte(v.VLAN))
					b = append(b, data[12:]...)
					s.scratch = b
					data = b
					wire += 4
					tagged = true
					break
				}
			}
		}
		if (tagged || s.filterAll) && s.filter != nil && !s.filter.Match(s.linkType, data, wire) {
			s.stats.Filtered++
			continue
		}
		s.num++
		return Frame{TS: ts, LinkType: s.linkType, Data: data[:len(data):len(data)], WireLen: wire, Num: s.num, Input: s.name}, nil
	}
}

// Detach stops the kernel from queueing new frames on this socket (it
// attaches a filter that rejects everything). Frames already in the ring are
// still returned by Next, until ErrTimeout says the ring is empty: the
// shutdown drain.
func (s *LiveSource) Detach() error {
	if s.detached || s.closed {
		return nil
	}
	s.detached = true
	return s.tp.SetBPF(rejectAll)
}

// Stats returns the socket's counters.
func (s *LiveSource) Stats() (LiveStats, error) {
	if s.closed {
		return s.stats, nil
	}
	_, v3, err := s.tp.SocketStats()
	if err != nil {
		return s.stats, fmt.Errorf("capture: %s: socket statistics: %v", s.name, err)
	}
	// The kernel's tp_packets already includes tp_drops.
	s.stats.Packets = uint64(v3.Packets())
	s.stats.Drops = uint64(v3.Drops())
	s.stats.QueueFreezes = uint64(v3.QueueFreezes())
	return s.stats, nil
}

// Close closes the socket and unmaps its ring. The counters stay readable.
func (s *LiveSource) Close() error {
	if s.closed {
		return nil
	}
	s.Stats()
	s.closed = true
	s.tp.Close()
	return nil
}

var (
	rejectAll = []bpf.RawInstruction{{Op: 0x06, K: 0}}
	acceptAll = []bpf.RawInstruction{{Op: 0x06, K: FilterSnaplen}}
)

// Classic BPF ancillary load offsets (linux/filter.h: SKF_AD_OFF +
// SKF_AD_PROTOCOL, SKF_AD_VLAN_TAG_PRESENT).
const (
	skfAdProtocol       = 0xfffff000 + 0
	skfAdVLANTagPresent = 0xfffff000 + 48
)

// kernelProgram is the program attached to the sockets: libpcap's program
// for the link type, compiled as for a savefile (pcap_open_dead). On
// Ethernet it is prefixed with a test that lets frames whose VLAN tag the
// kernel took out of the data through unfiltered: libpcap's offline code
// looks for the tag in the frame bytes, where the kernel no longer has it,
// so those frames are filtered in-process after Next puts the tag back. The
// prefix does not disturb the program's jumps, which are relative.
func kernelProgram(linkType int, raw []bpfInsn) []bpf.RawInstruction {
	var out []bpf.RawInstruction
	if linkType == linkTypeEthernet {
		out = append(out,
			bpf.RawInstruction{Op: 0x20, K: skfAdVLANTagPresent}, // ld vlan_avail
			bpf.RawInstruction{Op: 0x15, Jt: 1, Jf: 0, K: 0},     // jeq #0 -> program
			bpf.RawInstruction{Op: 0x06, K: FilterSnaplen},       // ret #snaplen
		)
	}
	for _, in := range raw {
		out = append(out, bpf.RawInstruction{Op: in.Code, Jt: in.Jt, Jf: in.Jf, K: in.K})
	}
	return out
}

// joinFanout adds s to the fanout group.
func joinFanout(s *LiveSource, opt LiveOptions, first bool) error {
	switch opt.Fanout {
	case FanoutHash:
		return s.tp.SetFanout(afpacket.FanoutType(unix.PACKET_FANOUT_HASH|unix.PACKET_FANOUT_FLAG_DEFRAG), opt.FanoutID)
	case FanoutAddr:
		if err := s.tp.SetFanout(afpacket.FanoutType(unix.PACKET_FANOUT_CBPF), opt.FanoutID); err != nil {
			return err
		}
		if !first {
			return nil // the program belongs to the group
		}
		prog := addrHashProgram()
		fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
		return unix.SetsockoptSockFprog(s.fd, unix.SOL_PACKET, unix.PACKET_FANOUT_DATA, &fprog)
	}
	return fmt.Errorf("unknown fanout mode %d", int(opt.Fanout))
}

// addrHashProgram returns the PACKET_FANOUT_CBPF program of FanoutAddr.
// The kernel runs a fanout program on the frame from its network header on
// (the link header is already pulled, VLAN tags taken out by the kernel),
// so the program reads the protocol from skb->protocol (ancillary load);
// for a second VLAN tag left in the data it looks behind it. For IPv4 and
// IPv6 it returns the sum of the 32-bit words of both addresses (so that it
// does not depend on direction), multiplied by 2^32/phi and shifted right
// by 16 to mix; 0 for anything else. The kernel takes it modulo the number
// of sockets.
func addrHashProgram() []unix.SockFilter {
	var a bpfAsm
	a.emit(0x20, skfAdProtocol)                // ld proto
	a.jump(0x15, 0x8100, "tagged", "")         // jeq #0x8100
	a.jump(0x15, 0x88a8, "tagged", "untagged") // jeq #0x88a8
	for _, off := range []uint32{0, 4} {
		if off == 0 {
			a.label("untagged")
		} else {
			a.label("tagged")
			a.emit(0x28, 2) // ldh [2]: the ethertype behind the tag
		}
		v4, v6 := fmt.Sprintf("v4_%d", off), fmt.Sprintf("v6_%d", off)
		a.jump(0x15, 0x0800, v4, "")
		a.jump(0x15, 0x86dd, v6, "other")
		a.label(v4)
		a.emit(0x20, off+12) // ld [12]: source
		a.emit(0x07, 0)      // tax
		a.emit(0x20, off+16) // ld [16]: destination
		a.emit(0x0c, 0)      // add x
		a.jump(0x05, 0, "mix", "")
		a.label(v6)
		a.emit(0x20, off+8) // first word of the source
		for w := uint32(1); w < 8; w++ {
			a.emit(0x07, 0)         // tax
			a.emit(0x20, off+8+4*w) // next word (source, then destination)
			a.emit(0x0c, 0)         // add x
		}
		a.jump(0x05, 0, "mix", "")
	}
	a.label("mix")
	a.emit(0x24, 0x9e3779b1) // mul
	a.emit(0x74, 16)         // rsh #16
	a.emit(0x16, 0)          // ret a
	a.label("other")
	a.emit(0x06, 0) // ret #0
	return a.assemble()
}

// bpfAsm is a tiny classic BPF assembler with forward labels.
type bpfAsm struct {
	ins    []unix.SockFilter
	labels map[string]int
	fixups []bpfFixup
}

type bpfFixup struct {
	at     int
	jt, jf string
	ja     bool
}

func (a *bpfAsm) emit(code uint16, k uint32) {
	a.ins = append(a.ins, unix.SockFilter{Code: code, K: k})
}

// jump emits a jump; an empty label means the next instruction. For "ja"
// (0x05) jt is the target.
func (a *bpfAsm) jump(code uint16, k uint32, jt, jf string) {
	a.fixups = append(a.fixups, bpfFixup{at: len(a.ins), jt: jt, jf: jf, ja: code == 0x05})
	a.emit(code, k)
}

func (a *bpfAsm) label(name string) {
	if a.labels == nil {
		a.labels = map[string]int{}
	}
	a.labels[name] = len(a.ins)
}

func (a *bpfAsm) assemble() []unix.SockFilter {
	rel := func(at int, name string) int {
		if name == "" {
			return 0
		}
		t, ok := a.labels[name]
		if !ok || t <= at {
			panic("bpfAsm: bad label " + name)
		}
		return t - at - 1
	}
	for _, f := range a.fixups {
		if f.ja {
			a.ins[f.at].K = uint32(rel(f.at, f.jt))
			continue
		}
		jt, jf := rel(f.at, f.jt), rel(f.at, f.jf)
		if jt > 255 || jf > 255 {
			panic("bpfAsm: jump too long")
		}
		a.ins[f.at].Jt, a.ins[f.at].Jf = uint8(jt), uint8(jf)
	}
	return a.ins
}

// tpacketFD returns the socket of a TPacket: gopacket v1.1.19 does not
// export it, and the fanout program, the promiscuous membership, the link
// type and the socket error need it. Reading an unexported int field
// through reflect is allowed (only setting it is not).
func tpacketFD(tp *afpacket.TPacket) (int, error) {
	f := reflect.ValueOf(tp).Elem().FieldByName("fd")
	if !f.IsValid() || f.Kind() != reflect.Int {
		return -1, errors.New("gopacket's afpacket.TPacket has no int field fd (was gopacket upgraded?)")
	}
	return int(f.Int()), nil
}

// socketLinkType maps the bound socket's ARPHRD_* type to a LINKTYPE_*
// value, as libpcap does for a SOCK_RAW packet socket.
func socketLinkType(fd int) (int, error) {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return 0, err
	}
	ll, ok := sa.(*unix.SockaddrLinklayer)
	if !ok {
		return 0, fmt.Errorf("unexpected socket address %T", sa)
	}
	switch ll.Hatype {
	case unix.ARPHRD_ETHER, unix.ARPHRD_LOOPBACK, unix.ARPHRD_IEEE802:
		return linkTypeEthernet, nil
	case unix.ARPHRD_NONE, 519 /* ARPHRD_RAWIP */, unix.ARPHRD_TUNNEL, unix.ARPHRD_TUNNEL6, unix.ARPHRD_SIT, unix.ARPHRD_IPGRE:
		return 101, nil // LINKTYPE_RAW
	case unix.ARPHRD_IEEE80211_RADIOTAP:
		return 127, nil
	}
	return 0, fmt.Errorf("link type ARPHRD %d is not supported for live capture (Ethernet, raw IP and radiotap are)", ll.Hatype)
}

// openError turns afpacket.NewTPacket's errors into one line that says
// what to do.
func openError(iface string, err error) error {
	switch {
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES):
		return fmt.Errorf("capture: %s: no permission to open a packet socket: live capture needs CAP_NET_RAW (run as root, or: setcap cap_net_raw,cap_net_admin=eip flowlog)", iface)
	case errors.Is(err, unix.ENOMEM):
		return fmt.Errorf("capture: %s: cannot allocate the capture ring (%v): use a smaller ring", iface, err)
	case errors.Is(err, unix.ENODEV), errors.Is(err, unix.ENXIO):
		return fmt.Errorf("capture: interface %q: no such interface (have: %s)", iface, interfaceNames())
	case errors.Is(err, unix.ENETDOWN):
		return fmt.Errorf("capture: interface %q is down (bring it up: ip link set %s up)", iface, iface)
	}
	return fmt.Errorf("capture: %s: %v", iface, err)
}

func interfaceNames() string {
	ifs, err := net.Interfaces()
	if err != nil || len(ifs) == 0 {
		return "none"
	}
	names := make([]string, 0, len(ifs))
	for _, i := range ifs {
		names = append(names, i.Name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
