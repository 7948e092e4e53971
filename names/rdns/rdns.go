package rdns

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/flowlog/flowlog/names/dnsmsg"
	"github.com/flowlog/flowlog/names/pdns"
)

// Config tunes a Resolver. Zero values take the defaults.
type Config struct {
	// Server is the DNS server, "host:port" or "host" (port 53). Default:
	// the first nameserver of /etc/resolv.conf, else 127.0.0.1:53.
	Server string
	// TTL is how long a name found is cached per address (default 60s).
	TTL time.Duration
	// NegTTL is how long a failure (NXDOMAIN, no PTR, SERVFAIL, timeout)
	// is cached, so that a silent address is not asked again at once
	// (default 5s).
	NegTTL time.Duration
	// Timeout bounds one query, retries included (default 2s).
	Timeout time.Duration
	// MaxInFlight is the most queries outstanding at once (default 16):
	// that many worker goroutines send them.
	MaxInFlight int
	// MaxQueue is the most addresses waiting for a worker (default 4096);
	// a Lookup that finds the queue full starts nothing (a later Lookup
	// of the address tries again).
	MaxQueue int
	// MaxEntries bounds the cache (default 65536 addresses).
	MaxEntries int
	// Now is the clock for cache expiry (default time.Now); tests set it.
	Now func() time.Time
}

// Stats counts resolver activity.
type Stats struct {
	Lookups, Hits, NegativeHits, Misses uint64
	Queries, Answers, Failures, Dropped uint64
	InFlight                            int
}

// Resolver resolves addresses to names with PTR queries, asynchronously:
// Lookup never blocks on the network. It is safe for concurrent use.
type Resolver struct {
	cfg     Config
	server  string
	mu      sync.Mutex
	cache   map[netip.Addr]*entry
	stats   Stats
	queue   chan netip.Addr
	quit    chan struct{}
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	closed  bool
	pending int // queued or in flight
}

type entry struct {
	name    string
	ok      bool
	expires time.Time
	pending bool
}

// New starts a Resolver (its worker goroutines); Close stops it.
func New(cfg Config) (*Resolver, error) {
	if cfg.TTL <= 0 {
		cfg.TTL = 60 * time.Second
	}
	if cfg.NegTTL <= 0 {
		cfg.NegTTL = 5 * time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 16
	}
	if cfg.MaxQueue <= 0 {
		cfg.MaxQueue = 4096
	}
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = 65536
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	server := cfg.Server
	if server == "" {
		server = systemServer()
	}
	if _, _, err := net.SplitHostPort(server); err != nil {
		server = net.JoinHostPort(strings.Trim(server, "[]"), "53")
	}
	if _, err := netip.ParseAddrPort(server); err != nil {
		return nil, errors.New("rdns: server must be an IP address with an optional port: " + cfg.Server)
	}
	r := &Resolver{cfg: cfg, server: server, cache: make(map[netip.Addr]*entry),
		queue: make(chan netip.Addr, cfg.MaxQueue), quit: make(chan struct{})}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	for i := 0; i < cfg.MaxInFlight; i++ {
		r.wg.Add(1)
		go r.worker()
	}
	return r, nil
}

// systemServer returns the first nameserver of /etc/resolv.conf.
func systemServer() string {
	f, err := os.Open("/etc/resolv.conf")
	if err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fs := strings.Fields(sc.Text())
			if len(fs) >= 2 && fs[0] == "nameserver" {
				if a, err := netip.ParseAddr(fs[1]); err == nil {
					return netip.AddrPortFrom(a.WithZone(""), 53).String()
				}
			}
		}
	}
	return "127.0.0.1:53"
}

// Server returns the server queried ("ip:port").
func (r *Resolver) Server() string { return r.server }

// Lookup returns the cached name of a, if any, at once. When a is not
// cached (or its entry expired) it queues a PTR query, whose answer later
// Lookups find. ok is false for unknown, pending and failed addresses.
func (r *Resolver) Lookup(a netip.Addr) (name string, ok bool) {
	a = a.Unmap()
	now := r.cfg.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.Lookups++
	e := r.cache[a]
	if e != nil {
		if e.pending {
			r.stats.Misses++
			return "", false
		}
		if now.Before(e.expires) {
			if e.ok {
				r.stats.Hits++
			} else {
				r.stats.NegativeHits++
			}
			return e.name, e.ok
		}
	}
	r.stats.Misses++
	if r.closed {
		return "", false
	}
	if e == nil {
		if len(r.cache) >= r.cfg.MaxEntries && !r.evict(now) {
			r.stats.Dropped++
			return "", false
		}
		e = &entry{}
		r.cache[a] = e
	}
	select {
	case r.queue <- a:
		e.pending = true
		r.pending++
	default:
		r.stats.Dropped++
		if !e.ok && e.expires.IsZero() {
			delete(r.cache, a)
		}
	}
	return "", false
}

// evict makes room: it drops expired entries among a sample, else the
// first settled one found. Called with mu held.
func (r *Resolver) evict(now time.Time) bool {
	n := 0
	var victim netip.Addr
	found := false
	for a, e := range r.cache {
		if e.pending {
			continue
		}
		if !now.Before(e.expires) {
			delete(r.cache, a)
			return true
		}
		if !found {
			victim, found = a, true
		}
		if n++; n >= 64 {
			break
		}
	}
	if found {
		delete(r.cache, victim)
	}
	return found
}

// Stats returns the counters.
func (r *Resolver) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

// Pending reports how many lookups are queued or in flight.
func (r *Resolver) Pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pending
}

