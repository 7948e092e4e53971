package scripts

import (
	"net/netip"
	"strconv"

	"github.com/flowlog/flowlog/flow"
)

// Event kinds: the values of Flow.Event, and the names scripts pass to
// flowlog.on.
const (
	EventOpened    = "opened"    // a new connection was seen (its first packet)
	EventClosed    = "closed"    // the connection was removed; its conn record is final
	EventThreshold = "threshold" // a threshold set with flow.setThreshold was crossed
	EventPoll      = "poll"      // a poll scheduled with flow.watch is due
	EventRemoval   = "removal"   // a removal hook registered with flow.registerRemoval runs
)

// kind indexes per-event tables.
type kind uint8

const (
	kindOpened kind = iota
	kindClosed
	kindThreshold
	kindPoll
	kindRemoval
	numKinds
)

var kindNames = [numKinds]string{EventOpened, EventClosed, EventThreshold, EventPoll, EventRemoval}

func kindOf(event string) (kind, bool) {
	switch event {
	case EventOpened:
		return kindOpened, true
	case EventClosed:
		return kindClosed, true
	case EventThreshold:
		return kindThreshold, true
	case EventPoll:
		return kindPoll, true
	case EventRemoval:
		return kindRemoval, true
	}
	return 0, false
}

// Flow is the plain snapshot of one connection that the package gets per
// flow event. The caller fills it from the flow table; it holds values only
// (no pointers into packet buffers or into the table), and nothing in this
// package keeps f or its Tags slice after a call returns: JavaScript sees a
// private copy.
type Flow struct {
	// Event is one of EventOpened, EventClosed, EventThreshold, EventPoll,
	// EventRemoval.
	Event string
	// UID is the conn.log uid ("C..." in Zeek's base62 form). It may be
	// left empty with ConnUID set: the text is then made the first time
	// something reads it (UIDText), which most policies never do.
	UID     string
	ConnUID flow.UID
	// TS is the packet time of this event, seconds since the epoch. It is
	// the only clock the package uses (lock TTLs, Date.now() in scripts).
	TS float64
	// Start is the conn record's ts (first packet time); Duration its
	// duration so far.
	Start, Duration float64

	// Proto is conn.log's proto: "tcp", "udp", "icmp" or
	// "unknown_transport". IPProto is the IP protocol number.
	Proto   string
	IPProto uint8
	// Service is conn.log's service ("" when unset).
	Service string

	OrigH, RespH netip.Addr
	OrigP, RespP uint16

	// Local and Remote are the two endpoints as --local-nets sees them: the
	// local side is whichever endpoint is in the local nets (orig if both or
	// neither). When either is invalid, Match treats orig as local and resp
	// as remote. LocalIsOrig says which way round they are.
	Local, Remote netip.AddrPort
	LocalIsOrig   bool
	// LocalOrig and LocalResp are conn.log's local_orig and local_resp.
	LocalOrig, LocalResp bool

	// State is conn.log's conn_state, History its history. History may
	// be left empty and set with SetHistory instead: the string is then
	// made on first use (HistoryText).
	State, History string
	hist           [16]byte
	histN          uint8

	OrigBytes, RespBytes     uint64 // payload bytes (conn.log orig_bytes, resp_bytes)
	OrigPkts, RespPkts       uint64
	OrigIPBytes, RespIPBytes uint64
	MissedBytes              uint64

	// SNI is the TLS (or QUIC) server name, "" if none was seen.
	SNI string
	// LocalHost and RemoteHost are reverse-DNS names, "" if unknown.
	LocalHost, RemoteHost string
	// Tags are the tags scripts added to this flow so far (the caller keeps
	// them between calls).
	Tags []string

	// Threshold is the threshold that fired (Event == EventThreshold).
	Threshold Threshold
	// PollCount is the number of polls left, Zeek's cnt argument
	// (Event == EventPoll).
	PollCount int
	// RemovalHook says a removal hook is already registered for this flow,
	// so flow.registerRemoval() returns false (Zeek's register_removal_hook).
	RemovalHook bool
}

// Threshold names one conn-framework threshold (Zeek's
// base/protocols/conn/thresholds.zeek).
type Threshold struct {
	// Kind is one of "orig_bytes", "resp_bytes" (IP bytes, as Zeek),
	// "orig_packets", "resp_packets", "packets" (both directions) or
	// "duration" (seconds).
	Kind  string
	Value float64
}

// thresholdKinds are the accepted Threshold.Kind values.
var thresholdKinds = []string{"orig_bytes", "resp_bytes", "orig_packets", "resp_packets", "packets", "duration"}

func validThresholdKind(k string) bool {
	for _, t := range thresholdKinds {
		if t == k {
			return true
		}
	}
	return false
}

