package names

import (
	"net/netip"

	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
	"github.com/flowlog/flowlog/names/applog"
	"github.com/flowlog/flowlog/names/dnsmsg"
	"github.com/flowlog/flowlog/names/pdns"
	"github.com/flowlog/flowlog/names/rdns"
	"github.com/flowlog/flowlog/names/service"
	"github.com/flowlog/flowlog/zeeklog"
)

// Config says which parts run. The zero Config runs none.
type Config struct {
	// Service enables service detection (conn.log's service column).
	Service       bool
	ServiceConfig service.Config
	// OnSSL and OnDNS, if set, receive ssl.log and dns.log records (the
	// SSL and DNS trackers run only when set).
	OnSSL func(*applog.SSLRecord)
	OnDNS func(*applog.DNSRecord)
	// SNI tracks the TLS server names of connections (Conn field "sni",
	// for policies and name columns) when OnSSL is unset: the SSL tracker
	// then stops at each ClientHello and makes no records.
	SNI bool
	// PassiveDNS learns names from the DNS answers seen (the DNS tracker
	// then runs even without OnDNS).
	PassiveDNS bool
	PDNS       pdns.Config
	// PDNSCache, if set, is the passive DNS cache to use (with
	// PassiveDNS): share one between the tables of several workers, since
	// a DNS answer and the connections that use it may hash to different
	// workers. Nil makes a cache of PDNS's settings.
	PDNSCache *pdns.Cache
	// RDNS, if set, resolves endpoints without a passive name. The caller
	// creates and closes it; it may be shared by several Names.
	RDNS *rdns.Resolver
}

// Names bundles name finding for one flow table: service detection, the
// ssl.log and dns.log trackers, the passive DNS cache and the reverse DNS
// resolver. Like the table it is not safe for concurrent use, except Name
// and the conn.log columns, which only read the (concurrency-safe) caches.
type Names struct {
	cfg  Config
	svc  *service.Detector
	ssl  *applog.SSLTracker
	dns  *applog.DNSTracker
	pdns *pdns.Cache
	// slots hold the per-connection watchers driven as the table's
	// Analyzer (Conn.AnalyzerRef is the index plus one); free lists the
	// unused refs.
	slots []slot
	free  []uint32
}

// slot is what watches one connection through the table's Analyzer: a
// service detector (a State, or a Small while it fits one) and an SSL
// tracker.
type slot struct {
	svc   *service.State
	small service.Small
	ssl   applog.Watch
}

// A connection whose only watcher is a Small service detector (most UDP
// connections) has no slot: its Analyzer ref is the Small with refSmall
// set.
const refSmall = 1 << 31

// OnPacket implements flow.Analyzer: the connection's service detector,
// then its ssl tracker, as long as they want packets.
func (n *Names) OnPacket(t *flow.Table, c *flow.Conn, isOrig bool, l *decode.Layer) {
	ref := c.AnalyzerRef()
	if ref&refSmall != 0 {
		st, sm := n.svc.Step(t, c, isOrig, l, service.Small(ref&^refSmall))
		switch {
		case st != nil:
			n.attach(c, slot{svc: st})
		case sm != 0:
			c.SetAnalyzerRef(refSmall | uint32(sm))
		default:
			c.SetAnalyzerRef(0)
		}
		return
	}
	s := &n.slots[ref-1]
	if s.svc != nil {
		s.svc.OnPacket(t, c, isOrig, l)
		if s.svc.Done() {
			n.svc.Free(s.svc)
			s.svc = nil
		}
	} else if s.small != 0 {
		s.svc, s.small = n.svc.Step(t, c, isOrig, l, s.small)
	}
	if s.ssl != nil {
		s.ssl.OnPacket(t, c, isOrig, l)
		if s.ssl.Done() {
			s.ssl = nil
		}
	}
	if s.svc == nil && s.small == 0 && s.ssl == nil {
		n.release(c, ref)
	}
}

// Release implements flow.Analyzer: a connection removed while watched.
func (n *Names) Release(c *flow.Conn) {
	ref := c.AnalyzerRef()
	if ref&refSmall != 0 {
		c.SetAnalyzerRef(0)
		return
	}
	if s := &n.slots[ref-1]; s.svc != nil {
		n.svc.Free(s.svc)
	}
	n.release(c, ref)
}

func (n *Names) release(c *flow.Conn, ref uint32) {
	n.slots[ref-1] = slot{}
	n.free = append(n.free, ref)
	c.SetAnalyzerRef(0)
}

// attach gives c a slot holding s.
func (n *Names) attach(c *flow.Conn, s slot) {
	var ref uint32
	if k := len(n.free); k > 0 {
		ref = n.free[k-1]
		n.free = n.free[:k-1]
	} else {
		n.slots = append(n.slots, slot{})
		ref = uint32(len(n.slots))
	}
	n.slots[ref-1] = s
	c.SetAnalyzerRef(ref)
}

