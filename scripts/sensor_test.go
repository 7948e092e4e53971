package scripts

import (
	"encoding/json"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestSeedSensorFile(t *testing.T) {
	set, err := ParseSensors("sensors.yaml", []byte(seedSensorYAML), SensorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Sensors) != 1 || len(set.Warnings) != 0 {
		t.Fatalf("%d sensors, warnings %q", len(set.Sensors), set.Warnings)
	}
	sn := set.Sensors[0]
	if sn.ID != "google" || !sn.Active || !sn.Opened || !sn.Closed || sn.Tag != "internet-watch" ||
		sn.DNSTTL != 60*time.Second || sn.SNIInterface != "eth0" || sn.Locked || sn.DNS ||
		strings.Join(sn.Profiles, ",") != "default" || sn.File != "sensors.yaml" || sn.Line != 1 {
		t.Errorf("sensor %+v", sn)
	}
	if got := strings.Join(sn.Patterns.Patterns(), ","); got != "*.au-net.ne.jp,*.comcast.net,*.nt-isp.net" {
		t.Errorf("patterns %q", got)
	}
	if got := strings.Join(sn.Patterns.Ignore(), ","); got != "udp * *" {
		t.Errorf("ignore %q", got)
	}
	if !sn.NeedsDNS() || !set.NeedsDNS() || set.DNSTTL() != time.Minute {
		t.Error("host globs must turn DNS on")
	}
	if sn.ListenerID() != "net.packet@internet-watch" {
		t.Errorf("listener %q", sn.ListenerID())
	}
}

func TestSensorEventFormat(t *testing.T) {
	set, err := ParseSensors("s.yaml", []byte(`
sensors:
  google:
    listener: net.packet
    args:
      patterns: ["*.comcast.net"]
    tag: internet-watch
  plain:
    description: every IPv6 TLS flow
    listener: net.packet
    opts: [closed]
    args:
      patterns: ["[*]:443"]
`), SensorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f := tf("tcp", lan4, "73.1.2.3:443", "c-73-1-2-3.hsd1.ma.comcast.net", "video.comcast.net")
	f.UID, f.TS, f.Start, f.State = "CeventFmt", 1700000000.25, 1700000000.25, "S1"
	evs := set.Evaluate(&f, nil)
	if len(evs) != 1 {
		t.Fatalf("events %+v", evs)
	}
	e := evs[0]
	if e.ID != "google|net.packet@internet-watch|opened@73.1.2.3:443|0" || e.Name != "net.packet@internet-watch" ||
		e.Sensor != "google" || e.Listener != "net.packet" || e.Source != "s.yaml:3" || e.UID != "CeventFmt" {
		t.Errorf("event %+v", e)
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"eid":"google|net.packet@internet-watch|opened@73.1.2.3:443|0","name":"net.packet@internet-watch",` +
		`"sensor":"google","listener":"net.packet","source":"s.yaml:3","uid":"CeventFmt","ts":1700000000.25,` +
		`"data":{"action":"opened","proto":"tcp","local":"192.168.1.10:51000","remote":"73.1.2.3:443",` +
		`"local_host":null,"remote_host":"c-73-1-2-3.hsd1.ma.comcast.net","state":"S1","sni":"video.comcast.net",` +
		`"uid":"CeventFmt","ts":1700000000.25,"conn":{"ts":1700000000.25,"uid":"CeventFmt","id.orig_h":"192.168.1.10",` +
		`"id.orig_p":51000,"id.resp_h":"73.1.2.3","id.resp_p":443,"proto":"tcp","duration":0,"orig_bytes":0,` +
		`"resp_bytes":0,"conn_state":"S1","local_orig":false,"local_resp":false,"missed_bytes":0,"history":"S",` +
		`"orig_pkts":0,"orig_ip_bytes":0,"resp_pkts":0,"resp_ip_bytes":0,"ip_proto":0}}}`
	if string(b) != want {
		t.Errorf("JSON\n got %s\nwant %s", b, want)
	}

	// IPv6: brackets in the id and payload, proto tcp6; opts [closed].
	f6 := tf("tcp", lan6, "[2001:db8::1]:443", "", "")
	f6.LocalHost = "me.example"
	if evs := set.Evaluate(&f6, nil); len(evs) != 0 {
		t.Errorf("opened fired a closed-only sensor: %+v", evs)
	}
	f6.Event = EventClosed
	evs = set.Evaluate(&f6, nil)
	if len(evs) != 1 {
		t.Fatalf("events %+v", evs)
	}
	d := evs[0].Data.(*PacketData)
	if evs[0].ID != "plain|net.packet|closed@[2001:db8::1]:443|0" || d.Proto != "tcp6" || d.Action != "closed" ||
		d.Local != "[2001:db8:ffff::10]:51000" || d.Remote != "[2001:db8::1]:443" || d.RemoteHost != nil ||
		d.LocalHost == nil || *d.LocalHost != "me.example" || d.SNI != nil {
		t.Errorf("v6 event %+v %+v", evs[0], d)
	}
	for ev, proto := range map[string]string{"udp": "udp6", "icmp": "icmp6", "unknown_transport": "unknown_transport"} {
		g := f6
		g.Proto = ev
		if got := g.SensorProto(); got != proto {
			t.Errorf("SensorProto(%s v6) = %q, want %q", ev, got, proto)
		}
	}
	f6.Event = EventThreshold
	if evs := set.Evaluate(&f6, nil); len(evs) != 0 {
		t.Errorf("threshold event fired a sensor")
	}
}

func TestSensorLocked(t *testing.T) {
	locks := NewLockTable()
	set, err := ParseSensors("l.yaml", []byte(`
forever:
  listener: net.packet
  args: {patterns: ["*:22"], locked: true}
ttl:
  listener: net.packet
  args: {patterns: ["*:443"], locked: true, lock-ttl: 5s}
unlocked:
  listener: net.packet
  args: {patterns: ["*:80"]}
`), SensorOptions{Locks: locks})
	if err != nil {
		t.Fatal(err)
	}
	fire := func(remote string, ts float64) int {
		f := tf("tcp", lan4, remote, "", "")
		f.TS = ts
		return len(set.Evaluate(&f, nil))
	}
	if fire("1.1.1.1:22", 1) != 1 || fire("1.1.1.1:22", 1000) != 0 {
		t.Error("locked sensor fired twice")
	}
	if fire("1.1.1.2:22", 2) != 1 {
		t.Error("another remote is another event id")
	}
	if !locks.Unlock("forever|net.packet|opened@1.1.1.1:22|0") || fire("1.1.1.1:22", 3) != 1 {
		t.Error("unlock did not re-arm the event")
	}
	if fire("2.2.2.2:443", 100) != 1 || fire("2.2.2.2:443", 104.9) != 0 || fire("2.2.2.2:443", 105) != 1 {
		t.Error("lock-ttl in packet time")
	}
	if fire("3.3.3.3:80", 1) != 1 || fire("3.3.3.3:80", 1) != 1 {
		t.Error("unlocked sensor muted")
	}
	// Opened and closed are different ids.
	f := tf("tcp", lan4, "1.1.1.9:22", "", "")
	f.Event = EventClosed
	if len(set.Evaluate(&f, nil)) != 1 {
		t.Error("closed muted by opened")
	}
}

func TestSensorOptions(t *testing.T) {
	src := `
edge:
  profile: [Edge, lab]
  listener: net.packet
  opts: [opened, bogus, " closed "]
  args:
    patterns:
      - "   *:443   "
      - ""
      -
      - "1.2.3.4"
    ignore:
    dns: true
    dns_ttl: 1h30m
    sni_interface: eth1
  interval: {secs: 2, nanos: 500}
other:
  listener: net.packet
  profile: default
  args:
    patterns: "10.0.0.0/8"
  interval: 3s
`
	set, err := ParseSensors("o.yaml", []byte(src), SensorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	edge, other := set.Sensors[0], set.Sensors[1]
	if edge.Active || !other.Active {
		t.Error("profiles: edge must be inactive and other active with the default profile")
	}
	if len(set.Warnings) != 1 || !strings.Contains(set.Warnings[0], `o.yaml:5: sensor "edge": unknown opt "bogus"`) {
		t.Errorf("warnings %q", set.Warnings)
	}
	if !edge.Opened || !edge.Closed || !edge.DNS || edge.DNSTTL != 90*time.Minute || edge.SNIInterface != "eth1" ||
		edge.Interval != 2*time.Second+500 || strings.Join(edge.Profiles, ",") != "edge,lab" {
		t.Errorf("edge %+v", edge)
	}
	if got := strings.Join(edge.Patterns.Patterns(), "|"); got != "*:443|1.2.3.4" {
		t.Errorf("patterns %q", got)
	}
	if other.Interval != 3*time.Second || other.NeedsDNS() {
		t.Errorf("other %+v", other)
	}
	if !edge.NeedsDNS() || set.NeedsDNS() { // inactive sensors do not count
		t.Error("NeedsDNS")
	}
	set, err = ParseSensors("o.yaml", []byte(src), SensorOptions{Profiles: []string{"LAB"}})
	if err != nil || !set.Sensors[0].Active || set.Sensors[1].Active {
		t.Errorf("profile LAB: %v", err)
	}
	f := tf("tcp", lan4, "9.9.9.9:443", "", "")
	if evs := set.Evaluate(&f, nil); len(evs) != 1 || evs[0].Sensor != "edge" {
		t.Errorf("events %+v", evs)
	}
}

func TestSensorFileForms(t *testing.T) {
	for name, src := range map[string]string{
		"merge keys": `
base: &base
  listener: net.packet
  opts: [opened]
  args: {patterns: ["*:23"]}
a:
  <<: *base
  args: {patterns: ["*:22"]}
`,
		"sysinspect interval range": `
sensors:
  interval: {min: 5, max: 1, unit: min}
  a:
    listener: net.packet
    args: {patterns: ["*:22"]}
`,
		"skip other listener": `
sensors:
  fs:
    listener: sys.filesystem
    args: {path: /tmp}
  a:
    listener: net.packet
    args: {patterns: ["*:22"]}
`,
	} {
		set, err := ParseSensors("f.yaml", []byte(src), SensorOptions{SkipOtherListeners: true})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		var a *Sensor
		for _, s := range set.Sensors {
			if s.ID == "a" {
				a = s
			}
		}
		if a == nil {
			t.Errorf("%s: sensor a missing", name)
			continue
		}
		switch name {
		case "merge keys":
			if !a.Opened || a.Closed || a.Patterns.Patterns()[0] != "*:22" {
				t.Errorf("%s: opts not merged: %+v", name, a)
			}
		case "sysinspect interval range":
			if a.Interval != time.Minute {
				t.Errorf("%s: interval %v", name, a.Interval)
			}
		case "skip other listener":
			if len(set.Sensors) != 1 || len(set.Warnings) != 1 || !strings.Contains(set.Warnings[0], "f.yaml:4:") {
				t.Errorf("%s: %d sensors, warnings %q", name, len(set.Sensors), set.Warnings)
			}
		}
	}
}

func TestSensorFileErrors(t *testing.T) {
	for _, c := range []struct {
		src, want string
	}{
		{"a:\n  listener: net.packet\n  args:\n    patterns:\n      - '*.ok.example'\n      - '1.2.3.4:99999'\n",
			`e.yaml:6:9: sensor "a": args.patterns: bad pattern "1.2.3.4:99999": bad port "99999" (0-65535)`},
		{"a:\n  listener: net.packet\n  args:\n    patterns: ['*:22']\n    ignore: ['udp *']\n",
			`e.yaml:5:14: sensor "a": args.ignore: bad pattern "udp *": DSL pattern needs 3 fields`},
		{"a:\n  listener: net.packet\n  lisener: x\n  args: {patterns: ['*:22']}\n",
			`e.yaml:3:3: sensor "a": unknown key "lisener"`},
		{"a:\n  listener: net.packet\n  args:\n    patterns: ['*:22']\n    dns-tll: 5s\n",
			`e.yaml:5:5: sensor "a": unknown args key "dns-tll"`},
		{"a:\n  listener: net.packet\n  args: {ignore: ['*:22']}\n",
			`e.yaml:3:3: sensor "a": missing args.patterns`},
		{"a:\n  listener: net.packet\n",
			`e.yaml:1:1: sensor "a": missing args.patterns`},
		{"a:\n  listener: net.packet\n  args:\n    patterns: ['', '  ']\n",
			`e.yaml:4:5: sensor "a": args.patterns is empty`},
		{"a:\n  listener: net.packet\n  args:\n    patterns:\n",
			`e.yaml:4:5: sensor "a": args.patterns is empty`},
		{"a:\n  listener: net.filesystem\n  args: {patterns: ['*']}\n",
			`e.yaml:2:13: sensor "a": listener "net.filesystem": flowlog implements only "net.packet"`},
		{"a:\n  args: {patterns: ['*']}\n",
			`e.yaml:1:1: sensor "a": missing listener`},
		{"a:\n  listener: net.packet\n  args: {patterns: ['*'], dns-ttl: 5 parsecs}\n",
			`e.yaml:3:36: sensor "a": args.dns-ttl: bad duration "5 parsecs": unknown unit "parsecs"`},
		{"a:\n  listener: net.packet\n  args: {patterns: ['*'], locked: maybe}\n",
			`e.yaml:3:35: sensor "a": args.locked: want true or false, got "maybe"`},
		{"a:\n  listener: net.packet\n  args: {patterns: ['*'], sni-interface: eth0, sni_interface: eth1}\n",
			`e.yaml:3:48: sensor "a": both sni-interface and sni_interface given`},
		{"a:\n  listener: net.packet\n  tag: a|b\n  args: {patterns: ['*']}\n",
			`e.yaml:3:8: sensor "a": tag "a|b" must not contain '|'`},
		{"a:\n  listener: net.packet\n  args: {patterns: [['*']]}\n",
			`e.yaml:3:21: sensor "a": args.patterns[0]: want a string, got a list`},
		{"a:\n  listener: net.packet\n  args: {patterns: ['*']}\na:\n  listener: net.packet\n",
			`e.yaml:4:1: top level: key "a" given twice (first at line 1)`},
		{"- a\n- b\n", `e.yaml:1:1: top level: want a mapping, got a list`},
		{"a: [\n", `e.yaml:1: did not find expected node content`},
		{"", `e.yaml: no sensors (empty file)`},
		{"# nothing\n", `e.yaml: no sensors (empty file)`},
		{"sensors:\n  a:\n    listener: net.packet\n    args: {patterns: ['*']}\nextra: 1\n",
			`e.yaml:5:1: unknown top-level key "extra" next to "sensors"`},
		{"a b:\n  listener: net.packet\n  args: {patterns: ['*']}\n", `e.yaml:1:1: bad sensor id "a b"`},
		{"a:\n  listener: net.packet\n  interval: {secs: -1}\n  args: {patterns: ['*']}\n",
			`e.yaml:3:20: sensor "a": interval.secs: want a non-negative integer, got "-1"`},
		{"a:\n  listener: net.packet\n  args: {patterns: ['*']}\n---\nb: 1\n", `e.yaml:4:1: more than one YAML document`},
		{"a: &x\n  <<: [*x, *x]\n  listener: net.packet\n", `e.yaml:2:3: sensor "a": merge key refers to its own mapping`},
	} {
		_, err := ParseSensors("e.yaml", []byte(c.src), SensorOptions{})
		if err == nil {
			t.Errorf("%q: no error, want %q", c.src, c.want)
			continue
		}
		var ce *ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("%q: %T is not a *ConfigError", c.src, err)
		}
		if !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q:\n got %q\nwant %q...", c.src, err, c.want)
		}
	}
}

func TestLoadSensorFiles(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "a.yaml", "one:\n  listener: net.packet\n  args: {patterns: ['*:22']}\n")
	b := writeFile(t, dir, "b.yaml", "\n\none:\n  listener: net.packet\n  args: {patterns: ['*:23']}\n")
	c := writeFile(t, dir, "c.yaml", "two:\n  listener: net.packet\n  args: {patterns: ['*:23']}\n")
	set, err := LoadSensorFiles(SensorOptions{}, a, c)
	if err != nil || len(set.Sensors) != 2 {
		t.Fatalf("%v", err)
	}
	_, err = LoadSensorFiles(SensorOptions{}, a, b)
	if err == nil || !strings.Contains(err.Error(), "b.yaml:3:1: duplicate sensor id \"one\" (first at "+a+":1)") {
		t.Errorf("duplicate across files: %v", err)
	}
	if _, err := LoadSensorFiles(SensorOptions{}, dir+"/missing.yaml"); err == nil {
		t.Error("missing file")
	}
}

func TestHumanDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"60s": time.Minute, "90s": 90 * time.Second, "5m": 5 * time.Minute, "1h30m": 90 * time.Minute,
		"1h 30m": 90 * time.Minute, "250ms": 250 * time.Millisecond, "2 days": 48 * time.Hour, "60": time.Minute,
		" 1w ": 7 * 24 * time.Hour, "3min": 3 * time.Minute, "10us": 10 * time.Microsecond, "0s": 0,
		"1h 2m 3s": time.Hour + 2*time.Minute + 3*time.Second,
	} {
		got, err := ParseHumanDuration(in)
		if err != nil || got != want {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "s", "5 parsecs", "-5s", "1.5h", "5m3", "99999999999999999h", "1000000000000w"} {
		if d, err := ParseHumanDuration(in); err == nil {
			t.Errorf("%q: accepted as %v", in, d)
		}
	}
}

func TestEventIDFormat(t *testing.T) {
	sn := &Sensor{ID: "google", listener: "net.packet@internet-watch"}
	for remote, want := range map[string]string{
		"1.2.3.4:443":        "google|net.packet@internet-watch|opened@1.2.3.4:443|0",
		"[2001:db8::1]:443":  "google|net.packet@internet-watch|opened@[2001:db8::1]:443|0",
		"[::ffff:1.2.3.4]:1": "google|net.packet@internet-watch|opened@1.2.3.4:1|0",
	} {
		if got := sn.EventID("opened", netip.MustParseAddrPort(remote)); got != want {
			t.Errorf("%s: %q, want %q", remote, got, want)
		}
	}
}
