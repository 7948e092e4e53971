//go:build linux

package sensor

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowlog/flowlog/capture"
	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
	"github.com/flowlog/flowlog/sensor/vethtest"
)

// replayCase is a capture replayed into the veth and compared with the
// offline (-r) pipeline.
type replayCase struct {
	pcap    string
	workers int
	fanout  capture.FanoutMode
	filter  string
	// ipv6FragSplit: FanoutHash hashes IPv6 fragments on their addresses
	// only, so a UDP flow whose datagrams are partly fragmented is split
	// between workers (documented on capture.FanoutHash). Such records are
	// expected to differ and are only logged.
	ipv6FragSplit bool
}

var replayCases = []replayCase{
	{pcap: "sample.pcap", workers: 2, fanout: capture.FanoutHash},
	{pcap: "sample.pcap", workers: 2, fanout: capture.FanoutAddr},
	{pcap: "sample.pcap", workers: 1, fanout: capture.FanoutHash, filter: "tcp or udp port 53"},
	{pcap: "eth-vlan.pcap", workers: 2, fanout: capture.FanoutHash},
	{pcap: "eth-vlan.pcap", workers: 2, fanout: capture.FanoutHash, filter: "vlan and tcp"},
	{pcap: "eth-qinq.pcap", workers: 2, fanout: capture.FanoutHash},
	{pcap: "fragments.pcap", workers: 2, fanout: capture.FanoutHash, ipv6FragSplit: true},
	{pcap: "fragments.pcap", workers: 2, fanout: capture.FanoutAddr},
	{pcap: "history-handshake.pcap", workers: 2, fanout: capture.FanoutHash},
	{pcap: "history-checksum.pcap", workers: 2, fanout: capture.FanoutHash},
	{pcap: "tunnel-vxlan.pcap", workers: 2, fanout: capture.FanoutAddr},
	{pcap: "tunnel-gre.pcap", workers: 2, fanout: capture.FanoutAddr},
	{pcap: "state-SF.pcap", workers: 2, fanout: capture.FanoutHash},
	{pcap: "state-RSTO.pcap", workers: 2, fanout: capture.FanoutHash},
	{pcap: "eth-mpls.pcap", workers: 2, fanout: capture.FanoutHash},
	{pcap: "eth-pppoe.pcap", workers: 2, fanout: capture.FanoutHash},
}

// TestPrivilegedReplayMatchesOffline replays captures into the veth and
// checks that the live conn.log has the same records as flowlog -r of the
// same capture, apart from ts, uid and duration (the replay re-stamps the
// packets).
func TestPrivilegedReplayMatchesOffline(t *testing.T) {
	requirePrivileged(t)
	p := vethtest.New(t)
	snd, err := p.NewSender()
	if err != nil {
		t.Fatal(err)
	}
	defer snd.Close()
	for _, c := range replayCases {
		name := strings.TrimSuffix(c.pcap, ".pcap") + "/" + c.fanout.String()
		if c.filter != "" {
			name += "/" + strings.ReplaceAll(c.filter, " ", "_")
		}
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("..", "testdata", "pcaps", c.pcap)
			frames := readPcap(t, path)
			tc := flow.Defaults()
			tc.Seed = 7
			want := offlineFiltered(t, path, c.filter, tc)
			sink := newLogSink()
			r := startSensor(t, p, Config{
				Workers: c.workers, Capture: capture.LiveOptions{Fanout: c.fanout, Filter: c.filter},
				Table: tc, Records: sink.records,
			})
			if err := snd.Send(frames); err != nil {
				t.Fatal(err)
			}
			r.waitQuiet(3 * time.Second)
			if err := r.stop(t); err != nil {
				t.Fatal(err)
			}
			got := sink.lines()
			st := r.s.Stats()
			onlyWant, onlyGot := diffLines(normalize(want), normalize(got))
			report := t.Errorf
			if c.ipv6FragSplit {
				report = t.Logf
				for _, l := range append(onlyWant, onlyGot...) {
					if f := strings.Split(l, "\t"); !strings.Contains(f[2], ":") {
						t.Errorf("IPv4 record differs: %s", l)
					}
				}
			}
			for _, l := range onlyWant {
				report("only in -r:   %s", l)
			}
			for _, l := range onlyGot {
				report("only in live: %s", l)
			}
			t.Logf("%d frames sent, %d decoded, %d filtered in-process, %d records (offline %d), kernel drops %d",
				len(frames), st.Packets, st.Kernel.Filtered, len(got), len(want), st.Kernel.Drops)
		})
	}
}

// offlineFiltered is offline with an in-process filter.
func offlineFiltered(t *testing.T, path, expr string, tc flow.Config) []string {
	if expr == "" {
		return offline(t, path, tc, decode.Options{})
	}
	f, err := capture.NewFilter(expr)
	if err != nil {
		t.Fatal(err)
	}
	return offlineWith(t, path, f, tc)
}