// endpoints returns the local and remote endpoints, unmapped and without
// zones (orig/resp when Local or Remote is unset).
// UIDText returns the uid's text (UID, made from ConnUID if empty).
func (f *Flow) UIDText() string {
	if f.UID == "" && !f.ConnUID.IsZero() {
		f.UID = f.ConnUID.String()
	}
	return f.UID
}

// SetHistory sets the history from its letters (copied): short histories
// become a string only if something reads them (HistoryText).
func (f *Flow) SetHistory(h []byte) {
	if len(h) <= len(f.hist) {
		f.histN = uint8(copy(f.hist[:], h))
		f.History = ""
		return
	}
	f.History, f.histN = string(h), 0
}

// HistoryText returns the history (History, or the letters given to
// SetHistory).
func (f *Flow) HistoryText() string {
	if f.History == "" && f.histN > 0 {
		f.History = string(f.hist[:f.histN])
	}
	return f.History
}

func (f *Flow) endpoints() (local, remote netip.AddrPort) {
	if f.Local.IsValid() && f.Remote.IsValid() {
		local, remote = f.Local, f.Remote
	} else {
		local = netip.AddrPortFrom(f.OrigH, f.OrigP)
		remote = netip.AddrPortFrom(f.RespH, f.RespP)
	}
	return cleanAddrPort(local), cleanAddrPort(remote)
}

func cleanAddrPort(ap netip.AddrPort) netip.AddrPort {
	a := ap.Addr()
	if a.Is4In6() {
		a = a.Unmap()
	} else if a.Zone() != "" {
		a = a.WithZone("")
	}
	return netip.AddrPortFrom(a, ap.Port())
}

// is6 reports whether the flow is an IPv6 flow (after unmapping).
func (f *Flow) is6() bool {
	_, r := f.endpoints()
	return r.Addr().Is6()
}

// protoBit is the flow's bit in a DSL protocol set.
func (f *Flow) protoBit(v6 bool) protoSet {
	var b protoSet
	switch f.Proto {
	case "tcp":
		b = protoTCP4
	case "udp":
		b = protoUDP4
	case "icmp":
		b = protoICMP4
	default:
		return protoOther
	}
	if v6 {
		b <<= 1
	}
	return b
}

// SensorProto is the proto field of a net.packet event: "tcp", "tcp6",
// "udp", "udp6" as /proc/net names them, "icmp"/"icmp6" for ICMP, and
// Proto unchanged otherwise.
func (f *Flow) SensorProto() string {
	v6 := f.is6()
	switch f.Proto {
	case "tcp", "udp", "icmp":
		if v6 {
			return f.Proto + "6"
		}
	}
	return f.Proto
}

// appendAddrPort writes ip:port with IPv6 in brackets (netip's form).
func appendAddrPort(b []byte, ap netip.AddrPort) []byte {
	if !ap.IsValid() {
		return append(b, '-')
	}
	return ap.AppendTo(b)
}

func addrPortString(ap netip.AddrPort) string {
	var buf [64]byte
	return string(appendAddrPort(buf[:0], ap))
}

// ConnRecord is the conn.log record in Zeek's JSON field names, as it stood
// at the event (the lead's writer produces the final one). It is part of
// net.packet event payloads.
type ConnRecord struct {
	TS          float64 `json:"ts"`
	UID         string  `json:"uid"`
	OrigH       string  `json:"id.orig_h"`
	OrigP       uint16  `json:"id.orig_p"`
	RespH       string  `json:"id.resp_h"`
	RespP       uint16  `json:"id.resp_p"`
	Proto       string  `json:"proto"`
	Service     string  `json:"service,omitempty"`
	Duration    float64 `json:"duration"`
	OrigBytes   uint64  `json:"orig_bytes"`
	RespBytes   uint64  `json:"resp_bytes"`
	ConnState   string  `json:"conn_state"`
	LocalOrig   bool    `json:"local_orig"`
	LocalResp   bool    `json:"local_resp"`
	MissedBytes uint64  `json:"missed_bytes"`
	History     string  `json:"history"`
	OrigPkts    uint64  `json:"orig_pkts"`
	OrigIPBytes uint64  `json:"orig_ip_bytes"`
	RespPkts    uint64  `json:"resp_pkts"`
	RespIPBytes uint64  `json:"resp_ip_bytes"`
	IPProto     uint8   `json:"ip_proto"`
}

