package main

// The capture model: a File holds packets and the connections Zeek is
// expected to log for them. Each emitted packet carries Tags that say which
// expected connection it counts toward and how; EXPECT.md is rendered from
// those tallies plus the hand-derived state/history written in the
// scenario code.

import (
	"fmt"
	"math"
	"net/netip"
	"sort"

	"github.com/google/gopacket/layers"
)

// epoch is the capture start time (packet time), 2023-11-14T22:13:20Z.
const epoch = int64(1700000000) * 1e9

// ms converts milliseconds after the epoch to absolute nanoseconds, rounded
// to the microsecond (all captures except the nanosecond one are µs-exact).
func ms(v float64) int64 { return epoch + int64(math.Round(v*1000))*1000 }

// Conn is one expected conn.log row.
type Conn struct {
	ID      string
	Proto   string // tcp, udp, icmp, unknown_transport
	Orig    ep     // Zeek's originator after any flip
	Resp    ep
	State   string
	History string
	Missed  int
	Parent  string // tunnel_parents, described
	Note    string

	// Byte counts. For TCP they are set by the flow helper from sequence
	// space (or overridden); for UDP/ICMP they accumulate from tags.
	origBytes, respBytes int64
	bytesNote            string // set when bytes were derived by hand

	// tallies
	seen             bool
	start, last      int64
	origPkts, origIP int
	respPkts, respIP int
	ipProto          int
}

// Tag attributes one emitted packet to an expected connection.
type Tag struct {
	c           *Conn
	orig        bool
	ipLen       int   // counted into *_ip_bytes
	payload     int64 // counted into *_bytes for UDP/ICMP (TCP: 0)
	counts      bool  // false for packets Zeek discards (bad checksum)
	updatesLast bool  // whether Zeek moves last_time on this packet
}

// Pkt is one captured frame.
type Pkt struct {
	T       int64  // ns since Unix epoch
	IP      []byte // the outermost IP packet, before link framing
	Data    []byte
	OrigLen int // wire length if larger than len(Data)
	Iface   int
	Tags    []Tag
}

// File is one capture file plus its expectations.
type File struct {
	Name   string
	Title  string
	Desc   []string // bullet points for EXPECT.md
	Link   uint32   // pcap LINKTYPE_ value
	frame  framer
	Format string // "pcap" (default), "nanos", "bigendian", "pcapng", "gz"
	Ifaces []layers.LinkType
	Pkts   []*Pkt
	Conns  []*Conn
	ids    ipIDs
	NoZeek string // set when real Zeek cannot read the file; explains why
	// snaplen for the pcap header
	Snap uint32
}

// LINKTYPE_ values (gopacket's layers.LinkType is a uint8 and cannot hold 276).
const (
	linkNull     uint32 = 0
	linkEth      uint32 = 1
	linkPPP      uint32 = 9
	linkRaw      uint32 = 101
	linkSLL      uint32 = 113
	linkRadiotap uint32 = 127
	linkSLL2     uint32 = 276
)

func newFile(name, title string, link uint32, fr framer) *File {
	return &File{Name: name, Title: title, Link: link, frame: fr, ids: ipIDs{}, Snap: 262144}
}

func (f *File) desc(format string, args ...any) {
	f.Desc = append(f.Desc, fmt.Sprintf(format, args...))
}

// conn registers an expected connection.
func (f *File) conn(proto string, orig, resp ep, state, history string) *Conn {
	c := &Conn{ID: fmt.Sprintf("%d", len(f.Conns)+1), Proto: proto, Orig: orig, Resp: resp,
		State: state, History: history}
	switch {
	case proto == "tcp":
		c.ipProto = 6
	case proto == "udp":
		c.ipProto = 17
	case proto == "icmp" && orig.ip.Is4():
		c.ipProto = 1
	case proto == "icmp":
		c.ipProto = 58
	}
	f.Conns = append(f.Conns, c)
	return c
}

// add frames an IP packet with the file's link layer and records it.
func (f *File) add(t int64, ip []byte, tags ...Tag) *Pkt {
	p := &Pkt{T: t, IP: ip, Data: f.frame(ip), Tags: tags}
	f.Pkts = append(f.Pkts, p)
	return p
}

// addFrame records an already framed packet.
func (f *File) addFrame(t int64, frame []byte, iface int, tags ...Tag) *Pkt {
	p := &Pkt{T: t, Data: frame, Iface: iface, Tags: tags}
	f.Pkts = append(f.Pkts, p)
	return p
}

