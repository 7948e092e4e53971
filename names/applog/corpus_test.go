package applog

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
	"github.com/flowlog/flowlog/names/internal/corpus"
)

// modified lists corpus entries whose Zeek test script changes the logged
// columns compared here, so Zeek's baseline is not what Zeek logs by
// default: they are reported but not counted.
var modified = map[string]string{
	"scripts.base.protocols.dns.dnssec": "test script appends DNS::algorithms names to answers",
}

// tsvField formats one column of a record as Zeek's TSV writer does.
func tsvField(write func(*bytes.Buffer), col string) string {
	var b bytes.Buffer
	write(&b)
	lines := strings.Split(b.String(), "\n")
	var fields []string
	for _, l := range lines {
		if strings.HasPrefix(l, "#fields\t") {
			fields = strings.Split(l, "\t")[1:]
		}
	}
	for _, l := range lines {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		vals := strings.Split(l, "\t")
		for i, f := range fields {
			if f == col && i < len(vals) {
				return vals[i]
			}
		}
	}
	return "?"
}

type result struct {
	cols map[string]string
}

func sslCols(r *SSLRecord) map[string]string {
	out := map[string]string{}
	for _, col := range []string{"id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "version", "server_name", "uid"} {
		out[col] = tsvField(func(b *bytes.Buffer) {
			w := NewSSLWriter(b, Options{})
			w.Write(r)
			w.Close()
		}, col)
	}
	return out
}

func dnsCols(r *DNSRecord) map[string]string {
	out := map[string]string{}
	var b bytes.Buffer
	w := NewDNSWriter(&b, Options{})
	w.Write(r)
	w.Close()
	for _, col := range dnsFields {
		out[col] = tsvField(func(bb *bytes.Buffer) { bb.Write(b.Bytes()) }, col)
	}
	out["proto"] = r.Proto
	return out
}

// run replays one entry with the SSL and DNS trackers attached.
func run(e *corpus.Entry) (ssl, dns []result, err error) {
	st := &SSLTracker{OnRecord: func(r *SSLRecord) { ssl = append(ssl, result{sslCols(r)}) }}
	dt := &DNSTracker{OnRecord: func(r *DNSRecord) { dns = append(dns, result{dnsCols(r)}) }}
	err = e.Replay(corpus.Hooks{Opened: func(t *flow.Table, c *flow.Conn, p *decode.Packet) {
		st.Attach(t, c, p)
		dt.Attach(t, c, p)
	}})
	return ssl, dns, err
}

