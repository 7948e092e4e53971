package applog

import (
	"bufio"
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
)

// Format selects the log encoding.
type Format uint8

// Formats, as zeeklog's.
const (
	TSV  Format = iota // Zeek's ASCII writer
	JSON               // Zeek's ASCII writer with LogAscii::use_json=T
)

// Options configure a writer.
type Options struct {
	Format Format
	// OpenTime is written in the #open line. Clock, if set, gives the
	// #close time; otherwise #close is the latest record's time (which
	// keeps the file reproducible for a given input).
	OpenTime time.Time
	Clock    func() time.Time
}

// writer is the part shared by the ssl.log and dns.log writers: Zeek's
// ASCII header, escaping, #close, JSON lines.
type writer struct {
	w       *bufio.Writer
	opt     Options
	path    string
	fields  []string
	types   []string
	b       []byte
	started bool
	lastTS  int64
	err     error
	json    bool
	first   bool // JSON: no field written yet in this line
}

func newWriter(w io.Writer, opt Options, path string, fields, types []string) writer {
	return writer{w: bufio.NewWriterSize(w, 64<<10), opt: opt, path: path, fields: fields, types: types,
		json: opt.Format == JSON}
}

func zeekTime(t time.Time) string { return t.UTC().Format("2006-01-02-15-04-05") }

func (w *writer) header() {
	if w.started {
		return
	}
	w.started = true
	if w.json {
		return
	}
	b := w.b[:0]
	b = append(b, "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\t"...)
	b = append(b, w.path...)
	b = append(b, "\n#open\t"...)
	b = append(b, zeekTime(w.opt.OpenTime)...)
	b = append(b, "\n#fields"...)
	for _, f := range w.fields {
		b = append(b, '\t')
		b = append(b, f...)
	}
	b = append(b, "\n#types"...)
	for _, f := range w.types {
		b = append(b, '\t')
		b = append(b, f...)
	}
	b = append(b, '\n')
	w.b = b
	w.write()
}

func (w *writer) write() {
	if w.err == nil {
		_, w.err = w.w.Write(w.b)
	}
}

// SetOpenTime sets the time of the #open line; call it before the first
// record.
func (w *writer) SetOpenTime(t time.Time) { w.opt.OpenTime = t }

// SetCloseTime fixes the #close time (log rotation closes a file at its
// rotation time).
func (w *writer) SetCloseTime(t time.Time) { w.opt.Clock = func() time.Time { return t } }

// Close writes the #close line (TSV) and flushes.
func (w *writer) Close() error {
	w.header()
	if w.err == nil && !w.json {
		var t time.Time
		switch {
		case w.opt.Clock != nil:
			t = w.opt.Clock()
		case w.lastTS > 0:
			t = time.Unix(0, w.lastTS)
		default:
			t = w.opt.OpenTime
		}
		w.b = append(append(w.b[:0], "#close\t"...), zeekTime(t)...)
		w.b = append(w.b, '\n')
		w.write()
	}
	if err := w.w.Flush(); w.err == nil {
		w.err = err
	}
	return w.err
}

// Record building. For TSV every column is written in order (unset "-");
// for JSON unset columns are left out, as Zeek does.

func (w *writer) begin(ts int64) {
	w.header()
	if ts > w.lastTS {
		w.lastTS = ts
	}
	w.b = w.b[:0]
	if w.json {
		w.b = append(w.b, '{')
		w.first = true
	}
}

func (w *writer) end() {
	if w.json {
		w.b = append(w.b, "}\n"...)
	} else {
		w.b[len(w.b)-1] = '\n' // the last column's tab
	}
	w.write()
}

func (w *writer) key(name string) {
	if !w.first {
		w.b = append(w.b, ',')
	}
	w.first = false
	w.b = append(w.b, '"')
	w.b = append(w.b, name...)
	w.b = append(w.b, `":`...)
}

func (w *writer) unset(name string) {
	if !w.json {
		w.b = append(w.b, "-\t"...)
	}
}

func (w *writer) time(name string, ns int64) {
	if w.json {
		w.key(name)
	}
	w.b = strconv.AppendFloat(w.b, float64(ns)/1e9, 'f', 6, 64)
	w.sep()
}