func (f *File) hdr(src, dst netip.Addr) ipHdr {
	h := ipHdr{src: src, dst: dst}
	if src.Is4() {
		h.id = f.ids.next(src)
	}
	return h
}

// finalize sorts packets by time (stable) and computes the tallies.
func (f *File) finalize() {
	sort.SliceStable(f.Pkts, func(i, j int) bool { return f.Pkts[i].T < f.Pkts[j].T })
	for _, p := range f.Pkts {
		t := p.T / 1000 * 1000 // Zeek (libpcap) sees µs timestamps
		for _, tg := range p.Tags {
			c := tg.c
			if !c.seen {
				c.seen, c.start, c.last = true, t, t
			}
			if tg.counts {
				if tg.orig {
					c.origPkts++
					c.origIP += tg.ipLen
					c.origBytes += tg.payload
				} else {
					c.respPkts++
					c.respIP += tg.ipLen
					c.respBytes += tg.payload
				}
			}
			if tg.updatesLast {
				c.last = t
			}
		}
	}
}

// ---------------------------------------------------------------------------
// TCP conversations

// tcpFlow scripts one TCP conversation between a (the side whose packet
// comes first in the script) and b. Sequence numbers are tracked relative
// to a base per side: relative 0 is the SYN, relative 1 the first data byte.
// For a side whose first packet has no SYN, base is seq-1 (as Zeek does).
type tcpFlow struct {
	f       *File
	c       *Conn
	a, b    ep
	aIsOrig bool
	isn     [2]uint32
	base    [2]uint32
	started [2]bool
	nxt     [2]int64
	hi      [2]int64
	fin     [2]bool
	closed  [2]bool
	win     [2]uint16
	t       int64
	synOpts bool // add MSS/SACK/WS options to SYN and SYN-ACK
	// wrap encapsulates the IP packet (tunnels); returns the outer IP
	// packet and extra tags for an outer connection.
	wrap func(inner []byte, fromA bool, t int64) ([]byte, []Tag)
	// bytesFixed disables computing byte counts from sequence space.
	bytesFixed bool
}

func (f *File) tcp(c *Conn, a, b ep, isnA, isnB uint32, t0 float64) *tcpFlow {
	s := &tcpFlow{f: f, c: c, a: a, b: b, isn: [2]uint32{isnA, isnB}, t: ms(t0),
		win: [2]uint16{64240, 65160}}
	if c != nil {
		c.ipProto = 6
		s.aIsOrig = c.Orig == a
		if !s.aIsOrig && c.Orig != b {
			panic("conn endpoints do not match flow " + a.String())
		}
	}
	return s
}

type segOpt struct {
	rel      *int64  // explicit relative seq (retransmission)
	ack      *uint32 // explicit absolute ack
	win      *uint16
	badsum   bool
	drop     bool // advance sequence space but do not emit (lost segment)
	noCount  bool // emitted but not part of the expected conn (unused)
	rawFlags bool
}

func rel(v int64) segOpt        { return segOpt{rel: &v} }
func ackv(v uint32) segOpt      { return segOpt{ack: &v} }
func winv(v uint16) segOpt      { return segOpt{win: &v} }
func badsum() segOpt            { return segOpt{badsum: true} }
func dropped() segOpt           { return segOpt{drop: true} }
func (s *tcpFlow) at(v float64) { s.t = ms(v) }

