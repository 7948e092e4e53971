package scripts

import (
	"math"
	"slices"
	"strings"

	"github.com/dop251/goja"
)

// jsFlow is the JavaScript view of one flow event: a read-only object
// backed by a private copy of the Flow. Its methods (drop, tag, ...) work
// only while its handler call runs; reading fields works forever, so a
// script may keep a flow object in a variable.
type jsFlow struct {
	in      *instance
	f       Flow
	obj     *goja.Object
	live    bool
	dropped bool
	removal bool // registerRemoval requested during the call
}

// flowKeys are the enumerable fields (what JSON.stringify(flow) and
// Object.keys(flow) see). Methods are not enumerable.
var flowKeys = []string{
	"event", "uid", "ts", "start", "duration",
	"proto", "net_proto", "ip_version", "ip_proto", "service",
	"orig_h", "orig_p", "resp_h", "resp_p",
	"local", "remote", "local_h", "local_p", "remote_h", "remote_p", "local_is_orig",
	"local_orig", "local_resp",
	"state", "history",
	"orig_bytes", "resp_bytes", "orig_pkts", "resp_pkts", "orig_ip_bytes", "resp_ip_bytes", "missed_bytes",
	"sni", "local_host", "remote_host", "tags",
	"threshold", "poll_count", "dropped",
}

var flowMethods = []string{"drop", "tag", "setThreshold", "clearThreshold", "watch", "extract", "registerRemoval"}

var flowKeySet = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range flowKeys {
		m[k] = true
	}
	for _, k := range flowMethods {
		m[k] = true
	}
	return m
}()

func (j *jsFlow) str(s string) goja.Value { return j.in.vm.ToValue(s) }

func (j *jsFlow) strOrNull(s string) goja.Value {
	if s == "" {
		return goja.Null()
	}
	return j.in.vm.ToValue(s)
}

func (j *jsFlow) num(x uint64) goja.Value { return j.in.vm.ToValue(x) }

// Get implements goja.DynamicObject.
func (j *jsFlow) Get(key string) goja.Value {
	in, f := j.in, &j.f
	vm := in.vm
	switch key {
	case "event":
		return j.str(f.Event)
	case "uid":
		return j.str(f.UIDText())
	case "ts":
		return vm.ToValue(f.TS)
	case "start":
		return vm.ToValue(f.Start)
	case "duration":
		return vm.ToValue(f.Duration)
	case "proto":
		return j.str(f.Proto)
	case "net_proto":
		return j.str(f.SensorProto())
	case "ip_version":
		if f.is6() {
			return vm.ToValue(6)
		}
		return vm.ToValue(4)
	case "ip_proto":
		return vm.ToValue(int(f.IPProto))
	case "service":
		return j.strOrNull(f.Service)
	case "orig_h":
		return j.strOrNull(addrString(f.OrigH))
	case "orig_p":
		return vm.ToValue(int(f.OrigP))
	case "resp_h":
		return j.strOrNull(addrString(f.RespH))
	case "resp_p":
		return vm.ToValue(int(f.RespP))
	case "local", "remote", "local_h", "local_p", "remote_h", "remote_p":
		l, r := f.endpoints()
		ap := l
		if strings.HasPrefix(key, "remote") {
			ap = r
		}
		switch {
		case strings.HasSuffix(key, "_h"):
			return j.strOrNull(addrString(ap.Addr()))
		case strings.HasSuffix(key, "_p"):
			return vm.ToValue(int(ap.Port()))
		}
		return j.str(addrPortString(ap))
	case "local_is_orig":
		if f.Local.IsValid() && f.Remote.IsValid() {
			return vm.ToValue(f.LocalIsOrig)
		}
		return vm.ToValue(true)
	case "local_orig":
		return vm.ToValue(f.LocalOrig)
	case "local_resp":
		return vm.ToValue(f.LocalResp)
	case "state":
		return j.str(f.State)
	case "history":
		return j.str(f.HistoryText())
	case "orig_bytes":
		return j.num(f.OrigBytes)
	case "resp_bytes":
		return j.num(f.RespBytes)
	case "orig_pkts":
		return j.num(f.OrigPkts)
	case "resp_pkts":
		return j.num(f.RespPkts)
	case "orig_ip_bytes":
		return j.num(f.OrigIPBytes)
	case "resp_ip_bytes":
		return j.num(f.RespIPBytes)
	case "missed_bytes":
		return j.num(f.MissedBytes)
	case "sni":
		return j.strOrNull(f.SNI)
	case "local_host":
		return j.strOrNull(f.LocalHost)
	case "remote_host":
		return j.strOrNull(f.RemoteHost)
	case "tags":
		vals := make([]any, len(f.Tags))
		for i, t := range f.Tags {
			vals[i] = t
		}
		return vm.NewArray(vals...)
	case "threshold":
		if f.Event != EventThreshold {
			return goja.Null()
		}
		o := vm.NewObject()
		_ = o.Set("kind", f.Threshold.Kind)
		_ = o.Set("value", f.Threshold.Value)
		return o
	case "poll_count":
		return vm.ToValue(f.PollCount)
	case "dropped":
		return vm.ToValue(j.dropped)
	case "drop":
		return in.fnDrop
	case "tag":
		return in.fnTag
	case "setThreshold":
		return in.fnSetThreshold
	case "clearThreshold":
		return in.fnClearThreshold
	case "watch":
		return in.fnWatch
	case "extract":
		return in.fnExtract
	case "registerRemoval":
		return in.fnRegisterRemoval
	}
	return nil
}

// Set implements goja.DynamicObject: flows are read-only (a TypeError in
// strict mode, ignored otherwise).
func (j *jsFlow) Set(string, goja.Value) bool { return false }

