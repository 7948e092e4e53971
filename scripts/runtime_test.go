package scripts

import (
	"encoding/json"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dop251/goja"
)

func scriptErr(t *testing.T, err error) *ScriptError {
	t.Helper()
	var se *ScriptError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *ScriptError", err, err)
	}
	return se
}

func TestSyntaxErrorPosition(t *testing.T) {
	for _, c := range []struct {
		code      string
		line, col int
		msg       string
	}{
		{"var a = 1;\nflowlog.on('opened', function (flow) {\n  if (flow.uid ==) {}\n});\n", 3, 18, "Unexpected token"},
		{"let x = 1;\nlet x = 2;\n", 2, 5, "already been declared"},
		{"var s = 'unterminated\n", 1, 9, ""},
	} {
		_, err := CompileSources(Source{Name: "policy.js", Code: c.code})
		se := scriptErr(t, err)
		if se.Kind != ErrSyntax || se.File != "policy.js" || se.Line != c.line || se.Column != c.col {
			t.Errorf("%q: got %v at %s, want syntax error at policy.js:%d:%d", c.code, se.Kind, se.Pos(), c.line, c.col)
		}
		if !strings.Contains(err.Error(), "policy.js:") || !strings.Contains(se.Msg, c.msg) {
			t.Errorf("%q: message %q", c.code, err)
		}
	}
}

func TestInitErrors(t *testing.T) {
	for _, c := range []struct {
		code string
		line int
		msg  string
	}{
		{"var x = 1;\nthrow new Error('bad config');\n", 2, "bad config"},
		{"\nflowlog.on('opend', function () {});\n", 2, `unknown event "opend"`},
		{"flowlog.on('opened', 42);\n", 1, "must be a function"},
		{"var p = flowlog.patterns([\n 'ok.example',\n '1.2.3.4:99999']);\n", 1, `pattern "1.2.3.4:99999": bad port`},
		{"flowlog.event('x', {});\n", 1, "inside handlers"},
	} {
		_, err := CompileSources(Source{Name: "init.js", Code: c.code})
		se := scriptErr(t, err)
		if se.Kind != ErrInit || se.File != "init.js" || se.Line != c.line || !strings.Contains(se.Msg, c.msg) {
			t.Errorf("%q: got %v at %s: %q; want init error at line %d containing %q", c.code, se.Kind, se.Pos(), se.Msg, c.line, c.msg)
		}
	}
}

func TestInitTimeout(t *testing.T) {
	p, err := CompileSources(Source{Name: "ok.js", Code: "var n = 0;"})
	if err != nil {
		t.Fatal(err)
	}
	_ = p
	start := time.Now()
	// (A loop on a global variable is sometimes reported at the variable's
	// declaration: goja maps some instructions there.)
	_, err = CompileSources(Source{Name: "spin.js", Code: "(function () {\n  var i = 0;\n  while (true) { i++; }\n})();\n"})
	se := scriptErr(t, err)
	if se.Kind != ErrInit || se.Line != 3 || !strings.Contains(se.Msg, "interrupted") {
		t.Errorf("got %v at %s: %s", se.Kind, se.Pos(), se.Msg)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("init timeout took %v", d)
	}
}

const failPolicy = `var calls = 0;
flowlog.on("opened", function (flow) {
  calls++;
  flow.tag("seen");
  flow.drop();
  flowlog.event("before-failure", {n: calls});
  flowlog.lock("lock-" + flow.uid);
  flow.setThreshold("orig_bytes", 100);
  if (flow.resp_p === 1) { while (true) {} }
  if (flow.resp_p === 2) { throw new Error("boom " + flow.uid); }
  if (flow.resp_p === 3) { null.x; }
  if (flow.resp_p === 4) { (function f() { f(); })(); }
  if (flow.resp_p === 5) { flowlog.log("panic please"); }
  if (flow.resp_p === 6) { "x".repeat(1 << 30); }
  if (flow.resp_p === 7) { new Array(4294967295).fill(0); }
  if (flow.resp_p === 8) { new Uint8Array(1 << 30); }
  if (flow.resp_p === 9) { new Array(4294967295).join("x"); }
  if (flow.resp_p === 10) { "x".padStart(1 << 30); }
});
flowlog.on("closed", function (flow) { flow.tag("calls=" + calls); });
`

