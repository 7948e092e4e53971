//go:build !linux

package capture

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Live capture needs Linux AF_PACKET sockets. On other systems OpenLive
// reports that; the types exist so that callers build everywhere.

// FanoutMode says how the sockets of a multi-socket live capture share the
// interface's packets (Linux only).
type FanoutMode int

// Fanout modes (see the Linux documentation of this package).
const (
	FanoutHash FanoutMode = iota
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

// LiveOptions configure OpenLive (Linux only).
type LiveOptions struct {
	Interface    string
	Filter       string
	Sockets      int
	Fanout       FanoutMode
	FanoutID     uint16
	BlockSize    int
	NumBlocks    int
	FrameSize    int
	BlockTimeout time.Duration
	PollTimeout  time.Duration
	NoPromisc    bool
}

// Ring geometry defaults.
const (
	DefaultBlockSize    = 1 << 20
	DefaultNumBlocks    = 64
	DefaultFrameSize    = 2048
	DefaultBlockTimeout = 10 * time.Millisecond
	DefaultPollTimeout  = 100 * time.Millisecond
)

// ErrTimeout is returned by LiveSource.Next when no frame arrived in time.
var ErrTimeout = errors.New("capture: no frame within the poll timeout")

// ErrLinkDown is wrapped by Next's error when the interface went down.
var ErrLinkDown = errors.New("interface is down")

// ErrLiveUnsupported is returned by OpenLive on systems other than Linux.
var ErrLiveUnsupported = errors.New("capture: live capture needs Linux (AF_PACKET)")

// Live is a capture on one interface.
type Live struct {
	Interface    string
	LinkType     int
	Sources      []*LiveSource
	Start        int64
	KernelFilter bool
	Warnings     []string
	Options      LiveOptions
}

// LiveStats counts what one socket saw.
type LiveStats struct {
	Packets, Drops, QueueFreezes          uint64
	Received, Startup, Filtered, LinkDown uint64
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

// LiveSource is one capture socket.
type LiveSource struct{}

// OpenLive always fails outside Linux.
func OpenLive(opt LiveOptions) (*Live, error) { return nil, ErrLiveUnsupported }

// Close does nothing.
func (l *Live) Close() error { return nil }

// Stats returns zero counters.
func (l *Live) Stats() LiveStats { return LiveStats{} }

// Index is the socket's position in the fanout group.
func (s *LiveSource) Index() int { return 0 }

// Next always fails outside Linux.
func (s *LiveSource) Next() (Frame, error) { return Frame{}, ErrLiveUnsupported }

// Detach does nothing.
func (s *LiveSource) Detach() error { return nil }

// Stats returns zero counters.
func (s *LiveSource) Stats() (LiveStats, error) { return LiveStats{}, nil }

// Close does nothing.
func (s *LiveSource) Close() error { return nil }
