package scripts

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

// tf builds a test flow. local and remote are "ip:port" (IPv6 in
// brackets); the local side is the originator.
func tf(proto, local, remote, rdns, sni string) Flow {
	l := netip.MustParseAddrPort(local)
	r := netip.MustParseAddrPort(remote)
	return Flow{
		Event: EventOpened, UID: "Ctest", TS: 1000, Proto: proto,
		OrigH: l.Addr(), OrigP: l.Port(), RespH: r.Addr(), RespP: r.Port(),
		Local: l, Remote: r, LocalIsOrig: true, State: "S0", History: "S",
		RemoteHost: rdns, SNI: sni,
	}
}

const lan4 = "192.168.1.10:51000"
const lan6 = "[2001:db8:ffff::10]:51000"

type matchCase struct {
	name   string
	watch  []string
	ignore []string
	flow   Flow
	want   bool
}

// matchCases covers every pattern form and matching rule. Each case runs
// three ways: PatternSet.Match, JavaScript (flowlog.patterns and
// flowlog.match) and a net.packet sensor in a sensor file.
var matchCases = []matchCase{
	// Seed 000: the documentation's example sensor.
	{"seed: *.comcast.net by rDNS", []string{"*.au-net.ne.jp", "*.comcast.net", "*.nt-isp.net"}, []string{"udp * *"},
		tf("tcp", lan4, "73.1.2.3:443", "c-73-1-2-3.hsd1.ma.comcast.net", ""), true},
	{"seed: *.au-net.ne.jp", []string{"*.au-net.ne.jp", "*.comcast.net", "*.nt-isp.net"}, []string{"udp * *"},
		tf("tcp", lan4, "106.1.2.3:80", "KD106001002003.au-net.ne.jp", ""), true},
	{"seed: *.nt-isp.net by SNI", []string{"*.au-net.ne.jp", "*.comcast.net", "*.nt-isp.net"}, []string{"udp * *"},
		tf("tcp", lan4, "5.6.7.8:443", "", "p1.nt-isp.net"), true},
	{"seed: udp ignored", []string{"*.au-net.ne.jp", "*.comcast.net", "*.nt-isp.net"}, []string{"udp * *"},
		tf("udp", lan4, "73.1.2.3:443", "c-73-1-2-3.hsd1.ma.comcast.net", ""), false},
	{"seed: udp6 ignored by udp", []string{"*.comcast.net"}, []string{"udp * *"},
		tf("udp", lan6, "[2001:558::1]:443", "x.comcast.net", ""), false},
	{"seed: other domain", []string{"*.au-net.ne.jp", "*.comcast.net", "*.nt-isp.net"}, []string{"udp * *"},
		tf("tcp", lan4, "8.8.8.8:443", "dns.google", ""), false},
	{"seed: tcp * 1.2.3.4:*", []string{"tcp * 1.2.3.4:*"}, nil, tf("tcp", lan4, "1.2.3.4:8443", "", ""), true},
	{"seed: tcp * 1.2.3.4:* other ip", []string{"tcp * 1.2.3.4:*"}, nil, tf("tcp", lan4, "1.2.3.5:8443", "", ""), false},
	{"seed: tcp * 1.2.3.4:* udp", []string{"tcp * 1.2.3.4:*"}, nil, tf("udp", lan4, "1.2.3.4:53", "", ""), false},
	{"seed: 1.2.3.*", []string{"1.2.3.*"}, nil, tf("tcp", lan4, "1.2.3.99:80", "", ""), true},
	{"seed: 1.2.3.4:443", []string{"1.2.3.4:443"}, nil, tf("tcp", lan4, "1.2.3.4:443", "", ""), true},
	{"seed: 1.2.3.4:443 wrong port (Sysinspect dropped ports)", []string{"1.2.3.4:443"}, nil, tf("tcp", lan4, "1.2.3.4:80", "", ""), false},

	// Host globs.
	{"bare domain does not match *.", []string{"*.comcast.net"}, nil, tf("tcp", lan4, "73.1.2.3:443", "comcast.net", ""), false},
	{"host case-insensitive name", []string{"*.comcast.net"}, nil, tf("tcp", lan4, "73.1.2.3:443", "C-1.HSD1.COMCAST.NET", ""), true},
	{"host case-insensitive pattern", []string{"*.COMCAST.Net"}, nil, tf("tcp", lan4, "73.1.2.3:443", "c-1.comcast.net", ""), true},
	{"host trailing dot in name", []string{"*.comcast.net"}, nil, tf("tcp", lan4, "73.1.2.3:443", "c-1.comcast.net.", ""), true},
	{"host trailing dot in pattern", []string{"*.comcast.net."}, nil, tf("tcp", lan4, "73.1.2.3:443", "c-1.comcast.net", ""), true},
	{"host SNI when no rDNS", []string{"*.comcast.net"}, nil, tf("tcp", lan4, "73.1.2.3:443", "", "video.comcast.net"), true},
	{"host SNI when rDNS differs", []string{"*.comcast.net"}, nil, tf("tcp", lan4, "73.1.2.3:443", "edge.akamai.net", "video.comcast.net"), true},
	{"host rDNS when SNI differs", []string{"*.comcast.net"}, nil, tf("tcp", lan4, "73.1.2.3:443", "c-1.comcast.net", "www.example.org"), true},
	{"host unknown", []string{"*.comcast.net"}, nil, tf("tcp", lan4, "73.1.2.3:443", "", ""), false},
	{"host exact", []string{"example.com"}, nil, tf("tcp", lan4, "93.184.216.34:443", "example.com", ""), true},
	{"host exact not subdomain", []string{"example.com"}, nil, tf("tcp", lan4, "93.184.216.34:443", "www.example.com", ""), false},
	{"host ?", []string{"ex?mple.com"}, nil, tf("tcp", lan4, "93.184.216.34:443", "example.com", ""), true},
	{"host ? needs one byte", []string{"ex?mple.com"}, nil, tf("tcp", lan4, "93.184.216.34:443", "exmple.com", ""), false},
	{"host [a-c]", []string{"[a-c]*.example.com"}, nil, tf("tcp", lan4, "93.184.216.34:443", "b1.example.com", ""), true},
	{"host [a-c] miss", []string{"[a-c]*.example.com"}, nil, tf("tcp", lan4, "93.184.216.34:443", "d1.example.com", ""), false},
	{"host [!a-c]", []string{"[!a-c]*.example.com"}, nil, tf("tcp", lan4, "93.184.216.34:443", "d1.example.com", ""), true},
	{"host [!a-c] miss", []string{"[!a-c]*.example.com"}, nil, tf("tcp", lan4, "93.184.216.34:443", "a1.example.com", ""), false},
	{"host [A-C] folds", []string{"[A-C]1.example.com"}, nil, tf("tcp", lan4, "93.184.216.34:443", "b1.EXAMPLE.com", ""), true},
	{"host * spans dots", []string{"*.example.*"}, nil, tf("tcp", lan4, "93.184.216.34:443", "a.b.example.co.uk", ""), true},
	{"host several stars", []string{"*api*.*.io"}, nil, tf("tcp", lan4, "93.184.216.34:443", "eu-api-3.svc.io", ""), true},
	{"host is remote only", []string{"*.corp.example"}, nil,
		func() Flow {
			f := tf("tcp", lan4, "8.8.8.8:53", "", "")
			f.LocalHost = "ws1.corp.example"
			return f
		}(), false},

	// IP and IP:port globs.
	{"ip glob other /24", []string{"1.2.3.*"}, nil, tf("tcp", lan4, "1.2.33.4:80", "", ""), false},
	{"ip glob * spans dots", []string{"1.2.*"}, nil, tf("tcp", lan4, "1.2.3.4:80", "", ""), true},
	{"ip literal", []string{"1.2.3.4"}, nil, tf("tcp", lan4, "1.2.3.4:80", "", ""), true},
	{"ip literal miss", []string{"1.2.3.4"}, nil, tf("tcp", lan4, "1.2.3.5:80", "", ""), false},
	{"ip class", []string{"1.2.3.[1-5]"}, nil, tf("tcp", lan4, "1.2.3.4:80", "", ""), true},
	{"ip class miss", []string{"1.2.3.[1-5]"}, nil, tf("tcp", lan4, "1.2.3.6:80", "", ""), false},
	{"ip ?", []string{"1.2.3.?"}, nil, tf("tcp", lan4, "1.2.3.4:80", "", ""), true},
	{"ip ? one byte", []string{"1.2.3.?"}, nil, tf("tcp", lan4, "1.2.3.44:80", "", ""), false},
	{"ip matches remote not local", []string{"192.168.1.10"}, nil, tf("tcp", lan4, "8.8.8.8:53", "", ""), false},
	{"ip v4-mapped remote", []string{"1.2.3.4"}, nil, tf("tcp", lan6, "[::ffff:1.2.3.4]:80", "", ""), true},
	{"ipv4 glob is IPv4 only", []string{"*4"}, nil, tf("tcp", lan6, "[2001:db8::4]:80", "", ""), false},
	{"*:443 v4", []string{"*:443"}, nil, tf("tcp", lan4, "9.9.9.9:443", "", ""), true},
	{"*:443 v6", []string{"*:443"}, nil, tf("tcp", lan6, "[2001:db8::1]:443", "", ""), true},
	{"*:443 other port", []string{"*:443"}, nil, tf("tcp", lan4, "9.9.9.9:80", "", ""), false},
	{"ip:* any port", []string{"1.2.3.*:*"}, nil, tf("tcp", lan4, "1.2.3.4:1", "", ""), true},
	{"port glob", []string{"1.2.3.4:44?"}, nil, tf("tcp", lan4, "1.2.3.4:443", "", ""), true},
	{"port glob length", []string{"1.2.3.4:44?"}, nil, tf("tcp", lan4, "1.2.3.4:4430", "", ""), false},
	{"[v6 glob]:port", []string{"[2001:db8::*]:443"}, nil, tf("tcp", lan6, "[2001:db8::1]:443", "", ""), true},
	{"[v6 glob]:port wrong port", []string{"[2001:db8::*]:443"}, nil, tf("tcp", lan6, "[2001:db8::1]:80", "", ""), false},
	{"[v6 glob]:port wrong net", []string{"[2001:db8::*]:443"}, nil, tf("tcp", lan6, "[2001:db9::1]:443", "", ""), false},
	{"[v6 literal]", []string{"[2001:db8::1]"}, nil, tf("udp", lan6, "[2001:db8::1]:53", "", ""), true},
	{"[v6 literal non-canonical]:port", []string{"[2001:0DB8:0::1]:53"}, nil, tf("udp", lan6, "[2001:db8::1]:53", "", ""), true},
	{"bare v6 glob", []string{"2001:db8::*"}, nil, tf("tcp", lan6, "[2001:db8::abcd]:22", "", ""), true},
	{"bare v6 glob upper case", []string{"2001:DB8::*"}, nil, tf("tcp", lan6, "[2001:db8::abcd]:22", "", ""), true},
	{"bare v6 glob not v4", []string{"2001:db8::*"}, nil, tf("tcp", lan4, "1.2.3.4:22", "", ""), false},
	{"[*]:443 IPv6 only", []string{"[*]:443"}, nil, tf("tcp", lan6, "[::1]:443", "", ""), true},
	{"[*]:443 not v4", []string{"[*]:443"}, nil, tf("tcp", lan4, "1.2.3.4:443", "", ""), false},
	{"* alone matches all", []string{"*"}, nil, tf("icmp", lan4, "1.2.3.4:8", "", ""), true},
	{"*.* is an IPv4 glob", []string{"*.*"}, nil, tf("tcp", lan4, "1.2.3.4:80", "", ""), true},

	// CIDR and CIDR:port.
	{"cidr", []string{"10.0.0.0/8"}, nil, tf("tcp", lan4, "10.1.2.3:80", "", ""), true},
	{"cidr miss", []string{"10.0.0.0/8"}, nil, tf("tcp", lan4, "11.0.0.1:80", "", ""), false},
	{"cidr:port", []string{"10.0.0.0/8:443"}, nil, tf("tcp", lan4, "10.1.2.3:443", "", ""), true},
	{"cidr:port wrong port", []string{"10.0.0.0/8:443"}, nil, tf("tcp", lan4, "10.1.2.3:80", "", ""), false},
	{"cidr host bits masked", []string{"10.1.2.3/8"}, nil, tf("tcp", lan4, "10.200.0.1:80", "", ""), true},
	{"cidr:*", []string{"10.0.0.0/8:*"}, nil, tf("tcp", lan4, "10.200.0.1:80", "", ""), true},
	{"cidr v6", []string{"2001:db8::/32"}, nil, tf("tcp", lan6, "[2001:db8:1::1]:80", "", ""), true},
	{"cidr v6 miss", []string{"2001:db8::/32"}, nil, tf("tcp", lan6, "[2001:db9::1]:80", "", ""), false},
	{"[cidr v6]:port", []string{"[2001:db8::/32]:443"}, nil, tf("tcp", lan6, "[2001:db8::5]:443", "", ""), true},
	{"[cidr v6]:port wrong port", []string{"[2001:db8::/32]:443"}, nil, tf("tcp", lan6, "[2001:db8::5]:80", "", ""), false},
	{"v4 cidr not v6", []string{"0.0.0.0/0"}, nil, tf("tcp", lan6, "[2001:db8::5]:80", "", ""), false},

	// DSL.
	{"dsl udp", []string{"udp * *"}, nil, tf("udp", lan4, "8.8.8.8:53", "", ""), true},
	{"dsl udp not tcp", []string{"udp * *"}, nil, tf("tcp", lan4, "8.8.8.8:53", "", ""), false},
	{"dsl udp matches udp6", []string{"udp * *"}, nil, tf("udp", lan6, "[2001:db8::53]:53", "", ""), true},
	{"dsl udp6 only v6", []string{"udp6 * *"}, nil, tf("udp", lan4, "8.8.8.8:53", "", ""), false},
	{"dsl udp6 v6", []string{"udp6 * *"}, nil, tf("udp", lan6, "[2001:db8::53]:53", "", ""), true},
	{"dsl tcp6", []string{"tcp6 * *"}, nil, tf("tcp", lan6, "[2001:db8::1]:443", "", ""), true},
	{"dsl tcp4", []string{"tcp4 * *"}, nil, tf("tcp", lan6, "[2001:db8::1]:443", "", ""), false},
	{"dsl upper-case proto", []string{"TCP * *"}, nil, tf("tcp", lan4, "1.1.1.1:443", "", ""), true},
	{"dsl tabs", []string{"tcp\t*\t*:443"}, nil, tf("tcp", lan4, "1.1.1.1:443", "", ""), true},
	{"dsl local endpoint", []string{"tcp 192.168.1.10:* *"}, nil, tf("tcp", lan4, "1.1.1.1:443", "", ""), true},
	{"dsl local endpoint miss", []string{"tcp 192.168.1.11:* *"}, nil, tf("tcp", lan4, "1.1.1.1:443", "", ""), false},
	{"dsl local cidr", []string{"tcp 192.168.0.0/16 *:22"}, nil, tf("tcp", lan4, "1.1.1.1:22", "", ""), true},
	{"dsl local port", []string{"tcp *:51000 *"}, nil, tf("tcp", lan4, "1.1.1.1:22", "", ""), true},
	{"dsl remote v6", []string{"tcp * [2001:db8::*]:443"}, nil, tf("tcp", lan6, "[2001:db8::7]:443", "", ""), true},
	{"dsl * * * icmp", []string{"* * *"}, nil, tf("icmp", lan4, "1.1.1.1:8", "", ""), true},
	{"dsl icmp", []string{"icmp * *"}, nil, tf("icmp", lan4, "1.1.1.1:8", "", ""), true},
	{"dsl other transport only *", []string{"tcp * *", "udp * *"}, nil, tf("unknown_transport", lan4, "1.1.1.1:0", "", ""), false},

	// Matching rules.
	{"OR within a class", []string{"1.2.3.4", "5.6.7.8"}, nil, tf("tcp", lan4, "5.6.7.8:80", "", ""), true},
	{"OR within host class", []string{"*.a.example", "*.b.example"}, nil, tf("tcp", lan4, "5.6.7.8:80", "x.b.example", ""), true},
	{"AND across classes: host and addr", []string{"*.comcast.net", "73.0.0.0/8"}, nil, tf("tcp", lan4, "73.1.2.3:443", "c.comcast.net", ""), true},
	{"AND across classes: addr fails", []string{"*.comcast.net", "73.0.0.0/8"}, nil, tf("tcp", lan4, "74.1.2.3:443", "c.comcast.net", ""), false},
	{"AND across classes: host fails", []string{"*.comcast.net", "73.0.0.0/8"}, nil, tf("tcp", lan4, "73.1.2.3:443", "", ""), false},
	{"AND three classes", []string{"*.comcast.net", "73.0.0.0/8", "tcp * *:443"}, nil, tf("tcp", lan4, "73.1.2.3:443", "c.comcast.net", ""), true},
	{"AND three classes: dsl fails", []string{"*.comcast.net", "73.0.0.0/8", "tcp * *:443"}, nil, tf("tcp", lan4, "73.1.2.3:80", "c.comcast.net", ""), false},
	{"ignore wins over watch", []string{"*"}, []string{"8.8.8.8"}, tf("udp", lan4, "8.8.8.8:53", "", ""), false},
	{"ignore host by rDNS", []string{"*"}, []string{"*.google.com"}, tf("tcp", lan4, "142.250.1.1:443", "fra16s01-in-f1.1e100.net", "www.google.com"), false},
	{"ignore host unknown does not exclude", []string{"*"}, []string{"*.google.com"}, tf("tcp", lan4, "142.250.1.1:443", "", ""), true},
	{"ignore any class excludes", []string{"*:443"}, []string{"*.google.com", "10.0.0.0/8", "udp * *"}, tf("tcp", lan4, "10.1.1.1:443", "", ""), false},
	{"ignore none matches", []string{"*:443"}, []string{"*.google.com", "10.0.0.0/8", "udp * *"}, tf("tcp", lan4, "11.1.1.1:443", "", ""), true},
	{"entries trimmed, empty dropped", []string{"  *.comcast.net  ", "", "   "}, []string{" ", "\t"}, tf("tcp", lan4, "73.1.2.3:443", "c.comcast.net", ""), true},
	{"empty watch matches all not ignored", nil, []string{"udp * *"}, tf("tcp", lan4, "73.1.2.3:443", "", ""), true},
	{"empty watch, ignored", nil, []string{"udp * *"}, tf("udp", lan4, "73.1.2.3:443", "", ""), false},
	{"local/remote unset: orig is local", []string{"tcp 10.0.0.1:* 10.0.0.2:80"}, nil,
		func() Flow {
			f := tf("tcp", "10.0.0.1:1234", "10.0.0.2:80", "", "")
			f.Local, f.Remote = netip.AddrPort{}, netip.AddrPort{}
			return f
		}(), true},
	{"local is resp", []string{"tcp 10.0.0.2:80 10.9.9.9:*"}, nil,
		func() Flow {
			f := tf("tcp", "10.9.9.9:40000", "10.0.0.2:80", "", "")
			f.Local, f.Remote, f.LocalIsOrig = netip.MustParseAddrPort("10.0.0.2:80"), netip.MustParseAddrPort("10.9.9.9:40000"), false
			return f
		}(), true},
}