func TestHandlerFailures(t *testing.T) {
	var mu sync.Mutex
	opts := Options{Timeout: 30 * time.Millisecond, Log: func(src, msg string) {
		if msg == "panic please" {
			panic("logger exploded")
		}
		mu.Lock()
		defer mu.Unlock()
	}}
	r := newTestRuntime(t, opts, Source{Name: "fail.js", Code: failPolicy})
	for _, c := range []struct {
		port uint16
		kind ErrorKind
		line int
		msg  string
	}{
		{1, ErrTimeout, 9, "interrupted after 30ms"},
		{2, ErrThrow, 10, "uncaught Error: boom C2"},
		{3, ErrThrow, 11, "TypeError"},
		{4, ErrLimit, 12, "call stack deeper than"},
		{5, ErrPanic, 2, "logger exploded"},
		{6, ErrThrow, 14, "RangeError: String.prototype.repeat"},
		{7, ErrThrow, 15, "RangeError: Array.prototype.fill"},
		{8, ErrThrow, 16, "ReferenceError: Uint8Array is not defined"},
		{9, ErrThrow, 17, "RangeError: Array.prototype.join"},
		{10, ErrThrow, 18, "RangeError: String.prototype.padStart"},
	} {
		f := tf("tcp", lan4, "1.2.3.4:1", "", "")
		f.RespP, f.Remote = c.port, netip.AddrPortFrom(f.RespH, c.port)
		f.UID = "C" + string(rune('0'+c.port%10))
		if c.port == 10 {
			f.UID = "C10"
		}
		start := time.Now()
		v, err := r.Call(&f)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("port %d: call took %v", c.port, d)
		}
		se := scriptErr(t, err)
		if se.Kind != c.kind || se.File != "fail.js" || se.Line != c.line || !strings.Contains(se.Msg, c.msg) {
			t.Errorf("port %d: got %v at %s: %q; want %v at fail.js:%d containing %q", c.port, se.Kind, se.Pos(), se.Msg, c.kind, c.line, c.msg)
		}
		if se.UID != f.UID || se.Event != "opened" || !strings.Contains(err.Error(), "uid "+f.UID) {
			t.Errorf("port %d: error %q does not name the flow", c.port, err)
		}
		if v.Drop || v.Tags != nil || v.Events != nil || v.Requests != nil || v.Handlers != 0 {
			t.Errorf("port %d: verdict %+v, want the zero verdict", c.port, v)
		}
		if r.Locks().Locked("lock-"+f.UID, f.TS) {
			t.Errorf("port %d: lock taken by the failed call was not undone", c.port)
		}
	}
	st := r.Stats()
	if st.Errors != 10 || st.Timeouts != 1 || st.Limits != 1 || st.Panics != 1 || st.Throws != 7 {
		t.Errorf("stats %+v", st)
	}

	// The runtime keeps working after every failure, and is not
	// interrupted spuriously by a stale timeout.
	for i := 0; i < 50; i++ {
		f := tf("tcp", lan4, "1.2.3.4:443", "", "")
		v, err := r.Call(&f)
		if err != nil || !v.Drop || len(v.Tags) != 1 || len(v.Events) != 1 || len(v.Requests) != 1 {
			t.Fatalf("call %d after failures: %+v %v", i, v, err)
		}
		r.Locks().Unlock("lock-" + f.UID)
	}
	// The panic rebuilt the JavaScript state: calls counts from the
	// rebuild (5 opened calls after it: ports 6-10, then 50).
	f := tf("tcp", lan4, "1.2.3.4:443", "", "")
	f.Event = EventClosed
	v, err := r.Call(&f)
	if err != nil || len(v.Tags) != 1 || v.Tags[0] != "calls=55" {
		t.Errorf("closed: %+v %v", v, err)
	}
}

