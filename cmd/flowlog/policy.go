package main

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/flowlog/flowlog/contents"
	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/events"
	"github.com/flowlog/flowlog/flow"
	"github.com/flowlog/flowlog/hooks"
	"github.com/flowlog/flowlog/names"
	"github.com/flowlog/flowlog/polling"
	"github.com/flowlog/flowlog/scripts"
	"github.com/flowlog/flowlog/thresholds"
	"github.com/flowlog/flowlog/zeeklog"
)

// policy runs the JavaScript policies (--script) and the net.packet sensor
// files (--sensor) on the flow table's opened/closed events, applies what
// they ask of the conn framework, and sends their events to the sinks. It
// runs on the table's goroutine; JavaScript is never called per packet.
type policy struct {
	shared   *policyShared
	rt       *scripts.Runtime
	prog     *scripts.Program // program of rt at the last call (see Handles)
	sensors  *scripts.SensorSet
	locks    *scripts.LockTable
	sink     events.Sink
	local    []netip.Prefix
	nets     *zeeklog.Nets // local, for the per-flow checks
	flows    map[flow.UID]*pstate
	stderr   io.Writer
	errors   uint64
	events   uint64
	client   string
	extract  string // --contents-dir (or the output dir) for flow.extract()
	extracts map[flow.UID]*contents.Extractor
	table    *flow.Table
	names    *names.Names
	fbuf     scripts.Flow
	hbuf     [64]byte // history letters for the snapshot
}

// pstate is what the policy remembers about a live flow.
type pstate struct {
	drop  bool
	tags  []string
	hook  bool
	pollI time.Duration
}

// policyShared is what every worker's policy shares: the compiled program
// (reloaded on SIGHUP), the lock table and the event sinks.
type policyShared struct {
	cfg    *Config
	pl     *scripts.Policy
	locks  *scripts.LockTable
	sink   events.Sink
	stderr io.Writer
}

// setupPolicyShared compiles the scripts, checks the sensor files (errors
// name file:line:column) and opens the event sinks. It returns nil when
// neither --script nor --sensor was given.
func setupPolicyShared(cfg *Config, stderr io.Writer) (*policyShared, error) {
	if len(cfg.Scripts) == 0 && len(cfg.Sensors) == 0 {
		return nil, nil
	}
	sh := &policyShared{cfg: cfg, locks: scripts.NewLockTable(), stderr: stderr}
	if len(cfg.Scripts) > 0 {
		pl, err := scripts.NewPolicy(cfg.Scripts)
		if err != nil {
			return nil, err
		}
		sh.pl = pl
	}
	if len(cfg.Sensors) > 0 {
		set, err := scripts.LoadSensorFiles(scripts.SensorOptions{Locks: sh.locks, Profiles: cfg.SensorProfiles}, cfg.Sensors...)
		if err != nil {
			return nil, err
		}
		for _, w := range set.Warnings {
			fmt.Fprintf(stderr, "flowlog: warning: %v\n", w)
		}
	}
	sinks, err := openSinks(cfg, stderr)
	if err != nil {
		return nil, err
	}
	sh.sink = sinks
	return sh, nil
}

// reload recompiles the scripts (SIGHUP). A broken new version keeps the
// old one running; the error says why.
func (sh *policyShared) reload() {
	if sh == nil || sh.pl == nil {
		return
	}
	if err := sh.pl.Reload(nil); err != nil {
		fmt.Fprintf(sh.stderr, "flowlog: SIGHUP: policy reload failed, the previous version keeps running: %v\n", err)
		return
	}
	fmt.Fprintf(sh.stderr, "flowlog: SIGHUP: policy reloaded\n")
}