func (w *writer) sep() {
	if !w.json {
		w.b = append(w.b, '\t')
	}
}

func (w *writer) interval(name string, ns int64) {
	if w.json {
		w.key(name)
	}
	w.b = strconv.AppendFloat(w.b, float64(ns)/1e9, 'f', 6, 64)
	w.sep()
}

func (w *writer) uid(name string, u flow.UID) {
	if w.json {
		w.key(name)
		w.b = append(w.b, '"')
		w.b = u.AppendTo(w.b, 'C')
		w.b = append(w.b, '"')
		return
	}
	w.b = u.AppendTo(w.b, 'C')
	w.sep()
}

func (w *writer) addr(name string, a decode.Addr) {
	if w.json {
		w.key(name)
		w.b = append(w.b, '"')
		w.b = a.Netip().AppendTo(w.b)
		w.b = append(w.b, '"')
		return
	}
	w.b = a.Netip().AppendTo(w.b)
	w.sep()
}

func (w *writer) count(name string, v uint64) {
	if w.json {
		w.key(name)
	}
	w.b = strconv.AppendUint(w.b, v, 10)
	w.sep()
}

func (w *writer) bool(name string, v bool) {
	if w.json {
		w.key(name)
		w.b = strconv.AppendBool(w.b, v)
		return
	}
	if v {
		w.b = append(w.b, 'T')
	} else {
		w.b = append(w.b, 'F')
	}
	w.sep()
}

// str writes a string column; set false means unset.
func (w *writer) str(name, v string, set bool) {
	if !set {
		w.unset(name)
		return
	}
	if w.json {
		w.key(name)
		w.b = appendJSONString(w.b, v)
		return
	}
	switch v {
	case "":
		w.b = append(w.b, "(empty)"...)
	default:
		w.b = appendEscaped(w.b, v, false)
	}
	w.sep()
}

// strs writes a vector[string] column (nil: unset).
func (w *writer) strs(name string, v []string) {
	if v == nil {
		w.unset(name)
		return
	}
	if w.json {
		w.key(name)
		w.b = append(w.b, '[')
		for i, s := range v {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.b = appendJSONString(w.b, s)
		}
		w.b = append(w.b, ']')
		return
	}
	if len(v) == 0 {
		w.b = append(w.b, "(empty)"...)
	}
	for i, s := range v {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = appendEscaped(w.b, s, true)
	}
	w.sep()
}

// intervals writes a vector[interval] column of whole seconds.
func (w *writer) intervals(name string, v []uint32) {
	if v == nil {
		w.unset(name)
		return
	}
	if w.json {
		w.key(name)
		w.b = append(w.b, '[')
		for i, s := range v {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.b = strconv.AppendFloat(w.b, float64(s), 'f', 1, 64)
		}
		w.b = append(w.b, ']')
		return
	}
	if len(v) == 0 {
		w.b = append(w.b, "(empty)"...)
	}
	for i, s := range v {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = strconv.AppendFloat(w.b, float64(s), 'f', 6, 64)
	}
	w.sep()
}

// appendEscaped escapes a string as Zeek's ASCII writer does: bytes
// outside printable ASCII, the tab separator and backslash as \xNN; a
// value that is exactly "-" or "(empty)" is escaped so it cannot be read
// as unset or empty; inside a container the set separator "," is escaped
// too.
func appendEscaped(b []byte, s string, inSet bool) []byte {
	if s == "-" {
		return append(b, `\x2d`...)
	}
	if s == "(empty)" {
		b = append(b, `\x28`...)
		s = s[1:]
	}
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '\\' || c == '\t' || (inSet && c == ',') {
			b = append(b, '\\', 'x', hex[c>>4], hex[c&15])
			continue
		}
		b = append(b, c)
	}
	return b
}

// appendJSONString quotes s as Zeek's JSON writer does: valid UTF-8 is
// kept, bytes that are not valid UTF-8 become the text \xNN
// (json_escape_utf8), and control characters get JSON's escapes.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x80 {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n <= 1 {
				b = append(b, '\\', '\\', 'x', hex[c>>4], hex[c&15])
				i++
				continue
			}
			b = append(b, s[i:i+n]...)
			i += n
			continue
		}
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20 || c == 0x7f:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
		i++
	}
	return append(b, '"')
}

