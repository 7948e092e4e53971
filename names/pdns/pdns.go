package pdns

import (
	"container/heap"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flowlog/flowlog/names/dnsmsg"
)

// Config tunes a Cache. Zero values take the defaults.
type Config struct {
	// MaxEntries bounds the number of addresses kept (default 65536).
	// When full, the entry that expires first is dropped.
	MaxEntries int
	// MinTTL and MaxTTL clamp record TTLs (defaults 0 and 24h). A TTL of
	// 0 is kept for MinTTL.
	MinTTL, MaxTTL time.Duration
}

// Cache maps addresses to the names that DNS answers gave them, expiring
// in packet time. It is safe for concurrent use: Observe typically runs on
// the flow table's goroutine, Lookup on the writers'.
type Cache struct {
	mu      sync.RWMutex
	cfg     Config
	entries map[netip.Addr]*entry
	exp     expHeap
	stats   Stats
	hits    atomic.Uint64
	misses  atomic.Uint64
}

// Stats counts cache activity.
type Stats struct {
	Messages, Learned, Expired, Evicted, Hits, Misses uint64
}

type entry struct {
	addr    netip.Addr
	name    string
	expires int64 // ns, packet time
	index   int   // in the heap
}

// New returns an empty Cache.
func New(cfg Config) *Cache {
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = 65536
	}
	if cfg.MaxTTL <= 0 {
		cfg.MaxTTL = 24 * time.Hour
	}
	return &Cache{cfg: cfg, entries: make(map[netip.Addr]*entry)}
}

// Observe learns from one DNS message seen at packet time ts (ns): every
// A and AAAA answer names its address, with the name the client asked for
// (the question, followed through CNAME answers: the owner of a CNAME
// chain), for the record's TTL; a PTR answer for a reverse name
// (in-addr.arpa, ip6.arpa) names the address it encodes. Replies with an
// error rcode, queries and malformed records teach nothing. m is not
// retained.
func (c *Cache) Observe(m *dnsmsg.Msg, ts int64) {
	if !m.QR || m.Rcode != 0 || m.Opcode != dnsmsg.OpQuery {
		return
	}
	answers := m.Answers()
	if len(answers) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.Messages++
	c.expire(ts)
	for i := range answers {
		rr := &answers[i]
		switch rr.Type {
		case dnsmsg.TypeA, dnsmsg.TypeAAAA:
			if !rr.Addr.IsValid() {
				continue
			}
			c.learn(rr.Addr.Unmap(), origin(m, answers, rr.Name), rr.TTL, ts)
		case dnsmsg.TypePTR:
			if a, ok := ReverseAddr(rr.Name); ok && rr.Target != "" {
				c.learn(a, rr.Target, rr.TTL, ts)
			}
		}
	}
}

// origin follows CNAME answers back from name to the name that was asked
// (bounded by the number of answers, so loops end).
func origin(m *dnsmsg.Msg, answers []dnsmsg.RR, name string) string {
	for step := 0; step < len(answers); step++ {
		prev := ""
		for i := range answers {
			if answers[i].Type == dnsmsg.TypeCNAME && answers[i].Target == name {
				prev = answers[i].Name
				break
			}
		}
		if prev == "" || prev == name {
			break
		}
		name = prev
	}
	return name
}

func (c *Cache) learn(a netip.Addr, name string, ttl uint32, ts int64) {
	if name == "" {
		return
	}
	d := time.Duration(ttl) * time.Second
	if d < c.cfg.MinTTL {
		d = c.cfg.MinTTL
	}
	if d > c.cfg.MaxTTL {
		d = c.cfg.MaxTTL
	}
	exp := ts + int64(d)
	if e, ok := c.entries[a]; ok {
		if e.name != name {
			e.name = strings.Clone(name)
		}
		e.expires = exp
		heap.Fix(&c.exp, e.index)
		c.stats.Learned++
		return
	}
	if len(c.entries) >= c.cfg.MaxEntries {
		e := heap.Pop(&c.exp).(*entry)
		delete(c.entries, e.addr)
		c.stats.Evicted++
	}
	e := &entry{addr: a, name: strings.Clone(name), expires: exp}
	c.entries[a] = e
	heap.Push(&c.exp, e)
	c.stats.Learned++
}