// TestZeekParityLogs runs every corpus entry with an ssl.log or dns.log
// through the real pipeline (capture.Open, decode, flow.Table with the
// trackers attached on EventOpened), pairs our records with Zeek's rows
// (by 5-tuple, in log order) and compares ssl.log's server_name (and
// version) and dns.log's query and answers row by row.
func TestZeekParityLogs(t *testing.T) {
	dir, ok := corpus.Dir()
	if !ok {
		t.Skip("Zeek parity corpus not found (shared/zeek-parity beside the repository, or $FLOWLOG_ZEEK_CORPUS): skipping")
	}
	entries, err := corpus.Entries(dir)
	if err != nil {
		t.Fatal(err)
	}
	type tally struct{ rows, matched, agree int }
	full := map[string]*[2]int{"ssl.log": {}, "dns.log": {}}
	var sni, ver, query, answers tally
	var tbl, diffs strings.Builder
	fmt.Fprintf(&tbl, "%-66s %-7s %5s %5s %11s %11s\n", "entry", "log", "rows", "ours", "col1", "col2")
	for i := range entries {
		e := &entries[i]
		sslBase, _ := corpus.ReadLog(e.Dir + "/ssl.log")
		dnsBase, _ := corpus.ReadLog(e.Dir + "/dns.log")
		if sslBase == nil && dnsBase == nil {
			continue
		}
		ssl, dns, err := run(e)
		if err != nil {
			t.Logf("%s: %v", e.Name, err)
		}
		compare := func(base *corpus.Log, ours []result, log string, c1, c2 string, t1, t2 *tally) {
			if base == nil {
				return
			}
			why, skip := modified[e.Name]
			pairs := corpus.Match(base, e.Meta.UIDRank, len(ours), func(i int, col string) string { return ours[i].cols[col] })
			a1, a2, m := 0, 0, 0
			for i, row := range base.Rows {
				j := pairs[i]
				if j < 0 {
					fmt.Fprintf(&diffs, "  %s %s row %d: no record (zeek %s=%q %s=%q)\n", e.Name, log, i, c1, row[c1], c2, row[c2])
					continue
				}
				m++
				if !skip {
					// Every other column Zeek logged (but ts, canonified,
					// and uid, random).
					same := true
					for _, col := range base.Fields {
						if col == "ts" || col == "uid" || col == c1 || col == c2 {
							continue
						}
						o, has := ours[j].cols[col]
						if !has {
							continue // a column we do not write
						}
						if z := row[col]; z != o {
							same = false
							fmt.Fprintf(&diffs, "  %s %s row %d %s (other column): zeek %q ours %q\n", e.Name, log, i, col, z, o)
						}
					}
					full[log][0]++
					if same {
						full[log][1]++
					}
				}
				for _, c := range []struct {
					col string
					n   *int
				}{{c1, &a1}, {c2, &a2}} {
					z, o := row[c.col], ours[j].cols[c.col]
					if _, has := row[c.col]; !has {
						*c.n++ // column not in the baseline
						continue
					}
					if z == o {
						*c.n++
					} else {
						fmt.Fprintf(&diffs, "  %s %s row %d %s: zeek %q ours %q\n", e.Name, log, i, c.col, z, o)
					}
				}
			}
			note := ""
			if skip {
				note = "  (not counted: " + why + ")"
			} else {
				t1.rows += len(base.Rows)
				t1.matched += m
				t1.agree += a1
				t2.rows += len(base.Rows)
				t2.matched += m
				t2.agree += a2
			}
			fmt.Fprintf(&tbl, "%-66s %-7s %5d %5d %5d/%-5d %5d/%-5d%s\n", e.Name, log, len(base.Rows), len(ours), a1, len(base.Rows), a2,
				len(base.Rows), note)
		}
		compare(sslBase, ssl, "ssl.log", "server_name", "version", &sni, &ver)
		compare(dnsBase, dns, "dns.log", "query", "answers", &query, &answers)
	}
	if sni.rows+query.rows == 0 {
		t.Skip("no corpus entry with ssl.log or dns.log")
	}
	pct := func(x tally) float64 { return 100 * float64(x.agree) / float64(max(x.rows, 1)) }
	fmt.Fprintf(&tbl, "ssl.log server_name: %d/%d rows agree (%.1f%%); version: %d/%d (%.1f%%)\n",
		sni.agree, sni.rows, pct(sni), ver.agree, ver.rows, pct(ver))
	fmt.Fprintf(&tbl, "dns.log query: %d/%d rows agree (%.1f%%); answers: %d/%d (%.1f%%)\n",
		query.agree, query.rows, pct(query), answers.agree, answers.rows, pct(answers))
	for _, log := range []string{"ssl.log", "dns.log"} {
		fmt.Fprintf(&tbl, "%s rows whose other columns (all but ts, uid) are identical too: %d/%d\n", log, full[log][1], full[log][0])
		if full[log][1] < full[log][0] {
			t.Errorf("%s: %d rows differ in other columns", log, full[log][0]-full[log][1])
		}
	}
	t.Logf("ssl.log (col1 server_name, col2 version) and dns.log (col1 query, col2 answers) against Zeek:\n%s\ndifferences:\n%s",
		tbl.String(), diffs.String())
	for _, c := range []struct {
		name  string
		x     tally
		floor float64
	}{{"server_name", sni, floorSNI}, {"version", ver, floorVersion}, {"query", query, floorQuery}, {"answers", answers, floorAnswers}} {
		if p := pct(c.x); p < c.floor {
			t.Errorf("%s agreement %.1f%% below the floor %.1f%%", c.name, p, c.floor)
		}
	}
}

// Floors the corpus run keeps (see the table the test logs).
const (
	floorSNI     = 100
	floorVersion = 100
	floorQuery   = 100
	floorAnswers = 100
)
