package scripts

import (
	"encoding/json"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
)

func exampleRuntime(t *testing.T, name string, opts Options) *Runtime {
	t.Helper()
	p, err := Compile([]string{filepath.Join("examples", name)})
	if err != nil {
		t.Fatal(err)
	}
	if opts.Timeout == 0 {
		opts.Timeout = testTimeout
	}
	r, err := NewRuntime(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

func TestExampleExternalTLS(t *testing.T) {
	r := exampleRuntime(t, "external-tls.js", Options{})
	for _, c := range []struct {
		name string
		flow Flow
		drop bool
	}{
		{"kept", tf("tcp", lan4, "140.82.121.4:443", "lb-140-82-121-4-fra.github.com", "api.github.com"), false},
		{"bare github.com", tf("tcp", lan4, "140.82.121.4:443", "", "github.com"), false},
		{"other SNI", tf("tcp", lan4, "198.51.100.1:443", "", "evil.example.org"), true},
		{"rDNS matches, SNI does not", tf("tcp", lan4, "140.82.121.4:443", "x.github.com", "evil.example.org"), true},
		{"no SNI", tf("tcp", lan4, "140.82.121.4:443", "x.github.com", ""), true},
		{"internal", tf("tcp", lan4, "192.168.1.20:443", "", "git.example.com"), true},
		{"udp", tf("udp", lan4, "140.82.121.4:443", "", "api.github.com"), true},
		{"ipv6", tf("tcp", lan6, "[2606:50c0::1]:443", "", "objects.githubusercontent.com"), false},
	} {
		f := c.flow
		f.Event = EventClosed
		v, err := r.Call(&f)
		if err != nil {
			t.Fatal(err)
		}
		if v.Drop != c.drop || (!c.drop && (len(v.Tags) != 1 || v.Tags[0] != "external-tls")) {
			t.Errorf("%s: %+v", c.name, v)
		}
	}
}

func TestExampleNewRemotePorts(t *testing.T) {
	locks := NewLockTable()
	r1 := exampleRuntime(t, "new-remote-ports.js", Options{Locks: locks})
	r2 := exampleRuntime(t, "new-remote-ports.js", Options{Locks: locks}) // a second worker
	call := func(r *Runtime, local, remote string, ts float64) []Event {
		t.Helper()
		f := tf("tcp", local, remote, "", "")
		f.TS = ts
		v, err := r.Call(&f)
		if err != nil {
			t.Fatal(err)
		}
		return v.Events
	}
	if evs := call(r1, lan4, "1.1.1.1:22", 1000); len(evs) != 0 {
		t.Errorf("alert while learning: %+v", evs)
	}
	call(r2, lan4, "1.1.1.1:22", 1000) // starts r2's learning clock
	if evs := call(r1, lan4, "2.2.2.2:22", 5000); len(evs) != 0 {
		t.Errorf("known port alerted: %+v", evs)
	}
	evs := call(r1, lan4, "2.2.2.2:8443", 5000)
	if len(evs) != 1 || evs[0].Name != "new_remote_port" || evs[0].ID != "remote-port|192.168.1.10|tcp/8443" {
		t.Fatalf("new port: %+v", evs)
	}
	var body map[string]any
	if err := json.Unmarshal(evs[0].Data.(json.RawMessage), &body); err != nil {
		t.Fatal(err)
	}
	if body["text"] != "client 192.168.1.10 has process unknown communicate to remote ip 2.2.2.2 on remote port 8443" {
		t.Errorf("text %q", body["text"])
	}
	if evs := call(r2, lan4, "3.3.3.3:8443", 5001); len(evs) != 0 {
		t.Errorf("second worker alerted again: %+v", evs)
	}
	if evs := call(r2, "192.168.1.11:40000", "3.3.3.3:8443", 5002); len(evs) != 1 {
		t.Errorf("other host: %+v", evs)
	}
	f := tf("udp", lan4, "9.9.9.9:53", "", "")
	f.TS = 6000
	if v, _ := r1.Call(&f); len(v.Events) != 0 {
		t.Errorf("DNS not ignored: %+v", v)
	}
}

func TestExampleBeaconing(t *testing.T) {
	r := exampleRuntime(t, "beaconing.js", Options{})
	run := func(step func(i int) uint64) (polls int, events []Event) {
		f := tf("tcp", lan4, "203.0.113.9:443", "", "c2.example")
		f.UID = "Cbeacon"
		v, err := r.Call(&f)
		if err != nil || len(v.Requests) != 1 || v.Requests[0].Kind != RequestWatch ||
			v.Requests[0].Interval != 60 || v.Requests[0].Count != 240 {
			t.Fatalf("opened: %+v %v", v, err)
		}
		f.Event = EventPoll
		for i := 0; i < 30; i++ {
			f.TS += 60
			f.PollCount = 240 - i
			d := step(i)
			f.OrigIPBytes += d
			if d > 0 {
				f.OrigPkts += 2
			}
			v, err := r.Call(&f)
			if err != nil || len(v.Requests) != 1 || v.Requests[0].Kind != RequestPollNext {
				t.Fatalf("poll %d: %+v %v", i, v, err)
			}
			polls++
			events = append(events, v.Events...)
			if v.Requests[0].Interval < 0 {
				break
			}
		}
		return polls, events
	}
	polls, evs := run(func(i int) uint64 { return 300 + uint64(i%2)*20 })
	if polls != 10 || len(evs) != 1 || evs[0].Name != "beacon" {
		t.Errorf("steady flow: %d polls, events %+v", polls, evs)
	}
	polls, evs = run(func(i int) uint64 { return uint64(i*i*i) * 50 })
	if polls != 30 || len(evs) != 0 {
		t.Errorf("irregular flow: %d polls, events %+v", polls, evs)
	}
	f := tf("tcp", lan4, "192.168.1.1:443", "", "")
	if v, _ := r.Call(&f); len(v.Requests) != 0 {
		t.Errorf("internal flow watched: %+v", v)
	}
}

func TestExampleSensorFile(t *testing.T) {
	set, err := LoadSensorFiles(SensorOptions{}, filepath.Join("examples", "net-packet.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range set.Sensors {
		if s.Active {
			ids = append(ids, s.ID)
		}
	}
	if strings.Join(ids, ",") != "google,addresses,ssh-out,comcast-https" || len(set.Warnings) != 0 {
		t.Fatalf("active sensors %q, warnings %q", ids, set.Warnings)
	}
	fire := func(f Flow) []string {
		var out []string
		for _, e := range set.Evaluate(&f, nil) {
			out = append(out, e.ID)
		}
		return out
	}
	check := func(name string, f Flow, want ...string) {
		t.Helper()
		if got := fire(f); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	check("seed", tf("tcp", lan4, "73.1.2.3:80", "c-73.hsd1.comcast.net", ""),
		"google|net.packet@internet-watch|opened@73.1.2.3:80|0")
	check("seed + comcast-https", tf("tcp", lan4, "73.1.2.3:443", "", "x.comcast.net"),
		"google|net.packet@internet-watch|opened@73.1.2.3:443|0", "comcast-https|net.packet@comcast|opened@73.1.2.3:443|0")
	check("comcast-https locked", tf("tcp", lan4, "73.1.2.3:443", "", "x.comcast.net"),
		"google|net.packet@internet-watch|opened@73.1.2.3:443|0")
	check("udp ignored", tf("udp", lan4, "73.1.2.4:443", "x.comcast.net", ""))
	check("ip glob", tf("tcp", lan4, "1.2.3.77:8080", "", ""), "addresses|net.packet|opened@1.2.3.77:8080|0")
	check("cidr:port", tf("tcp", lan4, "203.0.113.5:443", "", ""), "addresses|net.packet|opened@203.0.113.5:443|0")
	check("cidr wrong port", tf("tcp", lan4, "203.0.113.5:80", "", ""))
	check("v6", tf("tcp", lan6, "[2001:db8::9]:443", "", ""), "addresses|net.packet|opened@[2001:db8::9]:443|0")
	ssh := tf("tcp", lan4, "198.51.100.2:22", "", "")
	check("ssh", ssh, "ssh-out|net.packet|opened@198.51.100.2:22|0")
	check("ssh locked", ssh)
	set.Locks().Unlock("ssh-out|net.packet|opened@198.51.100.2:22|0")
	check("ssh unlocked", ssh, "ssh-out|net.packet|opened@198.51.100.2:22|0")
	other := ssh
	other.Local = netip.MustParseAddrPort("192.168.2.10:5000")
	check("ssh other lan", other)
}
