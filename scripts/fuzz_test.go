package scripts

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func fuzzFlows() []Flow {
	fs := benchFlows()
	fs = append(fs,
		tf("udp", lan6, "[2001:db8::1]:53", "x.example", "y.example"),
		tf("icmp", lan4, "1.2.3.4:8", "", ""),
		tf("unknown_transport", lan4, "1.2.3.4:0", "", ""),
		Flow{Event: EventClosed}, // no addresses at all
	)
	return fs
}

// FuzzScriptsPattern checks that the pattern parser never panics, that a
// parsed pattern keeps its text and classification when parsed again, and
// that matching never panics.
func FuzzScriptsPattern(f *testing.F) {
	for _, c := range matchCases {
		for _, p := range append(append([]string{}, c.watch...), c.ignore...) {
			f.Add(p)
		}
	}
	for _, s := range []string{"[2001:db8::/32]:443", "[*]:443", "tcp [::1]:* 10.0.0.0/8:4?3", "[!]]*.x", "1.2.3.4:[", "[1.2.3.4]:80", "::1:80", "*.*"} {
		f.Add(s)
	}
	flows := fuzzFlows()
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePattern(s)
		if err != nil {
			var pe *PatternError
			if !errors.As(err, &pe) {
				t.Fatalf("%q: error %T %v is not a *PatternError", s, err, err)
			}
			return
		}
		if p.String() != strings.TrimSpace(s) {
			t.Fatalf("%q: String() = %q", s, p.String())
		}
		q, err := ParsePattern(p.String())
		if err != nil || q.Class() != p.Class() || q.Form() != p.Form() {
			t.Fatalf("%q: reparse gives %v %q %v, first %v %q", s, q.Class(), q.Form(), err, p.Class(), p.Form())
		}
		set := newPatternSet([]Pattern{p}, []Pattern{q})
		for i := range flows {
			m := p.Match(&flows[i])
			if set.Match(&flows[i]) {
				t.Fatalf("%q: a flow matched by the pattern is not ignored by it", s)
			}
			_ = m
		}
	})
}

// FuzzScriptsSensorFile checks that the sensor loader never panics and that
// what it accepts is well-formed.
func FuzzScriptsSensorFile(f *testing.F) {
	f.Add([]byte(seedSensorYAML))
	ex, _ := filepath.Glob("examples/*.yaml")
	for _, name := range ex {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		"sensors:\n  interval: {min: 1, max: 2, unit: ms}\n  a:\n    listener: net.packet\n    args: {patterns: ['*'], locked: true, lock-ttl: 5s}\n",
		"a: &x\n  listener: net.packet\n  args: {patterns: ['*:22']}\nb:\n  <<: [*x, *x]\n  opts: [closed, bogus]\n",
		"a:\n  listener: net.packet\n  interval: {secs: 1, nanos: 2}\n  args:\n    patterns: [udp * *, '1.2.3.*', '[::1]:53']\n    ignore: ~\n",
		"a: [\n", "- 1\n", "a: 1\n", "",
	} {
		f.Add([]byte(s))
	}
	flows := fuzzFlows()
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := ParseSensors("fuzz.yaml", data, SensorOptions{})
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.File != "fuzz.yaml" {
				t.Fatalf("error %T %v is not a *ConfigError for fuzz.yaml", err, err)
			}
			return
		}
		for _, sn := range set.Sensors {
			if !validID(sn.ID) || len(sn.Patterns.Patterns()) == 0 || sn.DNSTTL < 0 {
				t.Fatalf("accepted a bad sensor %+v", sn)
			}
		}
		for i := range flows {
			for _, ev := range []string{EventOpened, EventClosed} {
				fl := flows[i]
				fl.Event = ev
				for _, e := range set.Evaluate(&fl, nil) {
					if !strings.HasSuffix(e.ID, "|0") || e.Data.(*PacketData).Action != ev {
						t.Fatalf("bad event %+v", e)
					}
				}
			}
		}
	})
}
