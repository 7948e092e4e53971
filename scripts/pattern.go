package scripts

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Class is a pattern class. A watch list matches a flow when every class it
// has matches (AND across classes) and, within a class, any one pattern
// matches (OR within a class).
type Class uint8

// Pattern classes.
const (
	// ClassHost: host globs, matched against the remote reverse-DNS name or
	// the SNI.
	ClassHost Class = iota + 1
	// ClassAddr: IP, IP glob, IP:port glob, CIDR and CIDR:port, matched
	// against the remote endpoint.
	ClassAddr
	// ClassDSL: "<proto> <local> <remote>".
	ClassDSL
)

func (c Class) String() string {
	switch c {
	case ClassHost:
		return "host"
	case ClassAddr:
		return "addr"
	case ClassDSL:
		return "dsl"
	}
	return "class(" + strconv.Itoa(int(c)) + ")"
}

// Pattern forms, as Pattern.Form reports them.
const (
	FormHostGlob = "host glob" // *.comcast.net, example.com
	FormIP       = "ip"        // 1.2.3.4, [2001:db8::1], 2001:db8::1
	FormIPGlob   = "ip glob"   // 1.2.3.*, *, [2001:db8::*], 2001:db8::*
	FormIPPort   = "ip:port"   // 1.2.3.4:443, *:443, 1.2.3.*:*, [2001:db8::*]:443
	FormCIDR     = "cidr"      // 10.0.0.0/8, 2001:db8::/32, [2001:db8::/32]
	FormCIDRPort = "cidr:port" // 10.0.0.0/8:443, [2001:db8::/32]:443
	FormDSL      = "dsl"       // udp * *, tcp * 1.2.3.4:*
)

// PatternError is a pattern that does not parse.
type PatternError struct {
	Pattern string
	Msg     string
}

func (e *PatternError) Error() string { return fmt.Sprintf("pattern %q: %s", e.Pattern, e.Msg) }

// Pattern is one compiled pattern. The zero value matches nothing. A Pattern
// is immutable and safe for concurrent use.
type Pattern struct {
	src   string
	class Class
	form  string
	host  glob     // ClassHost
	ep    endpoint // ClassAddr
	dsl   *dslPattern
}

// String returns the pattern as written (trimmed).
func (p *Pattern) String() string { return p.src }

// Class returns the pattern's class.
func (p *Pattern) Class() Class { return p.class }

// Form returns the pattern's form (FormHostGlob, FormIP, ...).
func (p *Pattern) Form() string { return p.form }

// ParsePattern classifies and compiles one pattern. Surrounding white space
// is trimmed. The classification is decided by these rules, in order:
//
//  1. White space inside the pattern: DSL "<proto> <local> <remote>"; it must
//     have exactly three fields.
//  2. A leading "[" whose bracket holds an IPv6 address ("[" addr "]" or
//     "[" addr "]:" port, where addr contains ':' or is "*"): an IPv6
//     address form (IP, IP glob or CIDR) with an optional port.
//  3. Contains '/' or ':': an address form. With two or more ':' (and no
//     brackets) it is a bare IPv6 address, glob or CIDR, without a port;
//     with exactly one ':' it is IPv4 (or "*") before the ':' and a port
//     after it.
//  4. Contains an ASCII letter, '-', '_' or a non-ASCII byte outside "[..]":
//     a host glob.
//  5. Otherwise (digits, dots and glob characters only): an IPv4 address or
//     IPv4 glob; "*" alone matches every address of either family.
//
// So "*.comcast.net" and "example.com" are host globs, "1.2.3.*" is an IP
// glob, "1.2.3.4:443" and "*:443" are IP:port globs, "10.0.0.0/8:443" is a
// CIDR with a port. A form that fits no rule is an error (*PatternError),
// never silently another class: "443" is rejected (use "*:443"), as is a
// host glob with a port.
func ParsePattern(s string) (Pattern, error) {
	s = strings.TrimSpace(s)
	p := Pattern{src: s}
	fail := func(format string, a ...any) (Pattern, error) {
		return Pattern{}, &PatternError{Pattern: s, Msg: fmt.Sprintf(format, a...)}
	}
	if s == "" {
		return fail("empty pattern")
	}
	if strings.ContainsAny(s, " \t\r\n\v\f") {
		d, err := parseDSL(s)
		if err != nil {
			return fail("%s", err)
		}
		p.class, p.form, p.dsl = ClassDSL, FormDSL, d
		return p, nil
	}
	if isBracketedV6(s) || strings.ContainsAny(s, ":/") || !looksLikeHost(s) {
		ep, form, err := parseEndpoint(s)
		if err != nil {
			if looksLikeHost(s) && !strings.ContainsAny(s, "[/") && strings.Count(s, ":") == 1 {
				return fail("%s (host globs take no port)", err)
			}
			return fail("%s", err)
		}
		p.class, p.form, p.ep = ClassAddr, form, ep
		return p, nil
	}
	g, err := parseHostGlob(s)
	if err != nil {
		return fail("%s", err)
	}
	p.class, p.form, p.host = ClassHost, FormHostGlob, g
	return p, nil
}

