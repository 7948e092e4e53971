package service

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
	"github.com/flowlog/flowlog/names/internal/corpus"
)

// scriptOf maps a service to the Zeek protocol script directory that loads
// its analyzer ("" for analyzers Zeek's core always has: tunnels).
var scriptOf = map[string]string{
	SSL: "ssl", DTLS: "ssl", QUIC: "quic", HTTP: "http", WebSocket: "websocket", SSH: "ssh", SMTP: "smtp",
	FTP: "ftp", FTPData: "ftp", POP3: "pop3", IMAP: "imap", IRC: "irc", IRCDCCData: "irc", XMPP: "xmpp",
	MySQL: "mysql", PostgreSQL: "postgresql", Redis: "redis", DNS: "dns", KRB: "krb", KRBTCP: "krb",
	LDAPTCP: "ldap", LDAPUDP: "ldap", Syslog: "syslog", SyslogTCP: "syslog", RDP: "rdp", RDPEUDP: "rdp",
	Modbus: "modbus", DCERPC: "dce-rpc", SMB: "smb", DHCP: "dhcp", NTP: "ntp", SNMP: "snmp", SIP: "sip",
	VXLAN: "", Geneve: "", Teredo: "", AYIYA: "", GTPv1: "", NTLM: "ntlm", GSSAPI: "gssapi",
}

// limitRedef reports whether the entry redefines an analysis limit of
// service s's analyzer (e.g. SSH::max_packet_length): Zeek's service then
// reflects the test's limit (an analyzer violation), not the protocol.
func limitRedef(e *corpus.Entry, s string) bool {
	mod := strings.ToUpper(scriptOf[s]) + "::max_"
	for _, r := range e.Meta.Redefs {
		if strings.Contains(strings.ToUpper(r), strings.ToUpper(mod)) {
			return true
		}
	}
	return false
}

type connRec struct {
	idx  int
	cols map[string]string
	svc  string
}

func split(s string) []string {
	if s == "" || s == "-" || s == "(empty)" {
		return nil
	}
	return strings.Split(s, ",")
}