// expire drops the entries whose TTL ran out by ts.
func (c *Cache) expire(ts int64) {
	for len(c.exp) > 0 && c.exp[0].expires < ts {
		e := heap.Pop(&c.exp).(*entry)
		delete(c.entries, e.addr)
		c.stats.Expired++
	}
}

// Advance expires entries up to packet time ts (ns) without a message.
func (c *Cache) Advance(ts int64) {
	c.mu.Lock()
	c.expire(ts)
	c.mu.Unlock()
}

// Lookup returns the name DNS gave a at packet time ts (ns), if its TTL
// has not run out.
func (c *Cache) Lookup(a netip.Addr, ts int64) (string, bool) {
	a = a.Unmap()
	c.mu.RLock()
	e, ok := c.entries[a]
	var name string
	if ok && e.expires >= ts {
		name = e.name
	} else {
		ok = false
	}
	c.mu.RUnlock()
	if ok {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	return name, ok
}

// Len returns the number of entries (expired ones included until the
// next Observe or Advance).
func (c *Cache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}

// Stats returns the counters.
func (c *Cache) Stats() Stats {
	c.mu.RLock()
	defer c.mu.RUnlock()
	s := c.stats
	s.Hits, s.Misses = c.hits.Load(), c.misses.Load()
	return s
}

// ReverseAddr parses a reverse-lookup name ("4.3.2.1.in-addr.arpa",
// "b.a.9.8....ip6.arpa", any case, with or without the trailing dot).
func ReverseAddr(name string) (netip.Addr, bool) {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	if s, ok := strings.CutSuffix(name, ".in-addr.arpa"); ok {
		parts := strings.Split(s, ".")
		if len(parts) != 4 {
			return netip.Addr{}, false
		}
		var b [4]byte
		for i, p := range parts {
			if len(p) == 0 || len(p) > 3 || (len(p) > 1 && p[0] == '0') {
				return netip.Addr{}, false
			}
			v := 0
			for _, ch := range []byte(p) {
				if ch < '0' || ch > '9' {
					return netip.Addr{}, false
				}
				v = v*10 + int(ch-'0')
			}
			if v > 255 {
				return netip.Addr{}, false
			}
			b[3-i] = byte(v)
		}
		return netip.AddrFrom4(b), true
	}
	if s, ok := strings.CutSuffix(name, ".ip6.arpa"); ok {
		if len(s) != 63 {
			return netip.Addr{}, false
		}
		var b [16]byte
		for i := 0; i < 32; i++ {
			ch := s[2*i]
			if i < 31 && s[2*i+1] != '.' {
				return netip.Addr{}, false
			}
			var v byte
			switch {
			case ch >= '0' && ch <= '9':
				v = ch - '0'
			case ch >= 'a' && ch <= 'f':
				v = ch - 'a' + 10
			default:
				return netip.Addr{}, false
			}
			n := 31 - i // nibble index from the most significant
			if n%2 == 0 {
				b[n/2] |= v << 4
			} else {
				b[n/2] |= v
			}
		}
		return netip.AddrFrom16(b), true
	}
	return netip.Addr{}, false
}

// ReverseName returns the PTR query name for a ("1.2.0.192.in-addr.arpa."
// or the ip6.arpa nibble form), with the trailing dot.
func ReverseName(a netip.Addr) string {
	a = a.Unmap()
	if a.Is4() {
		b := a.As4()
		var s []byte
		for i := 3; i >= 0; i-- {
			s = appendUint(s, int(b[i]))
			s = append(s, '.')
		}
		return string(append(s, "in-addr.arpa."...))
	}
	b := a.As16()
	const hex = "0123456789abcdef"
	s := make([]byte, 0, 73)
	for i := 15; i >= 0; i-- {
		s = append(s, hex[b[i]&15], '.', hex[b[i]>>4], '.')
	}
	return string(append(s, "ip6.arpa."...))
}

func appendUint(b []byte, v int) []byte {
	if v >= 100 {
		b = append(b, byte('0'+v/100))
	}
	if v >= 10 {
		b = append(b, byte('0'+v/10%10))
	}
	return append(b, byte('0'+v%10))
}

type expHeap []*entry

func (h expHeap) Len() int           { return len(h) }
func (h expHeap) Less(i, j int) bool { return h[i].expires < h[j].expires }
func (h expHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *expHeap) Push(x any) {
	e := x.(*entry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *expHeap) Pop() any {
	old := *h
	n := len(old)
	e := old[n-1]
	old[n-1] = nil
	*h = old[:n-1]
	return e
}