// looksLikeHost reports whether s has a letter, '-', '_' or a non-ASCII
// byte outside bracket expressions.
func looksLikeHost(s string) bool {
	inClass := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inClass:
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
			if i+1 < len(s) && (s[i+1] == '!' || s[i+1] == '^') {
				i++
			}
			if i+1 < len(s) && s[i+1] == ']' { // literal ']' first
				i++
			}
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', c == '-', c == '_', c >= 0x80:
			return true
		}
	}
	return false
}

// isBracketedV6 reports whether s is "[" addr "]" or "[" addr "]:" port
// with addr an IPv6 form (contains ':') or "*".
func isBracketedV6(s string) bool {
	inner, _, ok := splitBracket(s)
	return ok && (strings.Contains(inner, ":") || inner == "*")
}

// splitBracket splits "[inner]" or "[inner]:port".
func splitBracket(s string) (inner, port string, ok bool) {
	if len(s) < 2 || s[0] != '[' {
		return "", "", false
	}
	if s[len(s)-1] == ']' {
		return s[1 : len(s)-1], "", true
	}
	if i := strings.LastIndex(s, "]:"); i > 0 {
		return s[1:i], s[i+2:], true
	}
	return "", "", false
}

func parseHostGlob(s string) (glob, error) {
	inClass := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return glob{}, fmt.Errorf("non-ASCII host name: write internationalized names in their xn-- form")
		}
		if inClass {
			if c == ']' {
				inClass = false
			} else if c <= ' ' || c == 0x7f {
				return glob{}, fmt.Errorf("invalid character %q in host glob", c)
			}
			continue
		}
		switch {
		case c == '[':
			inClass = true
			if i+1 < len(s) && (s[i+1] == '!' || s[i+1] == '^') {
				i++
			}
			if i+1 < len(s) && s[i+1] == ']' {
				i++
			}
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '.', c == '-', c == '_', c == '*', c == '?':
		default:
			return glob{}, fmt.Errorf("invalid character %q in host glob", c)
		}
	}
	if len(s) > 1 && s[len(s)-1] == '.' && s[len(s)-2] != '.' { // absolute name "example.com."
		s = s[:len(s)-1]
	}
	return compileGlob(s, true)
}

type ipKind uint8

const (
	ipAny    ipKind = iota // any address of any family
	ipExact                // addr
	ipPrefix               // prefix
	ipGlob                 // glob over the address text, family fam only
)

type portKind uint8

const (
	portAny portKind = iota
	portExact
	portGlob
)

// endpoint matches one ip:port endpoint. The zero value matches any.
type endpoint struct {
	ipk    ipKind
	fam    uint8 // ipGlob: 4 or 6
	addr   netip.Addr
	prefix netip.Prefix
	ipg    glob
	portk  portKind
	port   uint16
	portg  glob
}

// parseEndpoint parses an address form: "*", IP, IP glob, CIDR, each with
// an optional ":port" (IPv6 in brackets when a port is given).
func parseEndpoint(s string) (endpoint, string, error) {
	var ep endpoint
	if s == "*" {
		return ep, FormIPGlob, nil
	}
	var ipPart, portPart string
	hasPort, want6 := false, false
	if inner, _, ok := splitBracket(s); ok && !strings.Contains(inner, ":") && inner != "*" && strings.Contains(inner, ".") {
		return ep, "", fmt.Errorf("%q is not IPv6 (IPv4 goes without brackets)", inner)
	}
	if inner, port, ok := splitBracket(s); ok && (strings.Contains(inner, ":") || inner == "*") {
		ipPart, portPart, hasPort, want6 = inner, port, len(s) > len(inner)+2, true
		if ipPart == "" {
			return ep, "", fmt.Errorf("empty address in brackets")
		}
	} else if s[0] == '[' && strings.Contains(s, ":") && !strings.Contains(s, "]") {
		return ep, "", fmt.Errorf("unclosed '[': IPv6 with a port is written [addr]:port")
	} else if n := strings.Count(s, ":"); n >= 2 {
		ipPart, want6 = s, true
		if strings.Contains(s, "]") {
			return ep, "", fmt.Errorf("misplaced ']': IPv6 with a port is written [addr]:port")
		}
	} else if n == 1 {
		i := strings.IndexByte(s, ':')
		ipPart, portPart, hasPort = s[:i], s[i+1:], true
	} else {
		ipPart = s
	}
	if err := ep.parseIP(ipPart, want6); err != nil {
		return ep, "", err
	}
	if hasPort {
		if err := ep.parsePort(portPart); err != nil {
			return ep, "", err
		}
	}
	var form string
	switch {
	case ep.ipk == ipPrefix && hasPort:
		form = FormCIDRPort
	case ep.ipk == ipPrefix:
		form = FormCIDR
	case hasPort:
		form = FormIPPort
	case ep.ipk == ipExact:
		form = FormIP
	default:
		form = FormIPGlob
	}
	return ep, form, nil
}