// TestZeekParityService runs every corpus entry with a conn.log service
// column through the real pipeline with the detector attached on
// EventOpened, pairs flows with Zeek's rows, and reports agreement per
// service. A service counts for an entry only where Zeek had its analyzer
// loaded: always in default mode; in bare mode (-b) when the entry loaded
// the protocol's scripts, or when Zeek's own rows show the service (a test
// script loaded it). Zeek's values outside the services this package
// knows (e.g. "blah" from a test signature) are ignored.
func TestZeekParityService(t *testing.T) {
	dir, ok := corpus.Dir()
	if !ok {
		t.Skip("Zeek parity corpus not found (shared/zeek-parity beside the repository, or $FLOWLOG_ZEEK_CORPUS): skipping")
	}
	entries, err := corpus.Entries(dir)
	if err != nil {
		t.Fatal(err)
	}
	type stat struct{ tp, fn, fp int }
	stats := map[string]*stat{}
	get := func(s string) *stat {
		if stats[s] == nil {
			stats[s] = &stat{}
		}
		return stats[s]
	}
	var report strings.Builder
	rows, exact, unmatched, excluded, excludedSame := 0, 0, 0, 0, 0
	for _, e := range entries {
		base, err := corpus.ReadLog(e.Dir + "/conn.log")
		if err != nil || !base.Has("service") {
			continue
		}
		// Services evidenced by Zeek's own rows count as loaded.
		evidence := map[string]bool{}
		for _, r := range base.Rows {
			for _, s := range split(r["service"]) {
				evidence[s] = true
			}
		}
		loaded := func(s string) bool {
			dir, known := scriptOf[s]
			if !known {
				return false
			}
			return dir == "" || e.Loaded(dir) || evidence[s]
		}
		var recs []connRec
		idx := map[*flow.Conn]int{}
		det := New(Config{})
		n := 0
		err = e.Replay(corpus.Hooks{
			Opened: func(tb *flow.Table, c *flow.Conn, p *decode.Packet) {
				idx[c] = n
				n++
				det.Attach(tb, c, p)
			},
			Closed: func(c *flow.Conn) {
				recs = append(recs, connRec{idx: idx[c], cols: map[string]string{
					"proto":     c.Trans.String(),
					"id.orig_h": c.OrigH.String(), "id.orig_p": strconv.Itoa(int(c.OrigP)),
					"id.resp_h": c.RespH.String(), "id.resp_p": strconv.Itoa(int(c.RespP)),
				}, svc: Of(c)})
				delete(idx, c)
			},
		})
		if err != nil {
			t.Logf("%s: %v", e.Name, err)
		}
		sort.Slice(recs, func(i, j int) bool { return recs[i].idx < recs[j].idx })
		pairs := corpus.Match(base, e.Meta.UIDRank, len(recs), func(i int, col string) string { return recs[i].cols[col] })
		for i, r := range base.Rows {
			var zeek, ours []string
			for _, s := range split(r["service"]) {
				if _, known := scriptOf[s]; known {
					zeek = append(zeek, s)
				}
			}
			j := pairs[i]
			if j < 0 {
				unmatched++
				fmt.Fprintf(&report, "  %s row %d: no flow matched (zeek %q)\n", e.Name, i, r["service"])
				continue
			}
			for _, s := range split(recs[j].svc) {
				if loaded(s) {
					ours = append(ours, s)
				}
			}
			limited := false
			for _, s := range append(append([]string{}, zeek...), ours...) {
				limited = limited || limitRedef(&e, s)
			}
			if limited {
				excluded++
				if strings.Join(zeek, ",") == strings.Join(ours, ",") {
					excludedSame++
				}
				continue
			}
			rows++
			z, o := strings.Join(zeek, ","), strings.Join(ours, ",")
			if z == o {
				exact++
			} else {
				fmt.Fprintf(&report, "  %-70s zeek %-16q ours %-16q %s:%s -> %s:%s\n", e.Name, z, o,
					recs[j].cols["id.orig_h"], recs[j].cols["id.orig_p"], recs[j].cols["id.resp_h"], recs[j].cols["id.resp_p"])
			}
			for _, s := range zeek {
				if contains(ours, s) {
					get(s).tp++
				} else {
					get(s).fn++
				}
			}
			for _, s := range ours {
				if !contains(zeek, s) {
					get(s).fp++
				}
			}
		}
	}
	if rows == 0 {
		t.Skip("no corpus entry with a conn.log service column")
	}
	var names []string
	for s := range stats {
		names = append(names, s)
	}
	sort.Strings(names)
	var tbl strings.Builder
	fmt.Fprintf(&tbl, "%-14s %6s %6s %6s %6s %9s\n", "service", "zeek", "both", "zeekonly", "ours", "agree")
	tp, fn, fp := 0, 0, 0
	for _, s := range names {
		st := stats[s]
		tp, fn, fp = tp+st.tp, fn+st.fn, fp+st.fp
		fmt.Fprintf(&tbl, "%-14s %6d %6d %6d %6d %8.1f%%\n", s, st.tp+st.fn, st.tp, st.fn, st.fp,
			100*float64(st.tp)/float64(st.tp+st.fn+st.fp))
	}
	fmt.Fprintf(&tbl, "%-14s %6d %6d %6d %6d %8.1f%%\n", "all", tp+fn, tp, fn, fp, 100*float64(tp)/float64(tp+fn+fp))
	fmt.Fprintf(&tbl, "rows compared: %d, service column identical: %d (%.1f%%), rows without a matching flow: %d, "+
		"rows left out (entry redefines an analysis limit, PROTO::max_*): %d\n",
		rows, exact, 100*float64(exact)/float64(rows), unmatched, excluded)
	fmt.Fprintf(&tbl, "with those rows too: %d/%d identical (%.1f%%)\n", exact+excludedSame, rows+excluded,
		100*float64(exact+excludedSame)/float64(rows+excluded))
	t.Logf("service agreement with Zeek (agree = both / (both + zeekonly + oursonly)):\n%s\ndifferences:\n%s", tbl.String(), report.String())
	if pct := 100 * float64(exact) / float64(rows); pct < serviceFloor {
		t.Errorf("service column identical on %.1f%% of rows, below the floor %.1f%%", pct, serviceFloor)
	}
	if pct := 100 * float64(tp) / float64(tp+fn+fp); pct < serviceAgreeFloor {
		t.Errorf("per-service agreement %.1f%%, below the floor %.1f%%", pct, serviceAgreeFloor)
	}
}

// Floors the corpus run must keep (see the table the test logs).
const (
	serviceFloor      = 98.0
	serviceAgreeFloor = 97.0
)

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