// Has implements goja.DynamicObject.
func (j *jsFlow) Has(key string) bool { return flowKeySet[key] }

// Delete implements goja.DynamicObject.
func (j *jsFlow) Delete(string) bool { return false }

// Keys implements goja.DynamicObject.
func (j *jsFlow) Keys() []string { return slices.Clone(flowKeys) }

// liveFlow returns the flow a method was called on, which must be the flow
// of the running call.
func (in *instance) liveFlow(this goja.Value, method string) *jsFlow {
	o, ok := this.(*goja.Object)
	if cur := in.cs.flow; ok && cur != nil && o == cur.obj {
		return cur // the common case, without Export (which allocates)
	}
	var jf *jsFlow
	if ok {
		jf, ok = o.Export().(*jsFlow)
	}
	if !ok {
		in.throwType("flow.%s: not called on a flow", method)
	}
	if !jf.live {
		in.throwType("flow.%s: the handler for flow %s has returned", method, jf.f.UIDText())
	}
	return jf
}

func (in *instance) request(jf *jsFlow, rq Request) {
	rq.UID = jf.f.UIDText()
	rq.Source = in.caller().String()
	in.cs.reqs = append(in.cs.reqs, rq)
}

func (in *instance) nDrop(call goja.FunctionCall) goja.Value {
	jf := in.liveFlow(call.This, "drop")
	jf.dropped = true
	in.cs.drop = true
	return goja.Undefined()
}

func (in *instance) nTag(call goja.FunctionCall) goja.Value {
	jf := in.liveFlow(call.This, "tag")
	for _, a := range call.Arguments {
		t, ok := a.(goja.String)
		if !ok {
			in.throwType("flow.tag: tags are strings, got %s", a.String())
		}
		s := t.String()
		if s == "" || len(s) > 256 || strings.ContainsAny(s, ",\t\r\n") {
			in.throwType("flow.tag: bad tag %q (1-256 bytes, no commas, tabs or line breaks)", s)
		}
		if slices.Contains(jf.f.Tags, s) {
			continue
		}
		jf.f.Tags = append(jf.f.Tags, s)
		in.cs.tags = append(in.cs.tags, s)
	}
	return goja.Undefined()
}

func (in *instance) thresholdArgs(call goja.FunctionCall, method string, needValue bool) Threshold {
	k, ok := call.Argument(0).(goja.String)
	if !ok || !validThresholdKind(k.String()) {
		in.throwType("flow.%s: kind must be one of %s", method, strings.Join(thresholdKinds, ", "))
	}
	t := Threshold{Kind: k.String()}
	v := call.Argument(1)
	if goja.IsUndefined(v) && !needValue {
		return t
	}
	t.Value = v.ToFloat()
	if math.IsNaN(t.Value) || math.IsInf(t.Value, 0) || t.Value < 0 {
		in.throwType("flow.%s(%q, ...): value must be a finite number >= 0", method, t.Kind)
	}
	return t
}

func (in *instance) nSetThreshold(call goja.FunctionCall) goja.Value {
	jf := in.liveFlow(call.This, "setThreshold")
	in.request(jf, Request{Kind: RequestThreshold, Threshold: in.thresholdArgs(call, "setThreshold", true)})
	return goja.Undefined()
}

func (in *instance) nClearThreshold(call goja.FunctionCall) goja.Value {
	jf := in.liveFlow(call.This, "clearThreshold")
	in.request(jf, Request{Kind: RequestClearThreshold, Threshold: in.thresholdArgs(call, "clearThreshold", false)})
	return goja.Undefined()
}

func (in *instance) nWatch(call goja.FunctionCall) goja.Value {
	jf := in.liveFlow(call.This, "watch")
	iv := call.Argument(0).ToFloat()
	if math.IsNaN(iv) || math.IsInf(iv, 0) || iv <= 0 {
		in.throwType("flow.watch(interval, count): interval must be a number of seconds > 0")
	}
	cnt := int64(1)
	if c := call.Argument(1); !goja.IsUndefined(c) {
		f := c.ToFloat()
		if f != math.Trunc(f) || f < 1 || f > 1e9 {
			in.throwType("flow.watch(interval, count): count must be an integer >= 1")
		}
		cnt = int64(f)
	}
	in.request(jf, Request{Kind: RequestWatch, Interval: iv, Count: int(cnt)})
	return goja.Undefined()
}

func (in *instance) addPollNext(ret goja.Value) {
	f := ret.ToFloat()
	if math.IsNaN(f) {
		in.throwType("poll handler: return the next interval in seconds (negative stops), got %s", ret.String())
	}
	in.request(in.cs.flow, Request{Kind: RequestPollNext, Interval: f})
}

func (in *instance) nExtract(call goja.FunctionCall) goja.Value {
	jf := in.liveFlow(call.This, "extract")
	rq := Request{Kind: RequestExtract, On: true}
	d := "both"
	if a := call.Argument(0); !goja.IsUndefined(a) {
		d = a.String()
	}
	switch d {
	case "orig":
		rq.Orig = true
	case "resp":
		rq.Resp = true
	case "both":
		rq.Orig, rq.Resp = true, true
	default:
		in.throwType("flow.extract(dir, on): dir must be \"orig\", \"resp\" or \"both\", got %q", d)
	}
	if a := call.Argument(1); !goja.IsUndefined(a) {
		rq.On = a.ToBoolean()
	}
	in.request(jf, rq)
	return goja.Undefined()
}

func (in *instance) nRegisterRemoval(call goja.FunctionCall) goja.Value {
	jf := in.liveFlow(call.This, "registerRemoval")
	if jf.f.RemovalHook || jf.removal {
		return in.vm.ToValue(false)
	}
	jf.removal = true
	in.request(jf, Request{Kind: RequestRemovalHook})
	return in.vm.ToValue(true)
}