// send emits one segment dt milliseconds after the previous one.
func (s *tcpFlow) send(dt float64, fromA bool, flags uint8, payload []byte, opts ...segOpt) {
	var o segOpt
	for _, x := range opts {
		if x.rel != nil {
			o.rel = x.rel
		}
		if x.ack != nil {
			o.ack = x.ack
		}
		if x.win != nil {
			o.win = x.win
		}
		o.badsum = o.badsum || x.badsum
		o.drop = o.drop || x.drop
	}
	s.t += int64(math.Round(dt*1000)) * 1000
	d, od := 0, 1
	src, dst := s.a, s.b
	if !fromA {
		d, od = 1, 0
		src, dst = s.b, s.a
	}
	if !s.started[d] {
		s.started[d] = true
		if flags&SYN != 0 {
			s.base[d] = s.isn[d]
			s.nxt[d] = 0
		} else {
			s.base[d] = s.isn[d] - 1
			s.nxt[d] = 1
		}
	}
	r := s.nxt[d]
	advance := true
	if o.rel != nil {
		r = *o.rel
		advance = false
	}
	seq := s.base[d] + uint32(r)
	var ack uint32
	if flags&ACK != 0 {
		switch {
		case o.ack != nil:
			ack = *o.ack
		case s.started[od]:
			ack = s.base[od] + uint32(s.nxt[od])
		default:
			ack = s.isn[od] + 1
		}
	}
	win := s.win[d]
	if o.win != nil {
		win = *o.win
	}
	end := r + int64(len(payload))
	if flags&RST != 0 {
		end = r
	}
	if flags&SYN != 0 {
		end++
	}
	if flags&FIN != 0 {
		end++
		s.fin[d] = true
	}
	if advance && end > s.nxt[d] {
		s.nxt[d] = end
	}
	if end > s.hi[d] {
		s.hi[d] = end
	}
	if o.drop {
		return
	}
	seg := tcpSeg{sport: src.port, dport: dst.port, seq: seq, ack: ack, flags: flags, win: win, payload: payload}
	if flags&SYN != 0 && s.synOpts {
		seg.opts = []layers.TCPOption{
			{OptionType: layers.TCPOptionKindMSS, OptionData: be16(1460)},
			{OptionType: layers.TCPOptionKindSACKPermitted},
			{OptionType: layers.TCPOptionKindNop},
			{OptionType: layers.TCPOptionKindWindowScale, OptionData: []byte{7}},
		}
	}
	h := s.f.hdr(src.ip, dst.ip)
	h.df = true
	ip := buildTCP(h, seg)
	if o.badsum {
		corruptL4Checksum(ip)
	}
	var tags []Tag
	if s.c != nil {
		tags = append(tags, Tag{c: s.c, orig: fromA == s.aIsOrig, ipLen: ipTotalLen(ip),
			counts: !o.badsum, updatesLast: !o.badsum && !(s.closed[0] && s.closed[1])})
	}
	if !o.badsum && flags&(FIN|RST) != 0 {
		s.closed[d] = true
	}
	out := ip
	if s.wrap != nil {
		var extra []Tag
		out, extra = s.wrap(ip, fromA, s.t)
		tags = append(tags, extra...)
	}
	s.f.add(s.t, out, tags...)
}

// done computes the expected byte counts from sequence space:
// highest relative sequence reached, minus the SYN and FIN octets.
func (s *tcpFlow) done() {
	if s.c == nil || s.bytesFixed {
		return
	}
	var n [2]int64
	for d := 0; d < 2; d++ {
		if !s.started[d] {
			continue
		}
		v := s.hi[d] - 1
		if s.fin[d] && v > 0 {
			v--
		}
		if v < 0 {
			v = 0
		}
		n[d] = v
	}
	if s.aIsOrig {
		s.c.origBytes, s.c.respBytes = n[0], n[1]
	} else {
		s.c.origBytes, s.c.respBytes = n[1], n[0]
	}
}

// Convenience for the common exchange shapes.

func (s *tcpFlow) handshake() {
	s.send(0, true, SYN, nil)
	s.send(12, false, SYN|ACK, nil)
	s.send(12, true, ACK, nil)
}

func (s *tcpFlow) closeAB() {
	s.send(5, true, FIN|ACK, nil)
	s.send(12, false, FIN|ACK, nil)
	s.send(12, true, ACK, nil)
}

// ---------------------------------------------------------------------------
// UDP, ICMP and other datagrams

type dgOpt struct {
	badsum bool
}

// udp emits one UDP datagram from src to dst; isOrig says whether src is
// Zeek's originator of c.
func (f *File) udp(c *Conn, t int64, src, dst ep, payload []byte, isOrig bool, opts ...dgOpt) []byte {
	bad := false
	for _, o := range opts {
		bad = bad || o.badsum
	}
	ip := buildUDP(f.hdr(src.ip, dst.ip), src.port, dst.port, payload)
	if bad {
		corruptL4Checksum(ip)
	}
	var tags []Tag
	if c != nil {
		c.ipProto = 17
		tags = append(tags, Tag{c: c, orig: isOrig, ipLen: ipTotalLen(ip), payload: int64(len(payload)),
			counts: !bad, updatesLast: !bad})
	}
	f.add(t, ip, tags...)
	return ip
}

func icmpTag(c *Conn, ip []byte, isOrig bool) Tag {
	// Zeek counts the ICMP payload after the 8-byte ICMP header.
	return Tag{c: c, orig: isOrig, ipLen: ipTotalLen(ip), payload: int64(ipTotalLen(ip) - ipHeaderLen(ip) - 8),
		counts: true, updatesLast: true}
}
