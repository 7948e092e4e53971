//go:build linux

// Package vethtest builds the test bed of flowlog's privileged live-capture
// tests: two network namespaces created for the test, joined by a veth
// pair, and a raw-frame sender on one end. The capture end plays a SPAN
// port: frames arrive with other hosts' MAC addresses, so the namespace's
// IP stack drops them (PACKET_OTHERHOST) and only packet sockets see them.
//
// Nothing leaves the namespaces: they have no route and no link to the
// host, IPv6 is off in both (so the kernel adds no neighbour discovery
// traffic to the capture), and the only addresses configured are
// 192.0.2.1 (capture end) and 192.0.2.2 (sender end), from TEST-NET-1.
// Synthetic traffic is addressed to 192.0.2.1.
package vethtest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Addresses of the two ends.
var (
	CaptureIP = [4]byte{192, 0, 2, 1}
	SenderIP  = [4]byte{192, 0, 2, 2}
	// OtherMAC is the destination MAC of synthetic frames: not the capture
	// end's, so that its IP stack ignores them, as on a SPAN port.
	OtherMAC = [6]byte{0x02, 0x00, 0x5e, 0x00, 0x00, 0x01}
	// SrcMAC is the source MAC of synthetic frames.
	SrcMAC = [6]byte{0x02, 0x00, 0x5e, 0x00, 0x00, 0x02}
)

// Pair is a veth pair between two fresh network namespaces.
type Pair struct {
	CaptureNS, SenderNS string // namespace names (ip netns)
	CaptureIf, SenderIf string // interface names inside them
}

var seq atomic.Int32

// Check reports why the test bed cannot be built here (nil if it can):
// not Linux, no iproute2, or no privilege (the caller checks that).
func Check() error {
	if _, err := exec.LookPath("ip"); err != nil {
		return fmt.Errorf("iproute2's ip not found (apt-get install iproute2)")
	}
	return nil
}

// New creates the namespaces and the veth pair and removes them with
// tb.Cleanup. It fails the test if the commands fail.
func New(tb testing.TB) *Pair {
	tb.Helper()
	id := fmt.Sprintf("%d%02d", os.Getpid()%100000, seq.Add(1)%100)
	p := &Pair{
		CaptureNS: "fltc" + id, SenderNS: "flts" + id,
		CaptureIf: "flc" + id, SenderIf: "fls" + id,
	}
	tb.Cleanup(func() {
		exec.Command("ip", "netns", "del", p.CaptureNS).Run()
		exec.Command("ip", "netns", "del", p.SenderNS).Run()
	})
	run := func(args ...string) {
		tb.Helper()
		out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
		if err != nil {
			tb.Fatalf("vethtest: %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	run("ip", "netns", "add", p.CaptureNS)
	run("ip", "netns", "add", p.SenderNS)
	for _, ns := range []string{p.CaptureNS, p.SenderNS} {
		run("ip", "netns", "exec", ns, "sysctl", "-q", "-w",
			"net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
	}
	run("ip", "link", "add", p.CaptureIf, "netns", p.CaptureNS, "type", "veth", "peer", "name", p.SenderIf, "netns", p.SenderNS)
	run("ip", "-n", p.CaptureNS, "addr", "add", "192.0.2.1/24", "dev", p.CaptureIf)
	run("ip", "-n", p.SenderNS, "addr", "add", "192.0.2.2/24", "dev", p.SenderIf)
	run("ip", "-n", p.CaptureNS, "link", "set", p.CaptureIf, "up")
	run("ip", "-n", p.SenderNS, "link", "set", p.SenderIf, "up")
	return p
}

// Do runs fn on an OS thread that has joined namespace ns, and returns its
// error. Sockets opened by fn stay in ns after Do returns and work from any
// thread.
func Do(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer unix.Close(orig)
		target, err := unix.Open("/var/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer unix.Close(target)
		if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("setns %s: %v", ns, err)
			return
		}
		err = fn()
		if unix.Setns(orig, unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		} // else the thread stays locked and exits with the goroutine
		errc <- err
	}()
	return <-errc
}

// LinkStats are the capture interface's counters as `ip -s link` shows
// them; RxDropped counts frames lost before any packet socket saw them
// (the receive backlog was full).
type LinkStats struct {
	RxPackets, RxDropped uint64
}

// CaptureLinkStats reads the capture interface's counters.
func (p *Pair) CaptureLinkStats() (LinkStats, error) {
	out, err := exec.Command("ip", "-n", p.CaptureNS, "-s", "-j", "link", "show", "dev", p.CaptureIf).Output()
	if err != nil {
		return LinkStats{}, err
	}
	var v []struct {
		Stats64 struct {
			Rx struct {
				Packets uint64 `json:"packets"`
				Dropped uint64 `json:"dropped"`
			} `json:"rx"`
		} `json:"stats64"`
	}
	if err := json.Unmarshal(out, &v); err != nil || len(v) == 0 {
		return LinkStats{}, fmt.Errorf("ip -s -j link: %v: %s", err, out)
	}
	return LinkStats{RxPackets: v[0].Stats64.Rx.Packets, RxDropped: v[0].Stats64.Rx.Dropped}, nil
}

// Sender writes raw Ethernet frames on the sender end with sendmmsg,
// bypassing the qdisc.
type Sender struct {
	fd   int
	msgs []mmsghdr
	iovs []unix.Iovec
}

type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
	_   [4]byte
}

// NewSender opens a sender on the pair's sender end.
func (p *Pair) NewSender() (*Sender, error) {
	var s *Sender
	err := Do(p.SenderNS, func() error {
		var err error
		s, err = OpenSender(p.SenderIf)
		return err
	})
	return s, err
}

// OpenSender opens a sender on interface ifname of the current namespace.
func OpenSender(ifname string) (*Sender, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0) // protocol 0: receives nothing
	if err != nil {
		return nil, err
	}
	idx, err := ifIndex(fd, ifname)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Ifindex: idx}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_QDISC_BYPASS, 1)
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, 16<<20)
	return &Sender{fd: fd}, nil
}