func (ep *endpoint) parseIP(s string, want6 bool) error {
	fam := uint8(4)
	if want6 {
		fam = 6
	}
	switch {
	case s == "":
		return fmt.Errorf("missing address")
	case s == "*":
		if want6 {
			ep.ipk, ep.fam, ep.ipg = ipGlob, 6, glob{shape: shapeAny, src: "*"}
		}
		return nil
	case strings.Contains(s, "/"):
		pfx, err := netip.ParsePrefix(strings.ToLower(s))
		if err != nil {
			if want6 && strings.Count(s[strings.IndexByte(s, '/'):], ":") > 0 {
				return fmt.Errorf("bad CIDR %q (IPv6 with a port is written [prefix]:port)", s)
			}
			return fmt.Errorf("bad CIDR %q", s)
		}
		if pfx.Addr().Is6() != want6 {
			return familyError(s, want6)
		}
		ep.ipk, ep.prefix = ipPrefix, pfx.Masked()
		return nil
	case !hasGlobMeta(s):
		if !strings.Contains(s, "%") {
			if err := checkGlobChars(s, want6); err != nil {
				return err
			}
		}
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			if isDigits(s) {
				return fmt.Errorf("%q is not an IP address (a port alone is written *:443)", s)
			}
			return fmt.Errorf("%q is not an IP address", s)
		}
		if a.Is6() != want6 {
			return familyError(s, want6)
		}
		ep.ipk, ep.addr = ipExact, a.Unmap()
		return nil
	}
	if err := checkGlobChars(s, want6); err != nil {
		return err
	}
	g, err := compileGlob(strings.ToLower(s), false)
	if err != nil {
		return err
	}
	ep.ipk, ep.fam, ep.ipg = ipGlob, fam, g
	return nil
}

func familyError(s string, want6 bool) error {
	if want6 {
		return fmt.Errorf("%q is not IPv6 (IPv4 goes without brackets)", s)
	}
	return fmt.Errorf("%q is not IPv4 (IPv6 goes in brackets when a port follows)", s)
}

// checkGlobChars checks the characters of an IP glob outside bracket
// expressions: digits, '.', '*', '?' (and hex digits and ':' for IPv6).
func checkGlobChars(s string, v6 bool) error {
	inClass := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if inClass {
			if c == ']' {
				inClass = false
			}
			continue
		}
		switch {
		case c == '[':
			inClass = true
			if i+1 < len(s) && (s[i+1] == '!' || s[i+1] == '^') {
				i++
			}
			if i+1 < len(s) && s[i+1] == ']' {
				i++
			}
		case '0' <= c && c <= '9', c == '.', c == '*', c == '?':
		case v6 && (c == ':' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'):
		default:
			if v6 {
				return fmt.Errorf("invalid character %q in IPv6 pattern", c)
			}
			return fmt.Errorf("invalid character %q in IPv4 pattern", c)
		}
	}
	return nil
}

func (ep *endpoint) parsePort(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("missing port after ':'")
	case s == "*":
		return nil
	case !hasGlobMeta(s):
		if s[0] == '+' || s[0] == '-' {
			return fmt.Errorf("bad port %q", s)
		}
		n, err := strconv.ParseUint(s, 10, 16)
		if err != nil {
			return fmt.Errorf("bad port %q (0-65535)", s)
		}
		ep.portk, ep.port = portExact, uint16(n)
		return nil
	}
	if err := checkGlobChars(s, false); err != nil || strings.Contains(s, ".") {
		return fmt.Errorf("bad port glob %q (digits, *, ?, [..])", s)
	}
	g, err := compileGlob(s, false)
	if err != nil {
		return err
	}
	ep.portk, ep.portg = portGlob, g
	return nil
}

// protoSet is a set of DSL protocols: one bit per transport and family.
type protoSet uint8

const (
	protoTCP4 protoSet = 1 << iota
	protoTCP6
	protoUDP4
	protoUDP6
	protoICMP4
	protoICMP6
	protoOther // unknown_transport, both families

	protoAll protoSet = 0x7f
)

type dslPattern struct {
	protos        protoSet
	local, remote endpoint
}

