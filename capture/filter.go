package capture

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcap"
)

// Filter is a tcpdump-syntax (pcap-filter(7)) packet filter. The expression
// is compiled by libpcap's own compiler, once per link type and lazily (a
// pcapng file may mix link types), and the compiled classic BPF program is
// run by an allocation-free interpreter in Go: Match does no cgo call and
// allocates nothing once a link type has been compiled.
//
// A Filter is safe for concurrent use. A nil *Filter matches every frame.
type Filter struct {
	expr  string
	mu    sync.Mutex                 // serializes compiles
	progs atomic.Pointer[[]linkProg] // copy-on-write cache, read lock-free
}

type linkProg struct {
	linkType int
	prog     *program // nil if the expression does not compile for linkType
	err      error
}

// FilterSnaplen is the snapshot length filters are compiled for. It only
// shows in the value an accepting program returns.
const FilterSnaplen = MaxCaplen

// linkTypeEthernet is LINKTYPE_ETHERNET.
const linkTypeEthernet = 1

// NewFilter compiles expr for Ethernet to validate it now; other link types
// are compiled on first use. The error names the expression and carries
// libpcap's message.
func NewFilter(expr string) (*Filter, error) {
	f := &Filter{expr: expr}
	if err := f.Prepare(linkTypeEthernet); err != nil {
		return nil, err
	}
	return f, nil
}

// String returns the filter expression.
func (f *Filter) String() string { return f.expr }

// Prepare compiles the filter for a link type ahead of Match and reports
// whether the expression can be compiled for it (for example, "vlan" does
// not compile for raw IP). Match returns false on every frame of a link type
// for which Prepare fails. An expression that libpcap finds can never match
// on a link type other than Ethernet ("ip6" on LINKTYPE_IPV4) is not an
// error: it matches nothing there.
func (f *Filter) Prepare(linkType int) error {
	return f.lookup(linkType).err
}

// Match reports whether a frame of the given link type passes the filter.
// data is the captured bytes and wireLen the original length (BPF's "len").
// Match does not keep data.
func (f *Filter) Match(linkType int, data []byte, wireLen int) bool {
	if f == nil {
		return true
	}
	p, ok := f.cached(linkType)
	if !ok {
		p = f.lookup(linkType).prog
	}
	if p == nil {
		return false
	}
	return p.run(data, uint32(wireLen)) != 0
}

// cached returns the compiled program for linkType from the cache.
func (f *Filter) cached(linkType int) (*program, bool) {
	if t := f.progs.Load(); t != nil {
		for i := range *t {
			if (*t)[i].linkType == linkType {
				return (*t)[i].prog, true
			}
		}
	}
	return nil, false
}

// lookup returns the cache entry for linkType, compiling it if needed.
func (f *Filter) lookup(linkType int) linkProg {
	if t := f.progs.Load(); t != nil {
		for _, lp := range *t {
			if lp.linkType == linkType {
				return lp
			}
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var old []linkProg
	if t := f.progs.Load(); t != nil {
		old = *t
		for _, lp := range old {
			if lp.linkType == linkType {
				return lp
			}
		}
	}
	lp := linkProg{linkType: linkType}
	raw, err := compileExpr(linkType, f.expr)
	if err != nil && linkType != linkTypeEthernet && strings.Contains(err.Error(), "rejects all packets") {
		// libpcap refuses an expression that can never match (say "ip6"
		// for LINKTYPE_IPV4). NewFilter keeps that error for Ethernet, as
		// tcpdump would; for other link types of a mixed input the filter
		// simply matches nothing.
		raw, err = []bpfInsn{{Code: 0x06, K: 0}}, nil
	}
	if err == nil {
		lp.prog, err = compileProgram(raw)
	}
	if err != nil {
		lp.err = fmt.Errorf("capture: filter %q for link type %d: %v", f.expr, linkType, err)
		if linkType == linkTypeEthernet {
			lp.err = fmt.Errorf("capture: bad filter %q: %v", f.expr, err)
		}
	}
	t := append(append(make([]linkProg, 0, len(old)+1), old...), lp)
	f.progs.Store(&t)
	return lp
}

// compileExpr compiles expr with libpcap for a pcap LINKTYPE_* value.
func compileExpr(linkType int, expr string) ([]bpfInsn, error) {
	dlt := linkTypeToDLT(linkType)
	if dlt < 0 || dlt > 0xffff {
		return nil, fmt.Errorf("invalid link type %d", linkType)
	}
	if dlt > 0xff {
		// gopacket's layers.LinkType is a uint8: use our own pcap_compile call.
		return compileDLT(dlt, FilterSnaplen, expr)
	}
	ins, err := pcap.CompileBPFFilter(layers.LinkType(dlt), FilterSnaplen, expr)
	if err != nil {
		return nil, err
	}
	raw := make([]bpfInsn, len(ins))
	for i, in := range ins {
		raw[i] = bpfInsn{Code: in.Code, Jt: in.Jt, Jf: in.Jf, K: in.K}
	}
	return raw, nil
}

// linkTypeToDLT maps the LINKTYPE_* values of savefiles to the DLT_* values
// libpcap's compiler expects on this platform, as libpcap's linktype_to_dlt
// does when it opens a file (the values differ only for a few old types).
func linkTypeToDLT(lt int) int {
	switch lt {
	case 100: // LINKTYPE_ATM_RFC1483
		return 11
	case 101: // LINKTYPE_RAW
		return 12
	case 102: // LINKTYPE_SLIP_BSDOS
		return 15
	case 103: // LINKTYPE_PPP_BSDOS
		return 16
	case 106: // LINKTYPE_ATM_CLIP
		return 19
	}
	return lt
}
