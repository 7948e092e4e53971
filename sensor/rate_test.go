//go:build linux

package sensor

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flowlog/flowlog/flow"
	"github.com/flowlog/flowlog/sensor/vethtest"
)

// TestPrivilegedVethRate measures, for 1 and 2 workers and for 64-byte and
// IMIX frames, the highest packet rate on the veth that the sensor takes
// without kernel drops, and the CPU it spends per Mpps. It is a
// measurement, not a pass/fail test: it runs only with FLOWLOG_VETH_RATE=1
// (sensor/testdata/vethrate.sh) and prints a table. The sender runs in a
// child process (this test binary, TestVethSenderHelper) so that the
// sensor's CPU time (getrusage of this process) excludes it; the veth's
// receive path (softirq, AF_PACKET copy into the ring) runs in the
// sender's context and is included in the system-wide figure only.
func TestPrivilegedVethRate(t *testing.T) {
	if os.Getenv("FLOWLOG_VETH_RATE") != "1" {
		t.Skip("SKIPPED: measurement; run with FLOWLOG_VETH_RATE=1 (sensor/testdata/vethrate.sh)")
	}
	requirePrivileged(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	trial := 2 * time.Second
	if s := os.Getenv("FLOWLOG_VETH_TRIAL"); s != "" {
		if d, err := time.ParseDuration(s); err == nil {
			trial = d
		}
	}
	ladder := []int{100e3, 200e3, 300e3, 400e3, 500e3, 600e3, 700e3, 800e3, 1000e3, 1200e3, 1500e3}
	type result struct {
		workers         int
		kind            string
		best            int
		bestGbps        float64
		sensorCPU, sysC float64 // cores per Mpps at best
		limit           string
	}
	var results []result
	for _, workers := range []int{1, 2} {
		for _, kind := range []string{"64", "imix"} {
			p := vethtest.New(t)
			r := startSensor(t, p, Config{Workers: workers, Table: flow.Config{MaxFlows: 100000}})
			res := result{workers: workers, kind: kind, limit: "ladder top"}
			for _, pps := range ladder {
				before := r.s.Stats()
				link0, _ := p.CaptureLinkStats()
				ru0, cpu0 := rusage(), sysCPU()
				cmd := exec.Command("ip", "netns", "exec", p.SenderNS, exe, "-test.run=^TestVethSenderHelper$", "-test.v")
				cmd.Env = append(os.Environ(), fmt.Sprintf("FLOWLOG_SENDER=%s,%s,%d,%s", p.SenderIf, kind, pps, trial))
				start := time.Now()
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("sender: %v\n%s", err, out)
				}
				r.waitQuiet(2 * time.Second)
				el := time.Since(start).Seconds()
				ru1, cpu1 := rusage(), sysCPU()
				link1, _ := p.CaptureLinkStats()
				after := r.s.Stats()
				sent, secs := parseSent(string(out))
				got := after.Packets - before.Packets
				drops := after.Kernel.Drops - before.Kernel.Drops
				freezes := after.Kernel.QueueFreezes - before.Kernel.QueueFreezes
				backlog := link1.RxDropped - link0.RxDropped
				achieved := float64(sent) / secs
				bytes := after.Bytes - before.Bytes
				sensorCores := (ru1 - ru0) / el
				sysCores := (cpu1 - cpu0) / el
				t.Logf("workers=%d frames=%s target=%d pps: sent %d at %.0f pps, decoded %d, kernel drops %d, freezes %d, backlog drops %d; sensor %.2f cores, system %.2f cores",
					workers, kind, pps, sent, achieved, got, drops, freezes, backlog, sensorCores, sysCores)
				if drops > 0 || freezes > 0 || got < uint64(sent) {
					res.limit = fmt.Sprintf("kernel drops at %d pps", pps)
					break
				}
				if backlog > 0 {
					res.limit = fmt.Sprintf("veth backlog drops at %d pps (before the ring)", pps)
					break
				}
				if achieved < 0.95*float64(pps) {
					res.limit = fmt.Sprintf("sender reached only %.0f pps", achieved)
					res.best = int(achieved)
					res.bestGbps = float64(bytes) * 8 / secs / 1e9
					res.sensorCPU = (ru1 - ru0) / secs / (achieved / 1e6)
					res.sysC = (cpu1 - cpu0) / secs / (achieved / 1e6)
					break
				}
				res.best = pps
				res.bestGbps = float64(bytes) * 8 / secs / 1e9
				res.sensorCPU = (ru1 - ru0) / secs / (achieved / 1e6)
				res.sysC = (cpu1 - cpu0) / secs / (achieved / 1e6)
			}
			r.stop(t)
			results = append(results, res)
		}
	}
	t.Logf("%-8s %-6s %12s %8s %18s %18s  %s", "workers", "frames", "best pps", "Gbit/s", "sensor cores/Mpps", "system cores/Mpps", "limit")
	for _, r := range results {
		t.Logf("%-8d %-6s %12d %8.2f %18.2f %18.2f  %s", r.workers, r.kind, r.best, r.bestGbps, r.sensorCPU, r.sysC, r.limit)
	}
}

