package rdns

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/flowlog/flowlog/names/pdns"
)

// server is a real DNS server on loopback (github.com/miekg/dns), counting
// the queries it gets and how many it handles at once.
type server struct {
	addr        string
	queries     atomic.Int64
	inflight    atomic.Int64
	maxInflight atomic.Int64
	delay       atomic.Int64 // ns each answer waits
	mu          sync.Mutex
	names       map[string]string // PTR name -> target; missing: NXDOMAIN
	truncate    bool              // answer UDP with TC=1 and no records
}

func startServer(t *testing.T, network, laddr string) *server {
	t.Helper()
	s := &server{names: map[string]string{}}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		s.queries.Add(1)
		n := s.inflight.Add(1)
		for {
			m := s.maxInflight.Load()
			if n <= m || s.maxInflight.CompareAndSwap(m, n) {
				break
			}
		}
		if d := s.delay.Load(); d > 0 {
			time.Sleep(time.Duration(d))
		}
		resp := new(dns.Msg)
		resp.SetReply(req)
		q := req.Question[0]
		s.mu.Lock()
		target, ok := s.names[strings.ToLower(q.Name)]
		trunc := s.truncate
		s.mu.Unlock()
		_, udp := w.RemoteAddr().(*net.UDPAddr)
		switch {
		case trunc && udp:
			resp.Truncated = true
		case !ok:
			resp.Rcode = dns.RcodeNameError
		default:
			resp.Answer = append(resp.Answer, &dns.PTR{
				Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: 3600},
				Ptr: dns.Fqdn(target),
			})
		}
		// Leave before answering: the client may send its next query
		// as soon as it has the answer.
		s.inflight.Add(-1)
		w.WriteMsg(resp)
	})
	started := make(chan struct{})
	srv := &dns.Server{Handler: h, NotifyStartedFunc: func() { close(started) }}
	var tcp *dns.Server
	switch network {
	case "udp":
		pc, err := net.ListenPacket("udp", laddr)
		if err != nil {
			t.Skipf("cannot listen on %s: %v", laddr, err)
		}
		srv.PacketConn = pc
		s.addr = pc.LocalAddr().String()
		// The same port over TCP, for truncated answers.
		if l, err := net.Listen("tcp", s.addr); err == nil {
			tstarted := make(chan struct{})
			tcp = &dns.Server{Handler: h, Listener: l, NotifyStartedFunc: func() { close(tstarted) }}
			go tcp.ActivateAndServe()
			<-tstarted
		}
	}
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() {
		srv.Shutdown()
		if tcp != nil {
			tcp.Shutdown()
		}
	})
	return s
}

func (s *server) set(a, name string) {
	s.mu.Lock()
	s.names[pdns.ReverseName(netip.MustParseAddr(a))] = name
	s.mu.Unlock()
}

// clock is a settable test clock.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// wait polls Lookup until the resolver has nothing pending.
func wait(t *testing.T, r *Resolver) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for r.Pending() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("lookups still pending after 5s: %+v", r.Stats())
		}
		time.Sleep(time.Millisecond)
	}
}