// Close stops the workers, abandoning queued lookups and cancelling the
// queries in flight, and waits for them to end. Lookup still answers from
// the cache afterwards.
func (r *Resolver) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	r.mu.Unlock()
	close(r.quit)
	r.cancel()
	r.wg.Wait()
	for {
		select {
		case a := <-r.queue:
			r.mu.Lock()
			r.pending--
			if e := r.cache[a]; e != nil {
				e.pending = false
			}
			r.mu.Unlock()
		default:
			return
		}
	}
}

func (r *Resolver) worker() {
	defer r.wg.Done()
	for {
		select {
		case <-r.quit:
			return
		case a := <-r.queue:
			r.mu.Lock()
			r.stats.InFlight++
			r.stats.Queries++
			r.mu.Unlock()
			name, err := r.query(a)
			r.done(a, name, err)
		}
	}
}

func (r *Resolver) done(a netip.Addr, name string, err error) {
	now := r.cfg.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.InFlight--
	r.pending--
	e := r.cache[a]
	if e == nil {
		e = &entry{}
		r.cache[a] = e
	}
	e.pending = false
	if err == nil && name != "" {
		r.stats.Answers++
		e.name, e.ok, e.expires = name, true, now.Add(r.cfg.TTL)
		return
	}
	r.stats.Failures++
	e.name, e.ok, e.expires = "", false, now.Add(r.cfg.NegTTL)
}

// errNoName is a reply without a usable PTR record.
var errNoName = errors.New("rdns: no PTR record")

// query sends one PTR query (UDP, then TCP if the reply was truncated).
func (r *Resolver) query(a netip.Addr) (string, error) {
	ctx, cancel := context.WithTimeout(r.ctx, r.cfg.Timeout)
	defer cancel()
	qname := pdns.ReverseName(a)
	id := uint16(rand.Uint32())
	q := BuildQuery(id, qname, dnsmsg.TypePTR)
	conn, stop, err := r.dial(ctx, "udp")
	if err != nil {
		return "", err
	}
	defer conn.Close()
	defer stop()
	if _, err := conn.Write(q); err != nil {
		return "", err
	}
	buf := make([]byte, 4096)
	var m dnsmsg.Msg
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return "", err
		}
		if m.Parse(buf[:n]); !reply(&m, id, qname) {
			continue // not ours: keep waiting
		}
		if m.TC {
			return r.queryTCP(ctx, q, id, qname)
		}
		return answer(&m, qname)
	}
}

// dial connects to the server over network. The connection's deadline is
// ctx's, and cancelling ctx unblocks it at once; the caller closes the
// connection and calls stop.
func (r *Resolver) dial(ctx context.Context, network string) (net.Conn, func() bool, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, r.server)
	if err != nil {
		return nil, nil, err
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	return conn, stop, nil
}

func (r *Resolver) queryTCP(ctx context.Context, q []byte, id uint16, qname string) (string, error) {
	conn, stop, err := r.dial(ctx, "tcp")
	if err != nil {
		return "", err
	}
	defer conn.Close()
	defer stop()
	msg := make([]byte, 2+len(q))
	binary.BigEndian.PutUint16(msg, uint16(len(q)))
	copy(msg[2:], q)
	if _, err := conn.Write(msg); err != nil {
		return "", err
	}
	var hdr [2]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		return "", err
	}
	buf := make([]byte, binary.BigEndian.Uint16(hdr[:]))
	if _, err := io.ReadFull(conn, buf); err != nil {
		return "", err
	}
	var m dnsmsg.Msg
	if m.Parse(buf); !reply(&m, id, qname) {
		return "", errors.New("rdns: mismatched TCP reply")
	}
	return answer(&m, qname)
}

// reply reports whether m answers query id for qname.
func reply(m *dnsmsg.Msg, id uint16, qname string) bool {
	if m.Err != nil && m.ErrSection == 0 {
		return false
	}
	return m.QR && m.ID == id && len(m.Questions) == 1 &&
		m.Questions[0].Name == strings.TrimSuffix(qname, ".") && m.Questions[0].Type == dnsmsg.TypePTR
}

// answer takes the PTR target for qname from m's answers, following
// CNAMEs (RFC 2317 classless delegation).
func answer(m *dnsmsg.Msg, qname string) (string, error) {
	if m.Rcode != 0 {
		return "", errors.New("rdns: " + dnsmsg.RcodeName(uint16(m.Rcode)))
	}
	name := strings.TrimSuffix(qname, ".")
	ans := m.Answers()
	for step := 0; step <= len(ans); step++ {
		next := ""
		for i := range ans {
			rr := &ans[i]
			if rr.Name != name {
				continue
			}
			switch rr.Type {
			case dnsmsg.TypePTR:
				if rr.Target != "" {
					return rr.Target, nil
				}
			case dnsmsg.TypeCNAME:
				next = rr.Target
			}
		}
		if next == "" {
			break
		}
		name = next
	}
	return "", errNoName
}

// BuildQuery returns a DNS query message (recursion desired) for name
// (with or without the trailing dot) and type.
func BuildQuery(id uint16, name string, qtype uint16) []byte {
	b := make([]byte, 12, 12+len(name)+6)
	binary.BigEndian.PutUint16(b[0:], id)
	b[2] = 0x01 // RD
	b[5] = 1    // QDCOUNT
	for _, label := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		if label == "" {
			continue
		}
		if len(label) > 63 {
			label = label[:63]
		}
		b = append(b, byte(len(label)))
		b = append(b, label...)
	}
	b = append(b, 0, byte(qtype>>8), byte(qtype), 0, 1)
	return b
}