func TestMatchGo(t *testing.T) {
	for i, c := range matchCases {
		ps, err := CompilePatterns(c.watch, c.ignore)
		if err != nil {
			t.Fatalf("case %d %q: %v", i, c.name, err)
		}
		if got := ps.Match(&c.flow); got != c.want {
			t.Errorf("case %d %q: watch %q ignore %q: got %v, want %v", i, c.name, c.watch, c.ignore, got, c.want)
		}
	}
}

// TestMatchJS runs every case through flowlog.patterns(watch, ignore) and,
// when there is no ignore list, flowlog.match(watch, flow).
func TestMatchJS(t *testing.T) {
	type jc struct {
		W []string `json:"w"`
		I []string `json:"i"`
	}
	var cases []jc
	for _, c := range matchCases {
		cases = append(cases, jc{W: append([]string{}, c.watch...), I: append([]string{}, c.ignore...)})
	}
	js, _ := json.Marshal(cases)
	src := "var cases = " + string(js) + `;
var pre = cases.map(function (c) { return flowlog.patterns(c.w, c.i); });
flowlog.on("opened", function (flow) {
  var c = cases[+flow.uid.slice(1)];
  if (flowlog.patterns(c.w, c.i).match(flow)) flow.tag("patterns");
  if (pre[+flow.uid.slice(1)].match(flow)) flow.tag("pre");
  if (flowlog.match(pre[+flow.uid.slice(1)], flow)) flow.tag("match-obj");
  if (c.i.length === 0 && flowlog.match(c.w, flow)) flow.tag("match");
});`
	r := newTestRuntime(t, Options{}, Source{"cases.js", src})
	for i, c := range matchCases {
		f := c.flow
		f.UID = fmt.Sprintf("C%d", i)
		for round := 0; round < 2; round++ { // the second round hits the pattern cache
			v, err := r.Call(&f)
			if err != nil {
				t.Fatalf("case %d %q: %v", i, c.name, err)
			}
			want := []string{}
			if c.want {
				want = []string{"patterns", "pre", "match-obj"}
				if len(c.ignore) == 0 {
					want = append(want, "match")
				}
			}
			if strings.Join(v.Tags, ",") != strings.Join(want, ",") {
				t.Errorf("case %d %q round %d: tags %q, want %q", i, c.name, round, v.Tags, want)
			}
		}
	}
}