// worker returns a policy for one table (one goroutine): its own runtime
// (following the shared program) and sensor set.
func (sh *policyShared) worker(seed uint64) (*policy, error) {
	cfg := sh.cfg
	p := &policy{shared: sh, flows: map[flow.UID]*pstate{}, stderr: sh.stderr,
		locks: sh.locks, sink: sh.sink, local: cfg.LocalNets, extracts: map[flow.UID]*contents.Extractor{}}
	if p.local == nil {
		p.local = zeeklog.PrivateAddressSpace()
	}
	p.nets = zeeklog.NewNets(p.local)
	p.client, _ = os.Hostname()
	p.extract = cfg.ContentsDir
	if p.extract == "" {
		p.extract = cfg.OutDir
	}
	if sh.pl != nil {
		rt, err := scripts.NewRuntime(nil, scripts.Options{Policy: sh.pl, Timeout: cfg.ScriptTimeout, Locks: sh.locks, Seed: seed,
			Log: func(src, msg string) { fmt.Fprintf(sh.stderr, "flowlog: script %s: %s\n", src, msg) }})
		if err != nil {
			return nil, err
		}
		p.rt = rt
	}
	if len(cfg.Sensors) > 0 {
		set, err := scripts.LoadSensorFiles(scripts.SensorOptions{Locks: sh.locks, Profiles: cfg.SensorProfiles}, cfg.Sensors...)
		if err != nil {
			return nil, err
		}
		p.sensors = set
	}
	return p, nil
}

// setupPolicy builds the replay's policy (one table).
func setupPolicy(cfg *Config, stderr io.Writer) (*policy, error) {
	sh, err := setupPolicyShared(cfg, stderr)
	if sh == nil || err != nil {
		return nil, err
	}
	return sh.worker(cfg.Seed)
}