// TestVethSenderHelper is the sender of TestPrivilegedVethRate, run in a
// child process inside the sender namespace (FLOWLOG_SENDER=ifname,kind,
// pps,duration). It sends UDP frames over 4096 flows to 192.0.2.1: all 60
// bytes (64 on the wire with the FCS) for kind 64; for imix the 7:4:1 mix
// of 60, 590 and 1514 bytes (64, 594, 1518 with the FCS).
func TestVethSenderHelper(t *testing.T) {
	spec := os.Getenv("FLOWLOG_SENDER")
	if spec == "" {
		t.Skip("helper process of TestPrivilegedVethRate")
	}
	f := strings.Split(spec, ",")
	pps, _ := strconv.Atoi(f[2])
	dur, _ := time.ParseDuration(f[3])
	snd, err := vethtest.OpenSender(f[0])
	if err != nil {
		t.Fatal(err)
	}
	defer snd.Close()
	sizes := []int{60}
	if f[1] == "imix" {
		sizes = []int{60, 590, 60, 60, 1514, 60, 590, 60, 60, 590, 60, 590}
	}
	const nflows = 4096
	var frames [][]byte
	for i := 0; i < nflows*len(sizes); i++ {
		fl := i % nflows
		frames = append(frames, vethtest.UDP4([4]byte{198, 18, byte(fl >> 8), byte(fl)}, vethtest.CaptureIP,
			uint16(30000+fl%7), 9000, sizes[i%len(sizes)]))
	}
	const batch = 128
	start := time.Now()
	deadline := start.Add(dur)
	sent, next := 0, 0
	for time.Now().Before(deadline) {
		if next+batch > len(frames) {
			next = 0
		}
		if err := snd.Send(frames[next : next+batch]); err != nil {
			t.Fatal(err)
		}
		next += batch
		sent += batch
		for {
			ahead := time.Duration(float64(sent)/float64(pps)*1e9) - time.Since(start)
			if ahead <= 0 {
				break
			}
			if ahead > 100*time.Microsecond {
				time.Sleep(ahead)
			}
		}
	}
	fmt.Printf("SENT %d %.6f\n", sent, time.Since(start).Seconds())
}

func parseSent(out string) (int, float64) {
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) == 3 && f[0] == "SENT" {
			n, _ := strconv.Atoi(f[1])
			s, _ := strconv.ParseFloat(f[2], 64)
			return n, s
		}
	}
	return 0, 1
}

// rusage returns this process's CPU time (user+system), in seconds.
func rusage() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

// sysCPU returns the busy CPU time of the whole machine (all but idle and
// iowait), in seconds.
func sysCPU() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line := strings.SplitN(string(b), "\n", 2)[0]
	f := strings.Fields(line)
	var busy float64
	for i, v := range f[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, _ := strconv.ParseFloat(v, 64)
		busy += n
	}
	return busy / 100 // USER_HZ
}