func ifIndex(fd int, name string) (int, error) {
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr); err != nil {
		return 0, fmt.Errorf("interface %s: %v", name, err)
	}
	return int(ifr.Uint32()), nil
}

// Send sends every frame, in order, with as few system calls as it can.
func (s *Sender) Send(frames [][]byte) error {
	for len(frames) > 0 {
		n := len(frames)
		if n > 1024 {
			n = 1024
		}
		if cap(s.msgs) < n {
			s.msgs = make([]mmsghdr, n)
			s.iovs = make([]unix.Iovec, n)
		}
		msgs, iovs := s.msgs[:n], s.iovs[:n]
		for i := 0; i < n; i++ {
			iovs[i].Base = &frames[i][0]
			iovs[i].SetLen(len(frames[i]))
			msgs[i] = mmsghdr{}
			msgs[i].hdr.Iov = &iovs[i]
			msgs[i].hdr.SetIovlen(1)
		}
		r, _, errno := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(s.fd), uintptr(unsafe.Pointer(&msgs[0])), uintptr(n), 0, 0, 0)
		runtime.KeepAlive(frames)
		if errno != 0 {
			if errno == unix.EINTR || errno == unix.ENOBUFS || errno == unix.EAGAIN {
				time.Sleep(50 * time.Microsecond)
				continue
			}
			return fmt.Errorf("sendmmsg: %v", errno)
		}
		frames = frames[r:]
	}
	return nil
}

// Close closes the socket.
func (s *Sender) Close() error { return unix.Close(s.fd) }

// Synthetic frames (UDP4, TCP4, ICMP4Echo) have valid checksums, the
// destination MAC OtherMAC and the source MAC SrcMAC.

// UDP4 returns an Ethernet/IPv4/UDP frame padded to at least size bytes
// (60 minimum, as Ethernet pads; the UDP payload carries the padding).
func UDP4(src, dst [4]byte, sp, dp uint16, size int) []byte {
	payload := 0
	if size > 42 {
		payload = size - 42
	}
	if payload < 18 {
		payload = 18
	}
	b := make([]byte, 42+payload)
	eth(b, 0x0800)
	ip4(b[14:], 17, src, dst, 8+payload)
	u := b[34:]
	be16(u[0:], sp)
	be16(u[2:], dp)
	be16(u[4:], uint16(8+payload))
	for i := range u[8:] {
		u[8+i] = byte(i)
	}
	be16(u[6:], l4sum(src, dst, 17, u))
	return b
}

// TCP4 returns an Ethernet/IPv4/TCP frame with the given flags (SYN 0x02,
// ACK 0x10, ...) and payload, padded to 60 bytes.
func TCP4(src, dst [4]byte, sp, dp uint16, flags uint8, seq, ack uint32, payload []byte) []byte {
	n := 54 + len(payload)
	size := n
	if size < 60 {
		size = 60
	}
	b := make([]byte, size)
	eth(b, 0x0800)
	ip4(b[14:], 6, src, dst, 20+len(payload))
	t := b[34:n]
	be16(t[0:], sp)
	be16(t[2:], dp)
	be32(t[4:], seq)
	be32(t[8:], ack)
	t[12] = 5 << 4
	t[13] = flags
	be16(t[14:], 64240)
	copy(t[20:], payload)
	be16(t[16:], l4sum(src, dst, 6, t))
	return b
}

// ICMP4Echo returns an ICMP echo request (reply if reply) frame.
func ICMP4Echo(src, dst [4]byte, id, seqn uint16, reply bool) []byte {
	b := make([]byte, 14+20+8+18)
	eth(b, 0x0800)
	ip4(b[14:], 1, src, dst, 8+18)
	c := b[34:]
	if !reply {
		c[0] = 8
	}
	be16(c[4:], id)
	be16(c[6:], seqn)
	be16(c[2:], ^uint16(csum(0, c)))
	return b
}

func eth(b []byte, et uint16) {
	copy(b[0:6], OtherMAC[:])
	copy(b[6:12], SrcMAC[:])
	be16(b[12:], et)
}

func ip4(h []byte, proto uint8, src, dst [4]byte, l4len int) {
	h[0] = 0x45
	be16(h[2:], uint16(20+l4len))
	h[6] = 0x40 // DF
	h[8] = 64
	h[9] = proto
	copy(h[12:16], src[:])
	copy(h[16:20], dst[:])
	be16(h[10:], ^uint16(csum(0, h[:20])))
}

func l4sum(src, dst [4]byte, proto uint8, seg []byte) uint16 {
	var ph [12]byte
	copy(ph[0:4], src[:])
	copy(ph[4:8], dst[:])
	ph[9] = proto
	be16(ph[10:], uint16(len(seg)))
	s := ^uint16(csum(csum(0, ph[:]), seg))
	if s == 0 && proto == 17 {
		s = 0xffff
	}
	return s
}

// csum is the ones' complement sum (not complemented), folded.
func csum(sum uint32, b []byte) uint32 {
	for len(b) >= 2 {
		sum += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return sum
}

func be16(b []byte, v uint16) { b[0], b[1] = byte(v>>8), byte(v) }
func be32(b []byte, v uint32) { b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v) }