func TestVerdict(t *testing.T) {
	r := newTestRuntime(t, Options{}, Source{Name: "v.js", Code: `
flowlog.on("opened", function (flow) {
  flow.tag("a", "b");
  flow.tag("a");        // duplicate within the call
  flow.tag("old");      // already on the flow
  flowlog.event("new-conn", {remote: flow.remote, host: flow.remote_host, sni: flow.sni, n: 1.5}, "id-" + flow.uid);
  flowlog.event("bare");
  flow.setThreshold("resp_bytes", 1e6);
  flow.clearThreshold("duration");
  flow.watch(30, 10);
  flow.extract("orig");
  flow.extract("both", false);
  if (!flow.registerRemoval()) throw new Error("first registerRemoval");
  if (flow.registerRemoval()) throw new Error("second registerRemoval");
});
flowlog.on("opened", function (flow) {
  if (flow.tags.join() !== "old,a,b") throw new Error("tags " + flow.tags.join());
  if (flow.dropped) throw new Error("dropped");
  flow.drop();
  if (!flow.dropped) throw new Error("not dropped");
});
flowlog.on("poll", function (flow) { return flow.poll_count > 1 ? 15 : -1; });
flowlog.on("threshold", function (flow) {
  flowlog.event("threshold", flow.threshold);
});
`})
	f := tf("tcp", lan4, "[2001:db8::1]:443", "", "www.example.com")
	f.Remote = netip.MustParseAddrPort("[2001:db8::1]:443")
	f.Local = netip.MustParseAddrPort(lan6)
	f.Tags = []string{"old"}
	f.UID = "Cverdict"
	v, err := r.Call(&f)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Drop || v.Handlers != 2 || strings.Join(v.Tags, ",") != "a,b" {
		t.Errorf("verdict %+v", v)
	}
	if len(v.Events) != 2 {
		t.Fatalf("events %+v", v.Events)
	}
	e := v.Events[0]
	if e.Name != "new-conn" || e.ID != "id-Cverdict" || e.UID != "Cverdict" || e.TS != 1000 || e.Source != "v.js:6:16" {
		t.Errorf("event %+v", e)
	}
	if got := string(e.Data.(json.RawMessage)); got != `{"remote":"[2001:db8::1]:443","host":null,"sni":"www.example.com","n":1.5}` {
		t.Errorf("event data %s", got)
	}
	if got := string(v.Events[1].Data.(json.RawMessage)); got != "null" || v.Events[1].ID != "" {
		t.Errorf("bare event %+v", v.Events[1])
	}
	want := []Request{
		{Kind: RequestThreshold, UID: "Cverdict", Threshold: Threshold{"resp_bytes", 1e6}, Source: "v.js:8:20"},
		{Kind: RequestClearThreshold, UID: "Cverdict", Threshold: Threshold{Kind: "duration"}, Source: "v.js:9:22"},
		{Kind: RequestWatch, UID: "Cverdict", Interval: 30, Count: 10, Source: "v.js:10:13"},
		{Kind: RequestExtract, UID: "Cverdict", Orig: true, On: true, Source: "v.js:11:15"},
		{Kind: RequestExtract, UID: "Cverdict", Orig: true, Resp: true, Source: "v.js:12:15"},
		{Kind: RequestRemovalHook, UID: "Cverdict", Source: "v.js:13:28"},
	}
	if len(v.Requests) != len(want) {
		t.Fatalf("requests %+v", v.Requests)
	}
	for i := range want {
		if v.Requests[i] != want[i] {
			t.Errorf("request %d: %+v, want %+v", i, v.Requests[i], want[i])
		}
	}
	if f.Tags[0] != "old" || len(f.Tags) != 1 {
		t.Errorf("Call modified f.Tags: %q", f.Tags)
	}

	f.Event, f.PollCount = EventPoll, 3
	v, err = r.Call(&f)
	if err != nil || len(v.Requests) != 1 || v.Requests[0].Kind != RequestPollNext || v.Requests[0].Interval != 15 {
		t.Errorf("poll: %+v %v", v, err)
	}
	f.PollCount = 1
	v, _ = r.Call(&f)
	if len(v.Requests) != 1 || v.Requests[0].Interval != -1 {
		t.Errorf("poll stop: %+v", v)
	}
	f.Event, f.Threshold = EventThreshold, Threshold{"orig_bytes", 4096}
	v, err = r.Call(&f)
	if err != nil || len(v.Events) != 1 || string(v.Events[0].Data.(json.RawMessage)) != `{"kind":"orig_bytes","value":4096}` {
		t.Errorf("threshold: %+v %v", v, err)
	}
	f.Event = EventRemoval // no handler
	if v, err := r.Call(&f); err != nil || v.Handlers != 0 {
		t.Errorf("removal: %+v %v", v, err)
	}
	f.Event = "bogus"
	if _, err := r.Call(&f); err == nil {
		t.Error("unknown event accepted")
	}
	p := r.Program()
	if !p.Handles("opened") || !p.Handles("poll") || p.Handles("closed") || p.Handles("removal") || p.Handles("bogus") {
		t.Errorf("Handles wrong")
	}
}

