package main

// Rendering of EXPECT.md: the hand-written introduction (expect_intro.md)
// followed by one table per capture. States, histories and notes come from
// the scenario code; packet/byte tallies and durations are computed from the
// packets actually written.

import (
	_ "embed"
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

//go:embed expect_intro.md
var expectIntro string

// zeekPrivate is Site::private_address_space in current Zeek
// (scripts/base/utils/site.zeek); with private_address_space_is_local=T it
// is what Site::local_nets holds by default.
var zeekPrivate = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
		"192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
		"203.0.113.0/24", "224.0.0.0/24", "239.0.0.0/8", "240.0.0.0/4", "255.255.255.255/32",
		"2002::/24", "2002:a00::/24", "2002:6440::/26", "2002:7f00::/24", "2002:a9fe::/32", "2002:ac10::/28",
		"2002:c000::/40", "2002:c000:200::/40", "2002:c0a8::/32", "2002:c612::/31", "2002:c633:6400::/40",
		"2002:cb00:7100::/40", "2002:e000::/40", "2002:ef00::/24", "2002:f000::/20", "2002:ffff:ffff::/48",
		"::/128", "::1/128", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:2::/48", "2001:db8::/32",
		"fc00::/7", "fe80::/10", "fec0::/10",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

func isLocal(a netip.Addr) string {
	for _, p := range zeekPrivate {
		if p.Contains(a) {
			return "T"
		}
	}
	return "F"
}

func fmtTime(ns int64) string {
	us := ns / 1000
	return fmt.Sprintf("%d.%06d", us/1e6, us%1e6)
}

func (c *Conn) hostPort(e ep) string {
	return fmt.Sprintf("%s %d", e.ip, e.port)
}

func renderExpect(files []*File, bad []rawFile) string {
	var b strings.Builder
	b.WriteString(expectIntro)
	b.WriteString("\n## Per-capture expectations\n\n")
	b.WriteString("Columns: `#` row (sorted by ts), `ts`, `proto`, `orig` / `resp` as `addr port` after any flip, `state`, `history` (`-` = empty), `dur` duration in seconds (`-` = unset because it is 0), `ob`/`rb` orig_bytes/resp_bytes (unset when duration is unset), `miss` missed_bytes, `op/oib` orig_pkts/orig_ip_bytes, `rp/rib` resp_pkts/resp_ip_bytes, `loc` local_orig/local_resp, `ipp` ip_proto, `parents` tunnel_parents.\n\n")
	for _, f := range files {
		fmt.Fprintf(&b, "### %s\n\n%s", f.Name, f.Title)
		b.WriteString("\n\n")
		for _, d := range f.Desc {
			fmt.Fprintf(&b, "- %s\n", d)
		}
		if f.NoZeek != "" {
			fmt.Fprintf(&b, "- **No Zeek reference:** %s\n", f.NoZeek)
		}
		fmt.Fprintf(&b, "- %d packets.\n\n", len(f.Pkts))
		conns := append([]*Conn(nil), f.Conns...)
		sort.SliceStable(conns, func(i, j int) bool { return conns[i].start < conns[j].start })
		b.WriteString("| # | ts | proto | orig | resp | state | history | dur | ob | rb | miss | op/oib | rp/rib | loc | ipp | parents | notes |\n")
		b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
		for i, c := range conns {
			dur, ob, rb := "-", "-", "-"
			if d := c.last/1000 - c.start/1000; d > 0 {
				dur = fmt.Sprintf("%d.%06d", d/1e6, d%1e6)
				ob, rb = fmt.Sprint(c.origBytes), fmt.Sprint(c.respBytes)
			}
			fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d | %d/%d | %d/%d | %s/%s | %d | %s | %s |\n",
				i+1, fmtTime(c.start), c.Proto, c.hostPort(c.Orig), c.hostPort(c.Resp), c.State, c.History,
				dur, ob, rb, c.Missed, c.origPkts, c.origIP, c.respPkts, c.respIP,
				isLocal(c.Orig.ip), isLocal(c.Resp.ip), c.ipProto, orDash(c.Parent), c.Note)
		}
		b.WriteString("\n")
	}
	b.WriteString("### bad/\n\nBroken inputs (no expected rows; what matters is that flowlog fails cleanly and says why). Derived from link-eth.pcap.\n\n")
	b.WriteString("| file | content | libpcap/Zeek behaviour (for reference) |\n|---|---|---|\n")
	notes := map[string][2]string{
		"bad/truncated.pcap":        {"valid header and 4 records, then the 5th record cut 20 bytes into its data", "libpcap returns the 4 records (DNS query and answer, SYN, SYN-ACK), then fails with \"truncated dump file; tried to read N captured bytes, only got 20\". Zeek reports the read error; whether it still logs what it saw (the DNS row as in link-eth.pcap and a TCP row S1/Sh) is not verified here."},
		"bad/trailing-garbage.pcap": {"all records of link-eth.pcap followed by 24 ASCII bytes `GARBAGE-GARBAGE-GARBAGE\\n`", "libpcap reads every valid record, then treats the garbage as a record header whose caplen field (bytes \"GARB\" = 0x42524147) exceeds the snaplen and fails (\"invalid packet capture length\"); the valid packets have already been processed."},
		"bad/not-a-capture.txt":     {"two lines of ASCII text", "libpcap: \"unknown file format\"; Zeek exits with an error before any packet."},
		"bad/empty.pcap":            {"0 bytes", "libpcap: truncated dump file (0 header bytes); Zeek exits with an error."},
	}
	for _, r := range bad {
		n := notes[r.path]
		fmt.Fprintf(&b, "| %s | %s | %s |\n", r.path, n[0], n[1])
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
