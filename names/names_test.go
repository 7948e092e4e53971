package names

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
	"github.com/flowlog/flowlog/names/applog"
	"github.com/flowlog/flowlog/names/internal/corpus"
	"github.com/flowlog/flowlog/names/rdns"
	"github.com/flowlog/flowlog/names/service"
)

// TestCorpusPassiveNames replays a corpus trace where a DNS answer names
// the server an HTTP connection then goes to: conn.log's resp_name must
// be the name the client asked for.
func TestCorpusPassiveNames(t *testing.T) {
	entries := corpusEntries(t)
	var e *corpus.Entry
	for i := range entries {
		if entries[i].Name == "core.tunnels.gre-over-udp" {
			e = &entries[i]
		}
	}
	if e == nil {
		t.Skip("entry core.tunnels.gre-over-udp not in the corpus")
	}
	var dnsRecs []*applog.DNSRecord
	n := New(Config{Service: true, PassiveDNS: true, OnDNS: func(r *applog.DNSRecord) { dnsRecs = append(dnsRecs, r) }})
	cols := n.ConnColumns()
	var got []string
	err := e.Replay(corpus.Hooks{
		Opened: n.Opened,
		Closed: func(c *flow.Conn) {
			got = append(got, c.RespH.String()+":"+Service(c)+":"+cols[1].Value(c))
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, g := range got {
		if g == "192.0.78.150:http:zeek.org" {
			found = true
		}
	}
	if !found || len(dnsRecs) != 2 {
		t.Fatalf("connections %q, %d dns records", got, len(dnsRecs))
	}
	if st := n.Passive().Stats(); st.Learned != 2 {
		t.Fatalf("passive stats %+v", st)
	}
}

// TestPassiveBeforeReverse: a name learned from DNS traffic wins over the
// reverse DNS name; other addresses get reverse names (asynchronously).
func TestPassiveBeforeReverse(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Skip(err)
	}
	var mu sync.Mutex
	queries := 0
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		mu.Lock()
		queries++
		mu.Unlock()
		m := new(dns.Msg)
		m.SetReply(req)
		m.Answer = []dns.RR{&dns.PTR{Hdr: dns.RR_Header{Name: req.Question[0].Name, Rrtype: dns.TypePTR, Class: 1, Ttl: 60},
			Ptr: "ptr-" + strings.Split(req.Question[0].Name, ".")[0] + ".example."}}
		w.WriteMsg(m)
	})}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go srv.ActivateAndServe()
	<-started
	defer srv.Shutdown()

	r, err := rdns.New(rdns.Config{Server: pc.LocalAddr().String()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := New(Config{PassiveDNS: true, RDNS: r})
	ts := int64(1e18)
	m := new(dns.Msg)
	m.SetQuestion("www.example.com.", dns.TypeA)
	m.Response = true
	m.Answer = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: "www.example.com.", Rrtype: dns.TypeA, Class: 1, Ttl: 60}, A: net.ParseIP("192.0.2.7")}}
	buf, _ := m.Pack()

	// A DNS reply on a UDP connection, then a connection to the answer.
	tb := flow.New(flow.Config{Seed: 1})
	mk := func(src, dst string, sp, dp uint16, payload []byte) *decode.Packet {
		ts += 1e6
		p := &decode.Packet{TS: ts, N: 1}
		l := &p.Layers[0]
		l.Session = true
		l.Key = decode.Key{Src: decode.Addr(netip.MustParseAddr(src).As16()), Dst: decode.Addr(netip.MustParseAddr(dst).As16()),
			SrcPort: sp, DstPort: dp, Proto: decode.ProtoUDP}
		l.Payload, l.UDPLen, l.IPLen = payload, uint16(8+len(payload)), uint32(28+len(payload))
		return p
	}
	for _, p := range []*decode.Packet{
		mk("::ffff:10.0.0.53", "::ffff:10.0.0.1", 53, 40000, buf),
		mk("::ffff:10.0.0.1", "::ffff:192.0.2.7", 40001, 4444, []byte("x")),
	} {
		tb.Packet(p)
		n.Events(tb, p)
	}
	deadline := time.Now().Add(5 * time.Second)
	for r.Pending() > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := n.Name(decode.Addr(netip.MustParseAddr("::ffff:192.0.2.7").As16()), ts); got != "www.example.com" {
		t.Fatalf("passive name %q", got)
	}
	if got := n.Name(decode.Addr(netip.MustParseAddr("::ffff:10.0.0.1").As16()), ts); got != "ptr-1.example" {
		t.Fatalf("reverse name %q", got)
	}
	mu.Lock()
	defer mu.Unlock()
	// 10.0.0.53, 10.0.0.1 and 192.0.2.7 were all unknown when their
	// connections opened (the answer came in the same packet that opened
	// the DNS connection), so at most three queries; 192.0.2.7 was known
	// passively when its connection opened: two.
	if queries != 2 {
		t.Fatalf("%d reverse queries, want 2 (passive names are not asked for)", queries)
	}
}

// TestSmallDetectorsMatchAttach replays every corpus trace through Names
// (UDP detectors packed into the Analyzer ref as service.Small, promoted
// to a State for QUIC and DTLS handshakes) and through the watcher-based
// service.Detector.Attach (a State for every connection): the service
// column must be the same for every connection.
func TestSmallDetectorsMatchAttach(t *testing.T) {
	entries := corpusEntries(t)
	key := func(c *flow.Conn) string {
		return c.Trans.String() + " " + c.OrigH.String() + ":" + strconv.Itoa(int(c.OrigP)) + " " +
			c.RespH.String() + ":" + strconv.Itoa(int(c.RespP)) + " " + strconv.FormatInt(c.Start, 10)
	}
	conns, small, withService := 0, 0, 0
	for _, e := range entries {
		viaNames := map[string]string{}
		n := New(Config{Service: true})
		err := e.Replay(corpus.Hooks{
			Opened: func(tb *flow.Table, c *flow.Conn, p *decode.Packet) {
				n.Opened(tb, c, p)
				if c.AnalyzerRef()&refSmall != 0 {
					small++
				}
			},
			Closed: func(c *flow.Conn) { viaNames[key(c)] = Service(c) },
		})
		if err != nil {
			t.Logf("%s: %v", e.Name, err)
		}
		viaAttach := map[string]string{}
		d := service.New(service.Config{})
		_ = e.Replay(corpus.Hooks{
			Opened: d.Attach,
			Closed: func(c *flow.Conn) { viaAttach[key(c)] = service.Of(c) },
		})
		if len(viaNames) != len(viaAttach) {
			t.Errorf("%s: %d connections through Names, %d through Attach", e.Name, len(viaNames), len(viaAttach))
		}
		for k, v := range viaAttach {
			conns++
			if v != "" {
				withService++
			}
			if got, ok := viaNames[k]; !ok || got != v {
				t.Errorf("%s: %s: service %q through Names, %q through Attach", e.Name, k, got, v)
			}
		}
	}
	t.Logf("%d connections, %d with a service, %d started with a Small detector", conns, withService, small)
	if small == 0 || withService == 0 {
		t.Fatalf("nothing compared: %d Small detectors, %d services", small, withService)
	}
}

// corpusEntries returns the Zeek parity corpus's entries, skipping the
// test where the corpus is absent.
func corpusEntries(t *testing.T) []corpus.Entry {
	t.Helper()
	dir, ok := corpus.Dir()
	if !ok {
		t.Skip("Zeek parity corpus not found: skipping")
	}
	entries, err := corpus.Entries(dir)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}