func TestFlowObject(t *testing.T) {
	r := newTestRuntime(t, Options{}, Source{Name: "f.js", Code: `
var kept;
flowlog.on("opened", function (flow) {
  var got = {};
  Object.keys(flow).forEach(function (k) { got[k] = flow[k]; });
  flowlog.event("fields", got);
  kept = flow;
});
flowlog.on("closed", function (flow) {
  // A flow kept from an earlier call is a readable snapshot ...
  if (kept.event !== "opened" || kept.uid !== "Cobj") throw new Error("kept " + kept.event);
  if (!flowlog.match("*:22", kept)) throw new Error("kept flow does not match");
  // ... but its methods are dead.
  try { kept.drop(); throw new Error("kept.drop worked"); } catch (e) {
    if (!(e instanceof TypeError)) throw e;
  }
  flow.remote_h = "changed"; // read-only, ignored in sloppy mode
  if (flow.remote_h !== "10.0.0.2") throw new Error("flow was modified");
  if (Date.now() !== 2000500) throw new Error("Date.now is not packet time: " + Date.now());
});
`})
	f := Flow{Event: EventOpened, UID: "Cobj", TS: 1999.25, Start: 1999.25, Duration: 0, Proto: "tcp", IPProto: 6,
		OrigH: netip.MustParseAddr("10.0.0.2"), OrigP: 22, RespH: netip.MustParseAddr("10.0.0.1"), RespP: 40000,
		Local: netip.MustParseAddrPort("10.0.0.1:40000"), Remote: netip.MustParseAddrPort("10.0.0.2:22"), LocalIsOrig: false,
		LocalOrig: true, LocalResp: true, State: "S1", History: "Sh", OrigBytes: 1, RespBytes: 2, OrigPkts: 3, RespPkts: 4,
		OrigIPBytes: 5, RespIPBytes: 6, MissedBytes: 7, LocalHost: "me.lan", Service: "ssh"}
	v, err := r.Call(&f)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(v.Events[0].Data.(json.RawMessage), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"event": "opened", "uid": "Cobj", "ts": 1999.25, "start": 1999.25, "duration": 0.0,
		"proto": "tcp", "net_proto": "tcp", "ip_version": 4.0, "ip_proto": 6.0, "service": "ssh",
		"orig_h": "10.0.0.2", "orig_p": 22.0, "resp_h": "10.0.0.1", "resp_p": 40000.0,
		"local": "10.0.0.1:40000", "remote": "10.0.0.2:22", "local_h": "10.0.0.1", "local_p": 40000.0,
		"remote_h": "10.0.0.2", "remote_p": 22.0, "local_is_orig": false, "local_orig": true, "local_resp": true,
		"state": "S1", "history": "Sh", "orig_bytes": 1.0, "resp_bytes": 2.0, "orig_pkts": 3.0, "resp_pkts": 4.0,
		"orig_ip_bytes": 5.0, "resp_ip_bytes": 6.0, "missed_bytes": 7.0, "sni": nil, "local_host": "me.lan",
		"remote_host": nil, "tags": []any{}, "threshold": nil, "poll_count": 0.0, "dropped": false,
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("field %s missing", k)
			continue
		}
		if gj, _ := json.Marshal(g); string(gj) != mustJSON(w) {
			t.Errorf("field %s = %s, want %s", k, gj, mustJSON(w))
		}
	}
	if len(got) != len(want) {
		t.Errorf("fields %v", got)
	}
	f.Event, f.TS = EventClosed, 2000.5
	if _, err := r.Call(&f); err != nil {
		t.Fatal(err)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestLocksInScripts(t *testing.T) {
	locks := NewLockTable()
	r := newTestRuntime(t, Options{Locks: locks}, Source{Name: "lock.js", Code: `
flowlog.on("opened", function (flow) {
  var id = "new-port|" + flow.remote;
  if (flowlog.lock(id, flow.resp_p === 443 ? 10 : 0)) flowlog.event("first", null, id);
  if (!flowlog.locked(id)) throw new Error("not locked after lock");
});
flowlog.on("closed", function (flow) {
  if (flowlog.unlock("new-port|" + flow.remote)) flow.tag("unlocked");
});
`})
	call := func(ev, remote string, ts float64) Verdict {
		t.Helper()
		f := tf("tcp", lan4, remote, "", "")
		f.Event, f.TS = ev, ts
		v, err := r.Call(&f)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := call("opened", "1.1.1.1:22", 100); len(v.Events) != 1 || v.Events[0].ID != "new-port|1.1.1.1:22" {
		t.Fatalf("first: %+v", v)
	}
	if v := call("opened", "1.1.1.1:22", 101); len(v.Events) != 0 {
		t.Errorf("locked id fired again: %+v", v)
	}
	if v := call("opened", "1.1.1.1:23", 101); len(v.Events) != 1 {
		t.Errorf("other id muted: %+v", v)
	}
	// Unlock from a handler, or from Go.
	if v := call("closed", "1.1.1.1:22", 102); len(v.Tags) != 1 {
		t.Errorf("unlock: %+v", v)
	}
	if v := call("opened", "1.1.1.1:22", 103); len(v.Events) != 1 {
		t.Errorf("after unlock: %+v", v)
	}
	if !locks.Unlock("new-port|1.1.1.1:22") {
		t.Error("Go Unlock")
	}
	if v := call("opened", "1.1.1.1:22", 104); len(v.Events) != 1 {
		t.Errorf("after Go unlock: %+v", v)
	}
	// TTL in packet time.
	if v := call("opened", "2.2.2.2:443", 200); len(v.Events) != 1 {
		t.Errorf("ttl first: %+v", v)
	}
	if v := call("opened", "2.2.2.2:443", 209.9); len(v.Events) != 0 {
		t.Errorf("ttl muted: %+v", v)
	}
	if v := call("opened", "2.2.2.2:443", 210); len(v.Events) != 1 {
		t.Errorf("ttl expired: %+v", v)
	}
}

func TestLockTable(t *testing.T) {
	lt := NewLockTable()
	if !lt.Lock("a", 0, 1) || lt.Lock("a", 0, 1e12) || !lt.Locked("a", 1e12) {
		t.Error("lock without TTL")
	}
	if !lt.Unlock("a") || lt.Unlock("a") || lt.Locked("a", 1) {
		t.Error("unlock")
	}
	if !lt.Lock("b", 5, 100) || lt.Lock("b", 5, 104.999) || !lt.Locked("b", 104.999) || lt.Locked("b", 105) {
		t.Error("TTL")
	}
	if !lt.Lock("b", 5, 105) {
		t.Error("relock after TTL")
	}
	lt.Lock("c", 1, 100)
	if n := lt.Expire(200); n != 2 || lt.Len() != 0 {
		t.Errorf("Expire removed %d, %d left", n, lt.Len())
	}
}

func TestMisuse(t *testing.T) {
	r := newTestRuntime(t, Options{}, Source{Name: "m.js", Code: `
flowlog.on("opened", function (flow) {
  switch (flow.resp_p) {
  case 1: flowlog.on("closed", function () {}); break;
  case 2: flow.tag(""); break;
  case 3: flow.tag("a,b"); break;
  case 4: flow.setThreshold("bytes", 1); break;
  case 5: flow.watch(0); break;
  case 6: flow.extract("sideways"); break;
  case 7: flowlog.match(["*:99999"], flow); break;
  case 8: flowlog.match(["*"], {uid: "fake"}); break;
  case 9: flowlog.event("x", {big: "y".repeat(70000)}); break;
  case 10: var d = flow.drop; d(); break;
  case 11: var o = {}; o.self = o; flowlog.event("cyclic", o); break;
  }
});
`})
	for port, msg := range map[uint16]string{
		1: "register handlers at top level", 2: "bad tag", 3: "bad tag", 4: "kind must be one of",
		5: "interval must be", 6: "dir must be", 7: "bad port", 8: "want a flow", 9: "payload is 70010 bytes",
		10: "not called on a flow", 11: "circular",
	} {
		f := tf("tcp", lan4, "1.2.3.4:1", "", "")
		f.RespP, f.Remote = port, netip.AddrPortFrom(f.RespH, port)
		_, err := r.Call(&f)
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("port %d: error %v, want %q", port, err, msg)
		}
	}
}

func TestReload(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.js", `var n = 0; flowlog.on("opened", function (f) { n++; f.tag("v1:" + n); });`)
	broken := writeFile(t, dir, "broken.js", "flowlog.on('opened', function (f) {\n  f.tag('v2'\n});\n")
	throws := writeFile(t, dir, "throws.js", "throw new Error('nope');\n")
	v2 := writeFile(t, dir, "v2.js", `flowlog.on("opened", function (f) { f.tag("v2"); });`)

	p, err := Compile([]string{good})
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRuntime(p, Options{Timeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tag := func() string {
		f := tf("tcp", lan4, "1.1.1.1:1", "", "")
		v, err := r.Call(&f)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(v.Tags, ",")
	}
	if got := tag(); got != "v1:1" {
		t.Fatalf("tag %q", got)
	}
	err = r.Reload([]string{broken})
	if se := scriptErr(t, err); se.Kind != ErrSyntax || se.File != broken || se.Line != 3 {
		t.Errorf("broken reload: %v", err)
	}
	if err := r.Reload([]string{throws}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("throwing reload: %v", err)
	}
	if err := r.Reload([]string{dir + "/missing.js"}); err == nil {
		t.Error("missing file reload succeeded")
	}
	if got := tag(); got != "v1:2" { // old program and its state kept
		t.Errorf("after failed reloads: %q", got)
	}
	if err := r.Reload([]string{v2}); err != nil {
		t.Fatal(err)
	}
	if got := tag(); got != "v2" {
		t.Errorf("after reload: %q", got)
	}
	if st := r.Stats(); st.Reloads != 1 || st.ReloadErrors != 3 {
		t.Errorf("stats %+v", st)
	}

	// A Policy shared by several runtimes.
	pl, err := NewPolicy([]string{good})
	if err != nil {
		t.Fatal(err)
	}
	var rs []*Runtime
	for i := 0; i < 3; i++ {
		r, err := NewRuntime(nil, Options{Policy: pl, Timeout: testTimeout})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		rs = append(rs, r)
	}
	call := func(r *Runtime) string {
		f := tf("tcp", lan4, "1.1.1.1:1", "", "")
		v, err := r.Call(&f)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(v.Tags, ",")
	}
	if err := pl.Reload([]string{broken}); err == nil {
		t.Error("policy reload of a broken file succeeded")
	}
	for _, r := range rs {
		if got := call(r); got != "v1:1" {
			t.Errorf("policy after failed reload: %q", got)
		}
	}
	if err := pl.Reload([]string{v2}); err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if got := call(r); got != "v2" {
			t.Errorf("policy after reload: %q", got)
		}
	}
}

// TestConcurrentRuntimes runs one Program in several goroutines, each with
// its own Runtime, sharing a LockTable (run with -race).
func TestConcurrentRuntimes(t *testing.T) {
	p, err := CompileSources(Source{Name: "bench.js", Code: benchPolicy + `
flowlog.on("opened", function (flow) { if (flowlog.lock("once|" + flow.remote)) flowlog.event("once"); });`})
	if err != nil {
		t.Fatal(err)
	}
	locks := NewLockTable()
	var wg sync.WaitGroup
	var mu sync.Mutex
	events := 0
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := NewRuntime(p, Options{Locks: locks, Timeout: testTimeout})
			if err != nil {
				t.Error(err)
				return
			}
			defer r.Close()
			flows := benchFlows()
			for i := 0; i < 300; i++ {
				v, err := r.Call(&flows[i%len(flows)])
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				events += len(v.Events)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if events != 3 { // three distinct remotes among the opened bench flows
		t.Errorf("%d once-events, want 3", events)
	}
}

func TestPolicyCallAllocs(t *testing.T) {
	r := newTestRuntime(t, Options{}, Source{Name: "bench.js", Code: benchPolicy})
	flows := benchFlows()
	n := testing.AllocsPerRun(200, func() {
		for i := range flows {
			if _, err := r.Call(&flows[i]); err != nil {
				t.Fatal(err)
			}
		}
	}) / float64(len(flows))
	t.Logf("%.1f allocs per Call", n)
	if n > 12 {
		t.Errorf("%.1f allocs per Call", n)
	}
}

// TestTimerLateness: a timer that fires late (the process was not running)
// gives the handler that time back, within lateBudget; a timely one
// interrupts; disarm clears a pending interrupt.
func TestTimerLateness(t *testing.T) {
	r, _ := newRuntime(nil, Options{})
	defer r.Close()
	vm := goja.New()
	r.arm(vm, time.Hour)
	r.mu.Lock()
	r.deadline, r.armedFor = time.Now().Add(-20*time.Millisecond), 50*time.Millisecond
	r.mu.Unlock()
	r.onTimer()
	if _, err := vm.RunString("1"); err != nil {
		t.Fatalf("late timer interrupted: %v", err)
	}
	r.mu.Lock()
	ext := r.extended
	r.deadline = time.Now().Add(-200 * time.Millisecond) // more than the budget left
	r.mu.Unlock()
	if ext < 20*time.Millisecond {
		t.Errorf("extended by %v", ext)
	}
	r.onTimer()
	if _, err := vm.RunString("1"); err == nil {
		t.Fatal("not interrupted")
	}
	vm.Interrupt(timeoutMarker{}) // pending when the call ends
	r.disarm(vm)
	if _, err := vm.RunString("1"); err != nil {
		t.Fatalf("interrupt not cleared: %v", err)
	}
}
