package zeeklog

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"time"

	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
)

// Format selects the conn.log encoding.
type Format uint8

// Formats.
const (
	TSV  Format = iota // Zeek's ASCII writer
	JSON               // Zeek's ASCII writer with LogAscii::use_json=T
)

// ConnFields are conn.log's columns in Zeek's order.
var connFields = []string{"ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service",
	"duration", "orig_bytes", "resp_bytes", "conn_state", "local_orig", "local_resp", "missed_bytes", "history",
	"orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes", "tunnel_parents", "ip_proto"}

var connTypes = []string{"time", "string", "addr", "port", "addr", "port", "enum", "string",
	"interval", "count", "count", "string", "bool", "bool", "count", "string",
	"count", "count", "count", "count", "set[string]", "count"}

// Options configure a ConnWriter.
type Options struct {
	Format Format
	// Path is the #path line (default "conn").
	Path string
	// LocalNets decides local_orig/local_resp. Nil means Zeek's default
	// (Site::private_address_space, which Zeek copies into local_nets).
	LocalNets []netip.Prefix
	// OpenTime is written in the #open line (and Clock gives #close); when
	// Clock is nil the close time is the latest record's time, which makes
	// the file reproducible for a given input.
	OpenTime time.Time
	Clock    func() time.Time
	// Extra columns appended after Zeek's (e.g. names); each returns the
	// field text for a connection ("" means unset).
	Extra []Column
	// JSONNulls writes unset fields as null in JSON instead of leaving them
	// out as Zeek does, so every line has every column (a stable schema for
	// DuckDB, Spark, Polars).
	JSONNulls bool
}

// Column is an extra conn.log column.
type Column struct {
	Name, Type string
	Value      func(c *flow.Conn) string
}

// ConnWriter writes conn.log records. It is not safe for concurrent use.
type ConnWriter struct {
	w       *bufio.Writer
	opt     Options
	buf     []byte
	local   *Nets
	lastTS  int64
	closeAt time.Time
	started bool
	err     error
}

// NewConnWriter returns a writer of conn.log to w. The header is written with
// the first record (or at Close for an empty log).
func NewConnWriter(w io.Writer, opt Options) *ConnWriter {
	cw := &ConnWriter{w: bufio.NewWriterSize(w, 256<<10), opt: opt, buf: make([]byte, 0, 512)}
	nets := opt.LocalNets
	if nets == nil {
		nets = PrivateAddressSpace()
	}
	cw.local = NewNets(nets)
	return cw
}

func zeekTime(t time.Time) string { return t.Format("2006-01-02-15-04-05") }

func (cw *ConnWriter) header() {
	if cw.started {
		return
	}
	cw.started = true
	if cw.opt.Format == JSON {
		return
	}
	b := cw.buf[:0]
	path := cw.opt.Path
	if path == "" {
		path = "conn"
	}
	b = append(b, "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\t"...)
	b = append(b, path...)
	b = append(b, "\n#open\t"...)
	b = append(b, zeekTime(cw.opt.OpenTime)...)
	b = append(b, "\n#fields"...)
	for _, f := range connFields {
		b = append(b, '\t')
		b = append(b, f...)
	}
	for _, e := range cw.opt.Extra {
		b = append(b, '\t')
		b = append(b, e.Name...)
	}
	b = append(b, "\n#types"...)
	for _, f := range connTypes {
		b = append(b, '\t')
		b = append(b, f...)
	}
	for _, e := range cw.opt.Extra {
		b = append(b, '\t')
		b = append(b, e.Type...)
	}
	b = append(b, '\n')
	cw.buf = b
	_, cw.err = cw.w.Write(b)
}

// SetOpenTime sets the time of the #open line; call it before the first
// Write.
func (cw *ConnWriter) SetOpenTime(t time.Time) { cw.opt.OpenTime = t }

// SetCloseTime fixes the time of the #close line (log rotation closes a
// file at its rotation time).
func (cw *ConnWriter) SetCloseTime(t time.Time) { cw.closeAt = t }

// IsLocal reports whether a is in the writer's local networks.
func (cw *ConnWriter) IsLocal(a decode.Addr) bool { return cw.local.Contains(a) }

func appendTime(b []byte, ns int64) []byte {
	return strconv.AppendFloat(b, float64(ns)/1e9, 'f', 6, 64)
}

func appendAddr(b []byte, a decode.Addr) []byte {
	return a.Netip().AppendTo(b)
}

// Write writes one removed connection's record.
func (cw *ConnWriter) Write(c *flow.Conn) error {
	if cw.err != nil {
		return cw.err
	}
	cw.header()
	if c.Last > cw.lastTS {
		cw.lastTS = c.Last
	}
	if cw.opt.Format == JSON {
		cw.buf = cw.appendJSON(cw.buf[:0], c)
	} else {
		cw.buf = cw.appendTSV(cw.buf[:0], c)
	}
	_, cw.err = cw.w.Write(cw.buf)
	return cw.err
}