// New returns a Names for one flow table.
func New(cfg Config) *Names {
	n := &Names{cfg: cfg}
	if cfg.Service {
		n.svc = service.New(cfg.ServiceConfig)
	}
	if cfg.OnSSL != nil {
		n.ssl = &applog.SSLTracker{OnRecord: cfg.OnSSL}
	} else if cfg.SNI {
		n.ssl = &applog.SSLTracker{SNIOnly: true}
	}
	if cfg.PassiveDNS {
		n.pdns = cfg.PDNSCache
		if n.pdns == nil {
			n.pdns = pdns.New(cfg.PDNS)
		}
	}
	if cfg.OnDNS != nil || n.pdns != nil {
		n.dns = &applog.DNSTracker{OnRecord: cfg.OnDNS}
		if n.pdns != nil {
			n.dns.OnMessage = func(c *flow.Conn, m *dnsmsg.Msg, ts int64) { n.pdns.Observe(m, ts) }
		}
		if cfg.OnDNS == nil {
			n.dns.OnRecord = func(*applog.DNSRecord) {}
		}
	}
	return n
}

// Events attaches to the connections opened by the last Table call: call
// it after every Table.Packet with that packet (and after Advance/Flush
// with nil), before the next call into the table.
func (n *Names) Events(t *flow.Table, p *decode.Packet) {
	for _, ev := range t.Events() {
		if ev.Kind == flow.EventOpened {
			n.Opened(t, ev.Conn, p)
		}
	}
}

// Opened attaches the enabled watchers to a new connection (p is the
// packet that created it, or nil) and starts reverse lookups of its
// endpoints.
func (n *Names) Opened(t *flow.Table, c *flow.Conn, p *decode.Packet) {
	var s slot
	if n.svc != nil {
		s.svc, s.small = n.svc.Start(t, c, p)
	}
	if n.ssl != nil {
		if s.ssl = n.ssl.Start(t, c, p); s.ssl != nil && s.ssl.Done() {
			s.ssl = nil
		}
	}
	if s.svc != nil || s.small != 0 || s.ssl != nil {
		// The service detector and the SNI tracker see the connection's
		// packets through the table's Analyzer: no framework state per
		// connection, and no slot for a Small detector alone.
		if t.TableAnalyzer() != flow.Analyzer(n) {
			t.SetAnalyzer(n)
		}
		if s.svc == nil && s.ssl == nil {
			c.SetAnalyzerRef(refSmall | uint32(s.small))
		} else {
			n.attach(c, s)
		}
	}
	if n.dns != nil {
		n.dns.Attach(t, c, p)
	}
	if n.cfg.RDNS != nil {
		// Prime the resolver so that the names are known by the time
		// the connection is logged.
		for _, a := range [2]decode.Addr{c.OrigH, c.RespH} {
			if ip := a.Netip(); ip.IsMulticast() || ip.IsUnspecified() || ip == limitedBroadcast {
				continue
			}
			if n.pdns != nil {
				if _, ok := n.pdns.Lookup(a.Netip(), c.Start); ok {
					continue
				}
			}
			n.cfg.RDNS.Lookup(a.Netip())
		}
	}
}

var limitedBroadcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// Name returns a's name at packet time ts (ns): the passive DNS name if
// an unexpired answer gave one, else the reverse DNS name if cached (a
// miss starts a lookup), else "".
func (n *Names) Name(a decode.Addr, ts int64) string {
	if n.pdns != nil {
		if s, ok := n.pdns.Lookup(a.Netip(), ts); ok {
			return s
		}
	}
	if n.cfg.RDNS != nil {
		if s, ok := n.cfg.RDNS.Lookup(a.Netip()); ok {
			return s
		}
	}
	return ""
}

// Passive returns the passive DNS cache (nil if disabled).
func (n *Names) Passive() *pdns.Cache { return n.pdns }

// Service returns c's detected services, as conn.log's service column
// ("" for none).
func Service(c *flow.Conn) string { return service.Of(c) }

// ConnColumns returns conn.log columns orig_name and resp_name for
// zeeklog.Options.Extra, looked up when the record is written (passive
// DNS at the connection's last packet time, then reverse DNS).
func (n *Names) ConnColumns() []zeeklog.Column {
	return []zeeklog.Column{
		{Name: "orig_name", Type: "string", Value: func(c *flow.Conn) string { return n.Name(c.OrigH, c.Last) }},
		{Name: "resp_name", Type: "string", Value: func(c *flow.Conn) string { return n.Name(c.RespH, c.Last) }},
	}
}