// Conn returns the flow's conn record.
func (f *Flow) Conn() ConnRecord {
	return ConnRecord{
		TS: f.Start, UID: f.UIDText(),
		OrigH: addrString(f.OrigH), OrigP: f.OrigP, RespH: addrString(f.RespH), RespP: f.RespP,
		Proto: f.Proto, Service: f.Service, Duration: f.Duration,
		OrigBytes: f.OrigBytes, RespBytes: f.RespBytes, ConnState: f.State,
		LocalOrig: f.LocalOrig, LocalResp: f.LocalResp, MissedBytes: f.MissedBytes, History: f.HistoryText(),
		OrigPkts: f.OrigPkts, OrigIPBytes: f.OrigIPBytes, RespPkts: f.RespPkts, RespIPBytes: f.RespIPBytes,
		IPProto: f.IPProto,
	}
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// Event is an alert raised by a script (flowlog.event) or by a net.packet
// sensor. The receiver owns it; it holds no references into this package.
type Event struct {
	// ID is the event id. For net.packet sensors it is
	// "<sensor-id>|net.packet[@tag]|<action>@<remote-ip:port>|0"; for
	// scripts it is the optional third argument of flowlog.event.
	ID string `json:"eid,omitempty"`
	// Name is the event name: the first argument of flowlog.event, or
	// "net.packet[@tag]" for sensors.
	Name string `json:"name"`
	// Sensor is the sensor id ("" for script events); Listener is
	// "net.packet" for sensor events.
	Sensor   string `json:"sensor,omitempty"`
	Listener string `json:"listener,omitempty"`
	// Source is where it came from: "file.js:line:col" of the
	// flowlog.event call, or "file.yaml:line" of the sensor.
	Source string `json:"source,omitempty"`
	// UID and TS are the flow's uid and the packet time of the event.
	UID string  `json:"uid"`
	TS  float64 `json:"ts"`
	// Data is the payload: *PacketData for net.packet sensor events,
	// json.RawMessage (the JSON text of the script's payload, "null" if
	// none) for script events.
	Data any `json:"data"`
}

// PacketData is the data of a net.packet event, Sysinspect's fields plus
// flowlog's (sni, uid, ts, conn).
type PacketData struct {
	Action     string     `json:"action"`      // "opened" or "closed"
	Proto      string     `json:"proto"`       // tcp|tcp6|udp|udp6 (icmp|icmp6|unknown_transport as extensions)
	Local      string     `json:"local"`       // ip:port, IPv6 in brackets
	Remote     string     `json:"remote"`      // ip:port, IPv6 in brackets
	LocalHost  *string    `json:"local_host"`  // PTR name or null
	RemoteHost *string    `json:"remote_host"` // PTR name or null
	State      string     `json:"state"`       // Zeek conn_state at the event
	SNI        *string    `json:"sni"`         // TLS/QUIC server name or null
	UID        string     `json:"uid"`
	TS         float64    `json:"ts"`
	Conn       ConnRecord `json:"conn"`
}

// RequestKind says what a Request asks the conn framework to do.
type RequestKind uint8

// Request kinds. Each maps to one of Zeek's conn framework scripts.
const (
	// RequestThreshold sets Threshold on the flow (thresholds.zeek
	// set_*_threshold). Setting one already passed fires at once.
	RequestThreshold RequestKind = iota + 1
	// RequestClearThreshold deletes the threshold of Threshold.Kind, or only
	// the one with Threshold.Value when it is not zero (delete_*_threshold).
	RequestClearThreshold
	// RequestWatch starts polling (polling.zeek watch): a "poll" event after
	// Interval seconds of packet time, at most Count times.
	RequestWatch
	// RequestPollNext is a poll handler's return value: the next poll after
	// Interval seconds; a negative Interval stops polling.
	RequestPollNext
	// RequestExtract turns content extraction on (On) or off for the
	// directions Orig/Resp (contents.zeek extract_orig/extract_resp).
	RequestExtract
	// RequestRemovalHook registers the flow for "removal" events
	// (removal-hooks.zeek register_removal_hook).
	RequestRemovalHook
)

var requestNames = [...]string{"", "threshold", "clear_threshold", "watch", "poll_next", "extract", "removal_hook"}

func (k RequestKind) String() string {
	if int(k) < len(requestNames) && k != 0 {
		return requestNames[k]
	}
	return "request(" + strconv.Itoa(int(k)) + ")"
}

// Request is a conn-framework request recorded during a script call. The
// package only records requests; the caller applies them to the flow table.
type Request struct {
	Kind      RequestKind
	UID       string
	Threshold Threshold // RequestThreshold, RequestClearThreshold
	Interval  float64   // RequestWatch, RequestPollNext (seconds)
	Count     int       // RequestWatch
	Orig      bool      // RequestExtract
	Resp      bool      // RequestExtract
	On        bool      // RequestExtract
	// Source is "file.js:line:col" of the call that made the request.
	Source string
}

// Verdict is the outcome of one Runtime.Call. The zero Verdict means "as if
// no script ran": log the flow, no tags, events or requests. The caller owns
// every slice in it.
type Verdict struct {
	// Drop excludes the flow from conn.log (flow.drop()). A drop at any
	// event sticks: the caller remembers it for the flow.
	Drop bool
	// Tags are the tags added by this call, in order, without duplicates
	// and without tags already in Flow.Tags.
	Tags []string
	// Events are the events raised, in order.
	Events []Event
	// Requests are the conn-framework requests, in order.
	Requests []Request
	// Handlers is the number of handlers that ran.
	Handlers int
}