func (cw *ConnWriter) appendTSV(b []byte, c *flow.Conn) []byte {
	b = appendTime(b, c.Start)
	b = append(b, '\t')
	b = c.UID().AppendTo(b, 'C')
	b = append(b, '\t')
	b = appendAddr(b, c.OrigH)
	b = append(b, '\t')
	b = strconv.AppendUint(b, uint64(c.OrigP), 10)
	b = append(b, '\t')
	b = appendAddr(b, c.RespH)
	b = append(b, '\t')
	b = strconv.AppendUint(b, uint64(c.RespP), 10)
	b = append(b, '\t')
	b = append(b, c.Trans.String()...)
	b = append(b, '\t')
	if svc := c.Service(); svc != "" {
		b = appendEscaped(b, svc) // set by service detection (names/service)
	} else {
		b = append(b, '-')
	}
	b = append(b, '\t')
	dur := c.Duration()
	if dur > 0 {
		o, r := c.Sizes()
		b = strconv.AppendFloat(b, dur, 'f', 6, 64)
		b = append(b, '\t')
		b = strconv.AppendUint(b, o, 10)
		b = append(b, '\t')
		b = strconv.AppendUint(b, r, 10)
	} else {
		b = append(b, "-\t-\t-"...)
	}
	b = append(b, '\t')
	b = append(b, c.State()...)
	b = append(b, '\t')
	b = appendBool(b, cw.IsLocal(c.OrigH))
	b = append(b, '\t')
	b = appendBool(b, cw.IsLocal(c.RespH))
	b = append(b, '\t')
	b = strconv.AppendUint(b, c.MissedBytes(), 10)
	b = append(b, '\t')
	n := len(b)
	b = c.AppendHistory(b)
	if len(b) == n {
		b = append(b, '-')
	}
	b = append(b, '\t')
	b = strconv.AppendUint(b, c.OrigPkts(), 10)
	b = append(b, '\t')
	b = strconv.AppendUint(b, c.OrigIPBytes(), 10)
	b = append(b, '\t')
	b = strconv.AppendUint(b, c.RespPkts(), 10)
	b = append(b, '\t')
	b = strconv.AppendUint(b, c.RespIPBytes(), 10)
	b = append(b, '\t')
	if len(c.TunnelParents()) == 0 {
		b = append(b, '-')
	} else {
		for i, u := range c.TunnelParents() {
			if i > 0 {
				b = append(b, ',')
			}
			b = u.AppendTo(b, 'C')
		}
	}
	b = append(b, '\t')
	b = strconv.AppendUint(b, uint64(c.IPProto), 10)
	for _, e := range cw.opt.Extra {
		b = append(b, '\t')
		v := e.Value(c)
		if v == "" {
			b = append(b, '-')
		} else {
			b = appendEscaped(b, v)
		}
	}
	return append(b, '\n')
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 'T')
	}
	return append(b, 'F')
}

// appendEscaped escapes a string field as Zeek's ASCII writer does:
// non-printable bytes, the separator and backslash as \xNN.
func appendEscaped(b []byte, s string) []byte {
	if s == "-" {
		return append(b, `\x2d`...)
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch < 0x20 || ch >= 0x7f || ch == '\\' || ch == '\t' {
			b = append(b, '\\', 'x', "0123456789abcdef"[ch>>4], "0123456789abcdef"[ch&15])
			continue
		}
		b = append(b, ch)
	}
	return b
}