// parseDSL parses "<proto> <local> <remote>". proto is tcp, udp or icmp
// (both families; tcp4/udp4/icmp4 for IPv4 only, tcp6/udp6/icmp6 for IPv6
// only) or "*" (any protocol). local and remote are address forms or "*".
func parseDSL(s string) (*dslPattern, error) {
	f := strings.Fields(s)
	if len(f) != 3 {
		return nil, fmt.Errorf("DSL pattern needs 3 fields \"<proto> <local> <remote>\", got %d", len(f))
	}
	d := &dslPattern{}
	switch strings.ToLower(f[0]) {
	case "*":
		d.protos = protoAll
	case "tcp":
		d.protos = protoTCP4 | protoTCP6
	case "tcp4":
		d.protos = protoTCP4
	case "tcp6":
		d.protos = protoTCP6
	case "udp":
		d.protos = protoUDP4 | protoUDP6
	case "udp4":
		d.protos = protoUDP4
	case "udp6":
		d.protos = protoUDP6
	case "icmp":
		d.protos = protoICMP4 | protoICMP6
	case "icmp4":
		d.protos = protoICMP4
	case "icmp6":
		d.protos = protoICMP6
	default:
		return nil, fmt.Errorf("unknown DSL protocol %q (tcp, tcp6, udp, udp6, icmp, icmp6 or *)", f[0])
	}
	for i, side := range []string{"local", "remote"} {
		e := f[i+1]
		if !isBracketedV6(e) && !strings.ContainsAny(e, ":/") && looksLikeHost(e) {
			return nil, fmt.Errorf("DSL %s endpoint %q: endpoints are addresses (IP, IP:port, CIDR or *); host globs are patterns of their own", side, e)
		}
		ep, _, err := parseEndpoint(e)
		if err != nil {
			return nil, fmt.Errorf("DSL %s endpoint %q: %s", side, e, err)
		}
		if i == 0 {
			d.local = ep
		} else {
			d.remote = ep
		}
	}
	return d, nil
}

// mctx is the per-match view of a flow: endpoints normalised once, address
// and port texts formatted on first use into fixed buffers (no allocation).
type mctx struct {
	local, remote netip.AddrPort
	proto         protoSet
	rdns, sni     string
	lip, rip      [48]byte
	llen, rlen    int
	lport, rport  [8]byte
	lplen, rplen  int
}

func (c *mctx) init(f *Flow) {
	c.local, c.remote = f.endpoints()
	c.proto = f.protoBit(c.remote.Addr().Is6())
	c.rdns = trimDot(f.RemoteHost)
	c.sni = trimDot(f.SNI)
}

func trimDot(s string) string {
	if len(s) > 1 && s[len(s)-1] == '.' {
		return s[:len(s)-1]
	}
	return s
}

func (c *mctx) ipText(remote bool) []byte {
	if remote {
		if c.rlen == 0 {
			c.rlen = len(c.remote.Addr().AppendTo(c.rip[:0]))
		}
		return c.rip[:c.rlen]
	}
	if c.llen == 0 {
		c.llen = len(c.local.Addr().AppendTo(c.lip[:0]))
	}
	return c.lip[:c.llen]
}

func (c *mctx) portText(remote bool) []byte {
	if remote {
		if c.rplen == 0 {
			c.rplen = len(strconv.AppendUint(c.rport[:0], uint64(c.remote.Port()), 10))
		}
		return c.rport[:c.rplen]
	}
	if c.lplen == 0 {
		c.lplen = len(strconv.AppendUint(c.lport[:0], uint64(c.local.Port()), 10))
	}
	return c.lport[:c.lplen]
}

func (ep *endpoint) match(c *mctx, remote bool) bool {
	ap := c.local
	if remote {
		ap = c.remote
	}
	a := ap.Addr()
	switch ep.ipk {
	case ipExact:
		if a != ep.addr {
			return false
		}
	case ipPrefix:
		if !ep.prefix.Contains(a) {
			return false
		}
	case ipGlob:
		if !a.IsValid() || (ep.fam == 6) != a.Is6() || !globMatch(&ep.ipg, c.ipText(remote)) {
			return false
		}
	}
	switch ep.portk {
	case portExact:
		return ap.Port() == ep.port
	case portGlob:
		return globMatch(&ep.portg, c.portText(remote))
	}
	return true
}

func (p *Pattern) match(c *mctx) bool {
	switch p.class {
	case ClassHost:
		return (c.rdns != "" && globMatch(&p.host, c.rdns)) || (c.sni != "" && globMatch(&p.host, c.sni))
	case ClassAddr:
		return p.ep.match(c, true)
	case ClassDSL:
		return p.dsl.protos&c.proto != 0 && p.dsl.local.match(c, false) && p.dsl.remote.match(c, true)
	}
	return false
}

// Match reports whether the single pattern p matches f.
func (p *Pattern) Match(f *Flow) bool {
	var c mctx
	c.init(f)
	return p.match(&c)
}