// TestMatchSensor runs every case as a net.packet sensor in a sensor file.
func TestMatchSensor(t *testing.T) {
	var b strings.Builder
	for i, c := range matchCases {
		var w []string
		for _, p := range c.watch {
			if strings.TrimSpace(p) != "" {
				w = append(w, p)
			}
		}
		if len(w) == 0 {
			continue // sensors require non-empty patterns
		}
		q := func(list []string) string {
			out, _ := json.Marshal(list)
			return string(out)
		}
		fmt.Fprintf(&b, "s%d:\n  listener: net.packet\n  args:\n    patterns: %s\n    ignore: %s\n", i, q(c.watch), q(c.ignore))
	}
	set, err := ParseSensors("cases.yaml", []byte(b.String()), SensorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*Sensor{}
	for _, sn := range set.Sensors {
		byID[sn.ID] = sn
	}
	for i, c := range matchCases {
		sn := byID[fmt.Sprintf("s%d", i)]
		if sn == nil {
			continue
		}
		one := &SensorSet{Sensors: []*Sensor{sn}, locks: NewLockTable()}
		for _, ev := range []string{EventOpened, EventClosed} {
			f := c.flow
			f.Event = ev
			got := one.Evaluate(&f, nil)
			if (len(got) == 1) != c.want {
				t.Errorf("case %d %q (%s): %d events, want match=%v", i, c.name, ev, len(got), c.want)
			}
		}
	}
}

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		pat   string
		class Class
		form  string
	}{
		{"*.comcast.net", ClassHost, FormHostGlob},
		{"example.com", ClassHost, FormHostGlob},
		{"localhost", ClassHost, FormHostGlob},
		{"[a-z]*.example.com", ClassHost, FormHostGlob},
		{"xn--bcher-kva.example", ClassHost, FormHostGlob},
		{"1-2-3.example", ClassHost, FormHostGlob},
		{"1.2.3.*", ClassAddr, FormIPGlob},     // Sysinspect: host ('*' and '.')
		{"1.2.3.4", ClassAddr, FormIP},         //
		{"1.2.3.4:443", ClassAddr, FormIPPort}, // Sysinspect: ip, port dropped
		{"*:443", ClassAddr, FormIPPort},
		{"1.2.3.*:*", ClassAddr, FormIPPort},
		{"[2001:db8::*]:443", ClassAddr, FormIPPort}, // Sysinspect: host (letters)
		{"[2001:db8::1]", ClassAddr, FormIP},
		{"2001:db8::1", ClassAddr, FormIP},
		{"::1:80", ClassAddr, FormIP}, // bare IPv6 never has a port
		{"2001:db8::*", ClassAddr, FormIPGlob},
		{"[*]:443", ClassAddr, FormIPPort},
		{"*", ClassAddr, FormIPGlob},
		{"*.*", ClassAddr, FormIPGlob},
		{"1.2.3.[0-9]", ClassAddr, FormIPGlob},
		{"10.0.0.0/8", ClassAddr, FormCIDR},
		{"10.0.0.0/8:443", ClassAddr, FormCIDRPort},
		{"2001:db8::/32", ClassAddr, FormCIDR},
		{"[2001:db8::/32]", ClassAddr, FormCIDR},
		{"[2001:db8::/32]:443", ClassAddr, FormCIDRPort},
		{"udp * *", ClassDSL, FormDSL}, // Sysinspect: host (letters)
		{"tcp * 1.2.3.4:*", ClassDSL, FormDSL},
		{"  tcp   *   *  ", ClassDSL, FormDSL},
	} {
		p, err := ParsePattern(c.pat)
		if err != nil {
			t.Errorf("%q: %v", c.pat, err)
			continue
		}
		if p.Class() != c.class || p.Form() != c.form {
			t.Errorf("%q: class %v form %q, want %v %q", c.pat, p.Class(), p.Form(), c.class, c.form)
		}
		if p.String() != strings.TrimSpace(c.pat) {
			t.Errorf("%q: String() = %q", c.pat, p.String())
		}
	}
}