func (cw *ConnWriter) appendJSON(b []byte, c *flow.Conn) []byte {
	b = append(b, `{"ts":`...)
	b = appendTime(b, c.Start)
	b = append(b, `,"uid":"`...)
	b = c.UID().AppendTo(b, 'C')
	b = append(b, `","id.orig_h":"`...)
	b = appendAddr(b, c.OrigH)
	b = append(b, `","id.orig_p":`...)
	b = strconv.AppendUint(b, uint64(c.OrigP), 10)
	b = append(b, `,"id.resp_h":"`...)
	b = appendAddr(b, c.RespH)
	b = append(b, `","id.resp_p":`...)
	b = strconv.AppendUint(b, uint64(c.RespP), 10)
	b = append(b, `,"proto":"`...)
	b = append(b, c.Trans.String()...)
	b = append(b, '"')
	if svc := c.Service(); svc != "" {
		b = append(b, `,"service":`...)
		b = strconv.AppendQuote(b, svc)
	} else if cw.opt.JSONNulls {
		b = append(b, `,"service":null`...)
	}
	if dur := c.Duration(); dur > 0 {
		o, r := c.Sizes()
		b = append(b, `,"duration":`...)
		b = strconv.AppendFloat(b, dur, 'f', 6, 64)
		b = append(b, `,"orig_bytes":`...)
		b = strconv.AppendUint(b, o, 10)
		b = append(b, `,"resp_bytes":`...)
		b = strconv.AppendUint(b, r, 10)
	} else if cw.opt.JSONNulls {
		b = append(b, `,"duration":null,"orig_bytes":null,"resp_bytes":null`...)
	}
	b = append(b, `,"conn_state":"`...)
	b = append(b, c.State()...)
	b = append(b, `","local_orig":`...)
	b = strconv.AppendBool(b, cw.IsLocal(c.OrigH))
	b = append(b, `,"local_resp":`...)
	b = strconv.AppendBool(b, cw.IsLocal(c.RespH))
	b = append(b, `,"missed_bytes":`...)
	b = strconv.AppendUint(b, c.MissedBytes(), 10)
	if h := c.AppendHistory(nil); len(h) > 0 {
		b = append(b, `,"history":"`...)
		b = append(b, h...)
		b = append(b, '"')
	} else if cw.opt.JSONNulls {
		b = append(b, `,"history":null`...)
	}
	b = append(b, `,"orig_pkts":`...)
	b = strconv.AppendUint(b, c.OrigPkts(), 10)
	b = append(b, `,"orig_ip_bytes":`...)
	b = strconv.AppendUint(b, c.OrigIPBytes(), 10)
	b = append(b, `,"resp_pkts":`...)
	b = strconv.AppendUint(b, c.RespPkts(), 10)
	b = append(b, `,"resp_ip_bytes":`...)
	b = strconv.AppendUint(b, c.RespIPBytes(), 10)
	if len(c.TunnelParents()) > 0 {
		b = append(b, `,"tunnel_parents":[`...)
		for i, u := range c.TunnelParents() {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = u.AppendTo(b, 'C')
			b = append(b, '"')
		}
		b = append(b, ']')
	} else if cw.opt.JSONNulls {
		b = append(b, `,"tunnel_parents":null`...)
	}
	b = append(b, `,"ip_proto":`...)
	b = strconv.AppendUint(b, uint64(c.IPProto), 10)
	for _, e := range cw.opt.Extra {
		if v := e.Value(c); v != "" {
			b = append(b, `,"`...)
			b = append(b, e.Name...)
			b = append(b, `":`...)
			b = strconv.AppendQuote(b, v)
		} else if cw.opt.JSONNulls {
			b = append(b, `,"`...)
			b = append(b, e.Name...)
			b = append(b, `":null`...)
		}
	}
	return append(b, "}\n"...)
}

// Flush writes buffered records out (the header too, if no record came
// yet), so a live log is readable while the sensor runs.
func (cw *ConnWriter) Flush() error {
	if cw.err == nil && cw.started {
		cw.err = cw.w.Flush()
	}
	return cw.err
}

// Close writes the #close line (TSV) and flushes.
func (cw *ConnWriter) Close() error {
	cw.header()
	if cw.err == nil && cw.opt.Format == TSV {
		var t time.Time
		if !cw.closeAt.IsZero() {
			t = cw.closeAt
		} else if cw.opt.Clock != nil {
			t = cw.opt.Clock()
		} else if cw.lastTS > 0 {
			t = time.Unix(0, cw.lastTS).UTC()
		} else {
			t = cw.opt.OpenTime
		}
		_, cw.err = fmt.Fprintf(cw.w, "#close\t%s\n", zeekTime(t))
	}
	if err := cw.w.Flush(); cw.err == nil {
		cw.err = err
	}
	return cw.err
}

// PrivateAddressSpace returns Zeek's Site::private_address_space (Zeek
// copies it into Site::local_nets by default).
func PrivateAddressSpace() []netip.Prefix {
	list := []string{
		"0.0.0.0/8", "2002::/24", "10.0.0.0/8", "2002:a00::/24", "100.64.0.0/10", "2002:6440::/26",
		"127.0.0.0/8", "2002:7f00::/24", "169.254.0.0/16", "2002:a9fe::/32", "172.16.0.0/12", "2002:ac10::/28",
		"192.0.0.0/24", "2002:c000::/40", "192.0.2.0/24", "2002:c000:200::/40", "192.168.0.0/16", "2002:c0a8::/32",
		"198.18.0.0/15", "2002:c612::/31", "198.51.100.0/24", "2002:c633:6400::/40", "203.0.113.0/24",
		"2002:cb00:7100::/40", "224.0.0.0/24", "2002:e000::/40", "239.0.0.0/8", "2002:ef00::/24", "240.0.0.0/4", "2002:f000::/20", "255.255.255.255/32", "2002:ffff:ffff::/48",
		"::/128", "::1/128", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:2::/48", "2001:db8::/32",
		"fc00::/7", "fe80::/10", "fec0::/10",
	}
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}