func TestLookupAndTTL(t *testing.T) {
	s := startServer(t, "udp", "127.0.0.1:0")
	s.set("192.0.2.7", "host7.example.net")
	s.set("2001:db8::1", "v6.example.net")
	var clk clock
	clk.ns.Store(1e18)
	r, err := New(Config{Server: s.addr, TTL: 90 * time.Second, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	a := netip.MustParseAddr("192.0.2.7")
	if name, ok := r.Lookup(a); ok || name != "" {
		t.Fatalf("first Lookup = %q, %v; want a miss", name, ok)
	}
	wait(t, r)
	if name, ok := r.Lookup(a); !ok || name != "host7.example.net" {
		t.Fatalf("Lookup after the answer = %q, %v", name, ok)
	}
	// IPv4-mapped form is the same address.
	if name, _ := r.Lookup(netip.AddrFrom16(a.As16())); name != "host7.example.net" {
		t.Fatalf("mapped Lookup = %q", name)
	}
	r.Lookup(netip.MustParseAddr("2001:db8::1"))
	wait(t, r)
	if name, _ := r.Lookup(netip.MustParseAddr("2001:db8::1")); name != "v6.example.net" {
		t.Fatalf("IPv6 Lookup = %q", name)
	}
	q := s.queries.Load()
	// Within the TTL: answered from the cache, no query.
	clk.advance(89 * time.Second)
	if name, ok := r.Lookup(a); !ok || name != "host7.example.net" {
		t.Fatalf("Lookup within TTL = %q, %v", name, ok)
	}
	if got := s.queries.Load(); got != q {
		t.Fatalf("%d queries within the TTL, want none", got-q)
	}
	// After the TTL: a miss that queries again; the new answer is used.
	s.set("192.0.2.7", "renamed.example.net")
	clk.advance(2 * time.Second)
	if name, ok := r.Lookup(a); ok {
		t.Fatalf("Lookup after TTL = %q, want a miss", name)
	}
	wait(t, r)
	if got := s.queries.Load(); got != q+1 {
		t.Fatalf("%d queries after the TTL ran out, want 1", got-q)
	}
	if name, _ := r.Lookup(a); name != "renamed.example.net" {
		t.Fatalf("Lookup after refresh = %q", name)
	}
}

func TestNegativeCache(t *testing.T) {
	s := startServer(t, "udp", "127.0.0.1:0")
	var clk clock
	clk.ns.Store(1e18)
	r, err := New(Config{Server: s.addr, NegTTL: 5 * time.Second, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	a := netip.MustParseAddr("198.51.100.9") // NXDOMAIN
	r.Lookup(a)
	wait(t, r)
	if got := s.queries.Load(); got != 1 {
		t.Fatalf("%d queries, want 1", got)
	}
	for i := 0; i < 10; i++ {
		if name, ok := r.Lookup(a); ok || name != "" {
			t.Fatalf("failed address resolved to %q", name)
		}
	}
	clk.advance(4 * time.Second)
	r.Lookup(a)
	if got := s.queries.Load(); got != 1 {
		t.Fatalf("failure not cached: %d queries within NegTTL", got)
	}
	if st := r.Stats(); st.NegativeHits != 11 || st.Failures != 1 {
		t.Fatalf("stats %+v", st)
	}
	// After NegTTL it is asked again, and now resolves.
	s.set("198.51.100.9", "back.example.net")
	clk.advance(2 * time.Second)
	r.Lookup(a)
	wait(t, r)
	if got := s.queries.Load(); got != 2 {
		t.Fatalf("%d queries after NegTTL, want 2", got)
	}
	if name, ok := r.Lookup(a); !ok || name != "back.example.net" {
		t.Fatalf("Lookup = %q, %v", name, ok)
	}
}

func TestTimeoutIsNegative(t *testing.T) {
	// A server that never answers (a bound socket nobody reads).
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Skip(err)
	}
	defer pc.Close()
	r, err := New(Config{Server: pc.LocalAddr().String(), Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	a := netip.MustParseAddr("192.0.2.1")
	r.Lookup(a)
	wait(t, r)
	if st := r.Stats(); st.Failures != 1 || st.Answers != 0 {
		t.Fatalf("stats %+v, want one failure", st)
	}
}

func TestSlowServerDoesNotBlock(t *testing.T) {
	s := startServer(t, "udp", "127.0.0.1:0")
	s.delay.Store(int64(300 * time.Millisecond))
	r, err := New(Config{Server: s.addr, MaxInFlight: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var worst time.Duration
	const n = 200
	for i := 0; i < n; i++ {
		a := netip.AddrFrom4([4]byte{192, 0, 2, byte(i)})
		s.set(a.String(), fmt.Sprintf("h%d.example", i))
		t0 := time.Now()
		r.Lookup(a)
		if d := time.Since(t0); d > worst {
			worst = d
		}
	}
	t.Logf("%d Lookups while the server sleeps 300ms per answer: slowest took %v", n, worst)
	if worst > 5*time.Millisecond {
		t.Errorf("a Lookup took %v: it must not wait for the network", worst)
	}
	if s.inflight.Load() == 0 && s.queries.Load() == 0 {
		time.Sleep(50 * time.Millisecond)
	}
}

func TestConcurrencyLimit(t *testing.T) {
	s := startServer(t, "udp", "127.0.0.1:0")
	s.delay.Store(int64(100 * time.Millisecond))
	const limit = 3
	r, err := New(Config{Server: s.addr, MaxInFlight: limit})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	const n = 15
	for i := 0; i < n; i++ {
		a := netip.AddrFrom4([4]byte{203, 0, 113, byte(i)})
		s.set(a.String(), fmt.Sprintf("n%d.example", i))
		r.Lookup(a)
	}
	wait(t, r)
	if got := s.queries.Load(); got != n {
		t.Fatalf("server got %d queries, want %d", got, n)
	}
	if m := s.maxInflight.Load(); m > limit || m < limit {
		t.Fatalf("server saw %d queries at once, want exactly the limit %d", m, limit)
	}
	for i := 0; i < n; i++ {
		if name, ok := r.Lookup(netip.AddrFrom4([4]byte{203, 0, 113, byte(i)})); !ok || name != fmt.Sprintf("n%d.example", i) {
			t.Fatalf("address %d: %q %v", i, name, ok)
		}
	}
	t.Logf("max in flight at the server: %d (limit %d)", s.maxInflight.Load(), limit)
}

func TestTruncatedFallsBackToTCP(t *testing.T) {
	s := startServer(t, "udp", "127.0.0.1:0")
	s.truncate = true
	s.set("192.0.2.77", "over-tcp.example")
	r, err := New(Config{Server: s.addr})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	a := netip.MustParseAddr("192.0.2.77")
	r.Lookup(a)
	wait(t, r)
	if name, ok := r.Lookup(a); !ok || name != "over-tcp.example" {
		t.Fatalf("Lookup = %q, %v", name, ok)
	}
}

func TestIPv6Server(t *testing.T) {
	s := startServer(t, "udp", "[::1]:0")
	s.set("192.0.2.8", "via-v6.example")
	r, err := New(Config{Server: s.addr})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.Lookup(netip.MustParseAddr("192.0.2.8"))
	wait(t, r)
	if name, _ := r.Lookup(netip.MustParseAddr("192.0.2.8")); name != "via-v6.example" {
		t.Fatalf("Lookup via [::1] = %q", name)
	}
}

func TestQueueFullDrops(t *testing.T) {
	s := startServer(t, "udp", "127.0.0.1:0")
	s.delay.Store(int64(200 * time.Millisecond))
	r, err := New(Config{Server: s.addr, MaxInFlight: 1, MaxQueue: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i := 0; i < 10; i++ {
		r.Lookup(netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}))
	}
	if st := r.Stats(); st.Dropped == 0 {
		t.Fatalf("no lookup dropped with a full queue: %+v", st)
	}
	// A dropped address is tried again by a later Lookup.
	wait(t, r)
	r.Lookup(netip.AddrFrom4([4]byte{192, 0, 2, 9}))
	if r.Pending() == 0 && r.Stats().Queries < 4 {
		t.Fatalf("dropped address not retried: %+v", r.Stats())
	}
	wait(t, r)
}

func TestCloseCancels(t *testing.T) {
	s := startServer(t, "udp", "127.0.0.1:0")
	s.delay.Store(int64(time.Second))
	r, err := New(Config{Server: s.addr, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	r.Lookup(netip.MustParseAddr("192.0.2.200"))
	time.Sleep(20 * time.Millisecond)
	t0 := time.Now()
	r.Close()
	if d := time.Since(t0); d > time.Second {
		t.Fatalf("Close waited %v for a slow query", d)
	}
	if _, ok := r.Lookup(netip.MustParseAddr("192.0.2.200")); ok {
		t.Fatal("lookup after Close resolved")
	}
}

func TestBadServer(t *testing.T) {
	if _, err := New(Config{Server: "dns.example.com"}); err == nil {
		t.Fatal("a host name as server was accepted")
	}
	r, err := New(Config{Server: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Server() != "127.0.0.1:53" {
		t.Fatalf("server %q", r.Server())
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"60":       60 * time.Second,
		"90s":      90 * time.Second,
		"5m":       5 * time.Minute,
		"1h30m":    90 * time.Minute,
		"1h 30m":   90 * time.Minute,
		"2days":    48 * time.Hour,
		"1w":       7 * 24 * time.Hour,
		"500ms":    500 * time.Millisecond,
		"1.5s":     1500 * time.Millisecond,
		"3 min":    3 * time.Minute,
		"10sec":    10 * time.Second,
		"2 hours ": 2 * time.Hour,
	} {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "s", "5", "-5s", "5x", "1e9999h", "5 m x", "m5"} {
		if in == "5" {
			continue // a bare number is seconds
		}
		if d, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, d)
		}
	}
}