func TestParsePatternErrors(t *testing.T) {
	for _, c := range []struct{ pat, msg string }{
		{"", "empty pattern"},
		{"   ", "empty pattern"},
		{"443", "not an IP address (a port alone is written *:443)"},
		{"*.comcast.net:443", "host globs take no port"},
		{"example.com:443", "host globs take no port"},
		{"1.2.3.4:99999", "bad port"},
		{"1.2.3.4:", "missing port"},
		{"1.2.3.4:http", "bad port"},
		{"10.0.0.0/8:1.5", "bad port"},
		{"10.0.0.0/8:4.*", "bad port glob"},
		{"[2001:db8::1", "unclosed '['"},
		{"[2001:db8::1]:", "missing port"},
		{"[1.2.3.4]:80", "IPv4 goes without brackets"},
		{"[2001:db8::/32", "unclosed"},
		{"2001:db8::1]:80", "misplaced ']'"},
		{"udp *", "needs 3 fields"},
		{"udp * * *", "needs 3 fields"},
		{"sctp * *", "unknown DSL protocol"},
		{"tcp * example.com", "endpoints are addresses"},
		{"tcp * 1.2.3.4:99999", "bad port"},
		{"10.0.0.0/33", "bad CIDR"},
		{"1.2.3.4/24/8", "bad CIDR"},
		{"2001:db8::/32:443", "IPv6 with a port is written [prefix]:port"},
		{"1.2.3.4.5", "not an IP address"},
		{"300.1.1.1", "not an IP address"},
		{"fe80::1%eth0", "not an IP address"},
		{"1.2.3.4:[", "unclosed '['"},
		{"[a-", "unclosed '['"},
		{"[]", "unclosed '['"},
		{"[z-a].example.com", "bad range"},
		{"exämple.com", "non-ASCII"},
		{"foo@bar.com", "invalid character '@'"},
		{"1.2.3.%*", "invalid character '%' in IPv4 pattern"},
		{"2001:db8::g*", "invalid character 'g' in IPv6 pattern"},
		{"@@", "invalid character '@' in IPv4 pattern"},
		{"1.2.3.4+", "invalid character '+' in IPv4 pattern"},
	} {
		_, err := ParsePattern(c.pat)
		if err == nil {
			t.Errorf("%q: no error, want %q", c.pat, c.msg)
			continue
		}
		if !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%q: error %q, want it to contain %q", c.pat, err, c.msg)
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("%q", strings.TrimSpace(c.pat))) {
			t.Errorf("%q: error %q does not name the pattern", c.pat, err)
		}
	}
	if _, err := CompilePatterns([]string{"*.ok", "1.2.3.4:99999"}, nil); err == nil || !strings.Contains(err.Error(), "patterns[1]") {
		t.Errorf("CompilePatterns error %v does not name patterns[1]", err)
	}
	if _, err := CompilePatterns(nil, []string{"udp *"}); err == nil || !strings.Contains(err.Error(), "ignore[0]") {
		t.Errorf("CompilePatterns error %v does not name ignore[0]", err)
	}
}

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		pat, text string
		fold      bool
		want      bool
	}{
		{"*", "", false, true},
		{"*", "anything.at.all", false, true},
		{"a*b*c", "abc", false, true},
		{"a*b*c", "aXXbYYc", false, true},
		{"a*b*c", "aXXbYY", false, false},
		{"*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false, false},
		{"**", "x", false, true},
		{"?", "", false, false},
		{"[]]", "]", false, true},
		{"[!]]", "]", false, false},
		{"[!]]", "a", false, true},
		{"[a-]", "-", false, true},
		{"[^a]", "b", false, true},
		{"ABC", "abc", true, true},
		{"ABC", "abc", false, false},
		{"*.Example.COM", "www.example.com", true, true},
		{"www.*", "WWW.x", true, true},
		{"[x-z]", "Y", true, true},
	} {
		g, err := compileGlob(c.pat, c.fold)
		if err != nil {
			t.Fatalf("%q: %v", c.pat, err)
		}
		if got := globMatch(&g, c.text); got != c.want {
			t.Errorf("glob %q fold=%v on %q: %v, want %v", c.pat, c.fold, c.text, got, c.want)
		}
		if got := globMatch(&g, []byte(c.text)); got != c.want {
			t.Errorf("glob %q on []byte %q: %v, want %v", c.pat, c.text, got, c.want)
		}
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	ps, err := CompilePatterns(
		[]string{"*.example.com", "api.*.io", "10.0.0.0/8", "1.2.3.*:44?", "[2001:db8::*]:443", "tcp 192.168.*:* *"},
		[]string{"udp * *", "*.google.com"})
	if err != nil {
		t.Fatal(err)
	}
	flows := benchFlows()
	n := testing.AllocsPerRun(100, func() {
		for i := range flows {
			ps.Match(&flows[i])
		}
	})
	if n != 0 {
		t.Errorf("PatternSet.Match allocates %v times per run", n)
	}
}