// SSLWriter writes ssl.log. Not safe for concurrent use.
type SSLWriter struct{ writer }

var sslFields = []string{"ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "version", "server_name"}
var sslTypes = []string{"time", "string", "addr", "port", "addr", "port", "string", "string"}

// NewSSLWriter returns a writer of ssl.log to w (header with the first
// record, or at Close).
func NewSSLWriter(w io.Writer, opt Options) *SSLWriter {
	return &SSLWriter{newWriter(w, opt, "ssl", sslFields, sslTypes)}
}

// Write writes one record.
func (s *SSLWriter) Write(r *SSLRecord) error {
	w := &s.writer
	if w.err != nil {
		return w.err
	}
	w.begin(r.TS)
	w.time("ts", r.TS)
	w.uid("uid", r.UID)
	w.addr("id.orig_h", r.OrigH)
	w.count("id.orig_p", uint64(r.OrigP))
	w.addr("id.resp_h", r.RespH)
	w.count("id.resp_p", uint64(r.RespP))
	w.str("version", r.VersionString(), r.HasVersion)
	w.str("server_name", r.ServerName, r.ServerName != "")
	w.end()
	return w.err
}

// DNSWriter writes dns.log. Not safe for concurrent use.
type DNSWriter struct{ writer }

var dnsFields = []string{"ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "trans_id", "rtt",
	"query", "qclass", "qclass_name", "qtype", "qtype_name", "rcode", "rcode_name", "AA", "TC", "RD", "RA", "Z",
	"answers", "TTLs", "rejected", "opcode", "opcode_name"}
var dnsTypes = []string{"time", "string", "addr", "port", "addr", "port", "enum", "count", "interval",
	"string", "count", "string", "count", "string", "count", "string", "bool", "bool", "bool", "bool", "count",
	"vector[string]", "vector[interval]", "bool", "count", "string"}

// NewDNSWriter returns a writer of dns.log to w.
func NewDNSWriter(w io.Writer, opt Options) *DNSWriter {
	return &DNSWriter{newWriter(w, opt, "dns", dnsFields, dnsTypes)}
}

// Write writes one record.
func (d *DNSWriter) Write(r *DNSRecord) error {
	w := &d.writer
	if w.err != nil {
		return w.err
	}
	w.begin(r.TS)
	w.time("ts", r.TS)
	w.uid("uid", r.UID)
	w.addr("id.orig_h", r.OrigH)
	w.count("id.orig_p", uint64(r.OrigP))
	w.addr("id.resp_h", r.RespH)
	w.count("id.resp_p", uint64(r.RespP))
	w.str("proto", r.Proto, true)
	w.count("trans_id", uint64(r.TransID))
	if r.HasRTT {
		w.interval("rtt", r.RTT)
	} else {
		w.unset("rtt")
	}
	w.str("query", r.Query, r.HasQuery)
	if r.HasQType {
		w.count("qclass", uint64(r.QClass))
		w.str("qclass_name", r.QClassName, true)
		w.count("qtype", uint64(r.QType))
		w.str("qtype_name", r.QTypeName, true)
	} else {
		w.unset("qclass")
		w.unset("qclass_name")
		w.unset("qtype")
		w.unset("qtype_name")
	}
	if r.HasRcode {
		w.count("rcode", uint64(r.Rcode))
		w.str("rcode_name", r.RcodeName(), true)
	} else {
		w.unset("rcode")
		w.unset("rcode_name")
	}
	w.bool("AA", r.AA)
	w.bool("TC", r.TC)
	w.bool("RD", r.RD)
	w.bool("RA", r.RA)
	w.count("Z", uint64(r.Z))
	w.strs("answers", r.Answers)
	w.intervals("TTLs", r.TTLs)
	w.bool("rejected", r.Rejected)
	if r.HasOpcode {
		w.count("opcode", uint64(r.Opcode))
		w.str("opcode_name", r.OpcodeName, true)
	} else {
		w.unset("opcode")
		w.unset("opcode_name")
	}
	w.end()
	return w.err
}
