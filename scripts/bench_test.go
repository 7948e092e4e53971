package scripts

import (
	"net/netip"
	"testing"
	"time"
)

// benchPolicy is a typical policy: opened and closed handlers, three host
// globs and two CIDRs.
const benchPolicy = `
var watched = flowlog.patterns(["*.example.com", "*.comcast.net", "api.*.io"]);
var internal = flowlog.patterns(["10.0.0.0/8", "192.168.0.0/16"]);
flowlog.on("opened", function (flow) {
  if (internal.match(flow)) return;
  if (watched.match(flow)) flow.tag("watched");
});
flowlog.on("closed", function (flow) {
  if (internal.match(flow) && flow.orig_bytes === 0) flow.drop();
});
`

func benchFlows() []Flow {
	mk := func(ev, remote string, port uint16, host string) Flow {
		return Flow{
			Event: ev, UID: "CbenchUID0000001", TS: 1700000000.5, Proto: "tcp",
			OrigH: netip.MustParseAddr("192.168.1.10"), OrigP: 51000,
			RespH: netip.MustParseAddr(remote), RespP: port,
			Local:  netip.AddrPortFrom(netip.MustParseAddr("192.168.1.10"), 51000),
			Remote: netip.AddrPortFrom(netip.MustParseAddr(remote), port), LocalIsOrig: true,
			State: "SF", History: "ShADadFf", OrigBytes: 100, RespBytes: 2000, OrigPkts: 5, RespPkts: 6,
			RemoteHost: host,
		}
	}
	return []Flow{
		mk("opened", "93.184.216.34", 443, "www.example.com"),
		mk("closed", "93.184.216.34", 443, "www.example.com"),
		mk("opened", "10.1.2.3", 22, ""),
		mk("closed", "10.1.2.3", 22, ""),
		mk("opened", "2001:db8::1", 443, "c-1.hsd1.comcast.net"),
		mk("closed", "198.51.100.7", 80, "host.other.org"),
	}
}

func BenchmarkPolicyCall(b *testing.B) {
	p, err := CompileSources(Source{Name: "bench.js", Code: benchPolicy})
	if err != nil {
		b.Fatal(err)
	}
	// The budget does not change the cost of a call; a long one keeps a
	// loaded machine from failing the benchmark with a timeout.
	r, err := NewRuntime(p, Options{Timeout: 10 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	flows := benchFlows()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := r.Call(&flows[i%len(flows)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPatternSetMatch is the matcher alone: three host globs, two
// CIDRs and an ignore DSL pattern. It must not allocate.
func BenchmarkPatternSetMatch(b *testing.B) {
	ps, err := CompilePatterns(
		[]string{"*.example.com", "*.comcast.net", "api.*.io", "10.0.0.0/8", "93.184.216.0/24", "1.2.3.*:443"},
		[]string{"udp * *", "[2001:db8::*]:53"})
	if err != nil {
		b.Fatal(err)
	}
	flows := benchFlows()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ps.Match(&flows[i%len(flows)])
	}
}

func BenchmarkSensorEvaluate(b *testing.B) {
	set, err := ParseSensors("bench.yaml", []byte(seedSensorYAML), SensorOptions{})
	if err != nil {
		b.Fatal(err)
	}
	flows := benchFlows()
	var dst []Event
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dst = set.Evaluate(&flows[i%len(flows)], dst[:0])
	}
}