// openSinks opens events.log in the output directory, plus --events and
// --webhook.
func openSinks(cfg *Config, stderr io.Writer) (events.Multi, error) {
	var m events.Multi
	f, err := os.Create(filepath.Join(cfg.OutDir, "events.log"))
	if err != nil {
		return nil, err
	}
	m = append(m, events.NewLines(f))
	for _, dest := range cfg.EventSinks {
		switch {
		case dest == "-":
			m = append(m, events.NewLines(nopCloser{os.Stdout}))
		case len(dest) > 5 && dest[:5] == "unix:":
			c, err := net.Dial("unix", dest[5:])
			if err != nil {
				m.Close()
				return nil, fmt.Errorf("--events %s: %v", dest, err)
			}
			m = append(m, events.NewLines(c))
		default:
			f, err := os.OpenFile(dest, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
			if err != nil {
				m.Close()
				return nil, fmt.Errorf("--events: %v", err)
			}
			m = append(m, events.NewLines(f))
		}
	}
	if cfg.Webhook != "" {
		format := events.FormatText
		if cfg.WebhookFormat == "event" {
			format = events.FormatEvent
		}
		spool := cfg.WebhookSpool
		if spool == "" {
			spool = filepath.Join(cfg.OutDir, "webhook-spool")
		}
		w, err := events.NewWebhook(events.WebhookOptions{URL: cfg.Webhook, Format: format, SpoolDir: spool,
			ClientRegex: cfg.WebhookClient, ProcessNameRegex: cfg.WebhookProcess, RemoteIPRegex: cfg.WebhookIP, RemotePortRegex: cfg.WebhookPort,
			Warn: func(err error) { fmt.Fprintf(stderr, "flowlog: warning: %v\n", err) }})
		if err != nil {
			m.Close()
			return nil, err
		}
		m = append(m, w)
	}
	return m, nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

func (p *policy) isLocal(a netip.Addr) bool { return p.nets.ContainsIP(a) }

// snapshot builds the script's view of c at event ev.
func (p *policy) snapshot(c *flow.Conn, ev string, now int64) *scripts.Flow {
	o, r := c.Sizes()
	f := &p.fbuf // reused: Runtime.Call and Evaluate do not keep it
	*f = scripts.Flow{
		Event: ev, ConnUID: c.UID(), TS: float64(now) / 1e9, Start: float64(c.Start) / 1e9,
		Proto: c.Trans.String(), IPProto: c.IPProto,
		OrigH: c.OrigH.Netip(), RespH: c.RespH.Netip(), OrigP: c.OrigP, RespP: c.RespP,
		State:     c.State(),
		OrigBytes: o, RespBytes: r, OrigPkts: c.OrigPkts(), RespPkts: c.RespPkts(),
		OrigIPBytes: c.OrigIPBytes(), RespIPBytes: c.RespIPBytes(), MissedBytes: c.MissedBytes(),
	}
	f.SetHistory(c.AppendHistory(p.hbuf[:0]))
	if d := c.Duration(); d > 0 {
		f.Duration = d
	}
	f.Service = c.Service()
	f.SNI, _ = c.Field("sni")
	f.LocalOrig, f.LocalResp = p.isLocal(f.OrigH), p.isLocal(f.RespH)
	orig, resp := netip.AddrPortFrom(f.OrigH, c.OrigP), netip.AddrPortFrom(f.RespH, c.RespP)
	if f.LocalOrig || !f.LocalResp {
		f.Local, f.Remote, f.LocalIsOrig = orig, resp, true
	} else {
		f.Local, f.Remote = resp, orig
	}
	if f.LocalIsOrig {
		f.LocalHost, f.RemoteHost = p.name(c.OrigH, c), p.name(c.RespH, c)
	} else {
		f.LocalHost, f.RemoteHost = p.name(c.RespH, c), p.name(c.OrigH, c)
	}
	if st := p.flows[c.UID()]; st != nil {
		f.Tags = st.tags
		f.RemovalHook = st.hook
	}
	return f
}

// name is the host name of an endpoint when the names pipeline knows it
// (passive DNS, then the reverse DNS cache with --rdns).
func (p *policy) name(a decode.Addr, c *flow.Conn) string {
	if p.names == nil {
		return ""
	}
	return p.names.Name(a, c.Last)
}

func (p *policy) state(c *flow.Conn) *pstate {
	st := p.flows[c.UID()]
	if st == nil {
		st = &pstate{}
		p.flows[c.UID()] = st
	}
	return st
}

// handle runs the policy on a batch of table events. It must run before the
// batch is written: it marks the closed connections to drop.
func (p *policy) handle(t *flow.Table, evs []flow.Event) {
	if p == nil {
		return
	}
	p.table = t
	for i := range evs {
		c := evs[i].Conn
		switch evs[i].Kind {
		case flow.EventOpened:
			p.run(t, c, scripts.EventOpened, c.Start, nil)
		case flow.EventClosed:
			p.run(t, c, scripts.EventClosed, c.Last, nil)
			if st := p.flows[c.UID()]; st != nil {
				if st.drop {
					c.SetField(dropField, "1")
				}
				delete(p.flows, c.UID())
			}
		}
	}
}

// dropField marks a record a policy dropped; it travels with the record
// (Conn.CopyTo) to the writers, which skip it.
const dropField = "flowlog.drop"

// dropped reports whether a closed connection was dropped by a policy.
func dropped(c *flow.Conn) bool {
	if !c.HasExt() {
		return false
	}
	_, ok := c.Field(dropField)
	return ok
}

// run calls the scripts and sensors for one flow event and applies the
// verdict. tweak may fill event-specific fields.
func (p *policy) run(t *flow.Table, c *flow.Conn, ev string, now int64, tweak func(*scripts.Flow)) scripts.Verdict {
	var v scripts.Verdict
	needScript := false
	if p.rt != nil {
		p.prog = p.shared.pl.Program()
		needScript = p.prog.Handles(ev)
	}
	needSensor := p.sensors != nil && (ev == scripts.EventOpened || ev == scripts.EventClosed)
	if !needScript && !needSensor {
		return v
	}
	f := p.snapshot(c, ev, now)
	if tweak != nil {
		tweak(f)
	}
	if needScript {
		var err error
		v, err = p.rt.Call(f)
		if err != nil {
			p.errors++
			fmt.Fprintf(p.stderr, "flowlog: policy: %v (flow %s logged as if no script ran)\n", err, f.UIDText())
		}
	}
	var evs []scripts.Event
	if needSensor {
		evs = p.sensors.Evaluate(f, nil)
	}
	evs = append(evs, v.Events...)
	for i := range evs {
		p.send(&evs[i], f)
	}
	if v.Drop || len(v.Tags) > 0 || len(v.Requests) > 0 {
		st := p.state(c)
		st.drop = st.drop || v.Drop
		st.tags = append(st.tags, v.Tags...)
		if len(v.Tags) > 0 {
			c.SetField("tags", joinTags(st.tags))
		}
		for _, r := range v.Requests {
			p.apply(t, c, r)
		}
	}
	return v
}

// joinTags renders tags as a Zeek set[string] field: comma-separated.
func joinTags(tags []string) string { return strings.Join(tags, ",") }

func (p *policy) send(e *scripts.Event, f *scripts.Flow) {
	p.events++
	out := &events.Event{ID: e.ID, TS: e.TS, UID: e.UID, Client: p.client,
		RemoteIP: f.Remote.Addr().String(), RemotePort: f.Remote.Port()}
	if out.ID == "" {
		out.ID = e.Name
	}
	if e.Sensor != "" {
		out.Source = "sensor"
	} else {
		out.Source = "script"
	}
	out.Data = map[string]any{"name": e.Name, "source": e.Source, "payload": e.Data}
	if e.Sensor != "" {
		out.Data["sensor"] = e.Sensor
	}
	if err := p.sink.Send(out); err != nil {
		fmt.Fprintf(p.stderr, "flowlog: warning: event %s: %v\n", out.ID, err)
	}
}

// apply performs one conn-framework request of a script.
func (p *policy) apply(t *flow.Table, c *flow.Conn, r scripts.Request) {
	switch r.Kind {
	case scripts.RequestThreshold, scripts.RequestClearThreshold:
		kind, dir := thresholds.Bytes, thresholds.Orig
		switch r.Threshold.Kind {
		case "orig_bytes":
		case "resp_bytes":
			dir = thresholds.Resp
		case "orig_packets":
			kind = thresholds.Packets
		case "resp_packets":
			kind, dir = thresholds.Packets, thresholds.Resp
		case "packets":
			kind, dir = thresholds.Packets, thresholds.Both
		case "duration":
			d := time.Duration(r.Threshold.Value * float64(time.Second))
			if r.Kind == scripts.RequestClearThreshold {
				thresholds.DeleteDuration(t, c, d)
				return
			}
			thresholds.SetDuration(t, c, d, p.onThreshold)
			return
		}
		if r.Kind == scripts.RequestClearThreshold {
			thresholds.Delete(t, c, kind, dir, uint64(r.Threshold.Value))
			return
		}
		thresholds.Set(t, c, kind, dir, uint64(r.Threshold.Value), p.onThreshold)
	case scripts.RequestWatch:
		iv := time.Duration(r.Interval * float64(time.Second))
		p.state(c).pollI = iv
		polling.Watch(t, c, p.onPoll, r.Count, iv)
	case scripts.RequestExtract:
		if !r.On {
			return
		}
		which := contents.Direction(0)
		if r.Orig {
			which |= contents.Orig
		}
		if r.Resp {
			which |= contents.Resp
		}
		if err := contents.Extract(t, c, p.extract, which); err != nil {
			fmt.Fprintf(p.stderr, "flowlog: warning: extract %s: %v\n", c.UID(), err)
		}
	case scripts.RequestRemovalHook:
		st := p.state(c)
		if !st.hook {
			st.hook = true
			hooks.Register(c, "policy", func(c *flow.Conn) { p.run(p.table, c, scripts.EventRemoval, c.Last, nil) })
		}
	}
}

func (p *policy) onThreshold(c *flow.Conn, th thresholds.Threshold) {
	kind := "orig_bytes"
	switch {
	case th.Kind == thresholds.Duration:
		kind = "duration"
	case th.Kind == thresholds.Bytes && th.Dir == thresholds.Resp:
		kind = "resp_bytes"
	case th.Kind == thresholds.Packets && th.Dir == thresholds.Orig:
		kind = "orig_packets"
	case th.Kind == thresholds.Packets && th.Dir == thresholds.Resp:
		kind = "resp_packets"
	case th.Kind == thresholds.Packets:
		kind = "packets"
	}
	value := float64(th.Value)
	if th.Kind == thresholds.Duration {
		value = th.Duration().Seconds()
	}
	p.run(p.table, c, scripts.EventThreshold, p.table.Now(), func(f *scripts.Flow) {
		f.Threshold = scripts.Threshold{Kind: kind, Value: value}
	})
}

func (p *policy) onPoll(c *flow.Conn, cnt int) time.Duration {
	v := p.run(p.table, c, scripts.EventPoll, p.table.Now(), func(f *scripts.Flow) { f.PollCount = cnt })
	next := p.state(c).pollI
	for _, r := range v.Requests {
		if r.Kind == scripts.RequestPollNext {
			next = time.Duration(r.Interval * float64(time.Second))
			if r.Interval < 0 {
				next = -1
			}
		}
	}
	return next
}

// report prints the errors counted.
func (p *policy) report() {
	if p != nil && p.errors > 0 {
		fmt.Fprintf(p.stderr, "flowlog: policy: %d script errors (those flows were logged as if no script ran)\n", p.errors)
	}
}

// close flushes the sinks (the webhook keeps undelivered events on disk).
func (sh *policyShared) close() error {
	if sh == nil {
		return nil
	}
	return sh.sink.Close()
}
