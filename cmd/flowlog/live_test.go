//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flowlog/flowlog/sensor"
	"github.com/flowlog/flowlog/sensor/vethtest"
)

// TestLiveNoSuchInterface needs no privilege: the interface is looked up
// before any socket is opened, and no log is created.
func TestLiveNoSuchInterface(t *testing.T) {
	dir := t.TempDir()
	var stderr bytes.Buffer
	cfg := &Config{OutDir: dir, Writers: []string{"tsv"}, LikelyPorts: "default"}
	code := runLiveCtx(context.Background(), cfg, "flowlog-nosuch0", "", 1, LiveOptions{}, &stderr, nil)
	if code != exitBadArgs || !strings.Contains(stderr.String(), "no such interface") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "conn.log")); err == nil {
		t.Errorf("conn.log created for a missing interface")
	}
}

// TestPrivilegedLiveSIGTERM runs the command's live mode on a veth, sends
// SIGTERM to the process in the middle of a stream of one-packet UDP flows
// and checks exit status 0, a complete conn.log (header and #close) with
// one record per decoded frame, and the stats log.
func TestPrivilegedLiveSIGTERM(t *testing.T) {
	if err := sensor.Privileged(); err != nil {
		t.Skipf("SKIPPED (privileged test): %v", err)
	}
	if err := vethtest.Check(); err != nil {
		t.Skipf("SKIPPED (privileged test): %v", err)
	}
	// Keep SIGTERM from killing the test binary should it arrive before
	// runLive's handler is installed; signals go to every channel.
	guard := make(chan os.Signal, 1)
	signal.Notify(guard, syscall.SIGTERM)
	defer signal.Stop(guard)

	p := vethtest.New(t)
	snd, err := p.NewSender()
	if err != nil {
		t.Fatal(err)
	}
	defer snd.Close()
	dir := t.TempDir()
	cfg := &Config{OutDir: dir, Writers: []string{"tsv"}, LikelyPorts: "default", Seed: 9, SeedSet: true}
	var stderr bytes.Buffer
	codec := make(chan int, 1)
	started := make(chan struct{})
	go func() {
		vethtest.Do(p.CaptureNS, func() error {
			close(started)
			codec <- runLive(cfg, p.CaptureIf, "udp", 2, LiveOptions{StatsInterval: 200 * time.Millisecond, MaxFlows: 100000}, &stderr)
			return nil
		})
	}()
	<-started
	stopSend := make(chan struct{})
	sentc := make(chan int, 1)
	go func() {
		frames := make([][]byte, 0, 200)
		sent := 0
		start := time.Now()
		for i := 0; i < 100000; i += 200 {
			select {
			case <-stopSend:
				sentc <- sent
				return
			default:
			}
			frames = frames[:0]
			for j := i; j < i+200; j++ {
				frames = append(frames, vethtest.UDP4([4]byte{198, 18, byte(j >> 8), byte(j)}, vethtest.CaptureIP, uint16(20000+j>>16), 9999, 60))
			}
			if err := snd.Send(frames); err != nil {
				t.Error(err)
				break
			}
			sent += len(frames)
			if ahead := time.Duration(sent)*time.Second/40000 - time.Since(start); ahead > 0 {
				time.Sleep(ahead)
			}
		}
		sentc <- sent
	}()
	// SIGTERM once the sensor is capturing: its stats log shows packets.
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		b, _ := os.ReadFile(filepath.Join(dir, "flowlog_stats.log"))
		if l := strings.Split(strings.TrimSpace(string(b)), "\n"); len(b) > 0 && !strings.Contains(l[len(l)-1], `"packets":0,`) {
			break
		}
	}
	time.Sleep(300 * time.Millisecond)
	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	var code int
	select {
	case code = <-codec:
	case <-time.After(30 * time.Second):
		t.Fatal("runLive did not return within 30s of SIGTERM")
	}
	close(stopSend)
	sent := <-sentc
	t.Logf("stderr:\n%s", stderr.String())
	if code != exitOK {
		t.Fatalf("exit status %d", code)
	}
	log, err := os.ReadFile(filepath.Join(dir, "conn.log"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(log), "\n"), "\n")
	if !strings.HasPrefix(lines[0], "#separator") || !strings.HasPrefix(lines[len(lines)-1], "#close\t") {
		t.Errorf("conn.log is not a complete Zeek log: first %q, last %q", lines[0], lines[len(lines)-1])
	}
	records := 0
	for _, l := range lines {
		if !strings.HasPrefix(l, "#") {
			records++
		}
	}
	stats, err := os.ReadFile(filepath.Join(dir, "flowlog_stats.log"))
	if err != nil {
		t.Fatal(err)
	}
	sl := strings.Split(strings.TrimSpace(string(stats)), "\n")
	var last struct {
		Packets uint64 `json:"packets"`
		Records uint64 `json:"records"`
		Kernel  struct {
			Packets uint64 `json:"packets"`
			Drops   uint64 `json:"drops"`
		} `json:"kernel"`
	}
	if err := json.Unmarshal([]byte(sl[len(sl)-1]), &last); err != nil {
		t.Fatalf("stats log: %v: %s", err, sl[len(sl)-1])
	}
	t.Logf("sent %d, %d stats lines; last: %+v; conn.log records %d", sent, len(sl), last, records)
	if last.Packets == 0 || last.Packets >= 100000 {
		t.Errorf("decoded %d frames: SIGTERM was not mid-stream", last.Packets)
	}
	if uint64(records) != last.Packets || last.Records != last.Packets {
		t.Errorf("conn.log has %d records, stats say %d records for %d one-packet flows", records, last.Records, last.Packets)
	}
	if last.Kernel.Drops != 0 {
		t.Errorf("kernel drops: %d", last.Kernel.Drops)
	}
}

// TestPrivilegedLivePolicy: a live sensor runs the policy on every worker
// (drops and events), and SIGHUP with a broken new version of the script
// keeps the old one running and says why.
func TestPrivilegedLivePolicy(t *testing.T) {
	if err := sensor.Privileged(); err != nil {
		t.Skipf("SKIPPED (privileged test): %v", err)
	}
	if err := vethtest.Check(); err != nil {
		t.Skipf("SKIPPED (privileged test): %v", err)
	}
	guard := make(chan os.Signal, 1)
	signal.Notify(guard, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(guard)

	p := vethtest.New(t)
	snd, err := p.NewSender()
	if err != nil {
		t.Fatal(err)
	}
	defer snd.Close()
	dir := t.TempDir()
	script := filepath.Join(dir, "policy.js")
	// keep flows to even destination ports, raise an event for each kept one
	os.WriteFile(script, []byte(`flowlog.on("closed", function (f) {
  if (f.resp_p % 2 === 1) { f.drop(); return; }
  flowlog.event("kept", {port: f.resp_p});
});
`), 0o644)
	cfg := &Config{OutDir: dir, Writers: []string{"tsv"}, LikelyPorts: "default", Seed: 9, SeedSet: true,
		Scripts: []string{script}, ScriptTimeout: time.Second, policy: true}
	var stderr bytes.Buffer
	lopts := LiveOptions{StatsInterval: 200 * time.Millisecond, MaxFlows: 100000}
	sh, err := prepareLive(cfg, &lopts, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer sh.close()
	codec := make(chan int, 1)
	started := make(chan struct{})
	go func() {
		vethtest.Do(p.CaptureNS, func() error {
			close(started)
			codec <- runLive(cfg, p.CaptureIf, "udp", 2, lopts, &stderr)
			return nil
		})
	}()
	<-started
	send := func(from, n int) {
		frames := make([][]byte, 0, n)
		for j := from; j < from+n; j++ {
			frames = append(frames, vethtest.UDP4([4]byte{198, 18, 0, byte(j)}, vethtest.CaptureIP, 30000, uint16(10000+j), 60))
		}
		if err := snd.Send(frames); err != nil {
			t.Fatal(err)
		}
	}
	waitPackets := func(min uint64) {
		deadline := time.Now().Add(15 * time.Second)
		for time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
			b, _ := os.ReadFile(filepath.Join(dir, "flowlog_stats.log"))
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			var st struct {
				Packets uint64 `json:"packets"`
			}
			if len(b) > 0 && json.Unmarshal([]byte(lines[len(lines)-1]), &st) == nil && st.Packets >= min {
				return
			}
		}
		t.Fatalf("sensor did not see %d packets", min)
	}
	for i := 0; i < 20 && !strings.Contains(stderr.String(), "capturing"); i++ {
		time.Sleep(100 * time.Millisecond)
	}
	send(0, 100)
	waitPackets(100)
	// a broken new version: SIGHUP must keep the old one
	os.WriteFile(script, []byte("flowlog.on(\"closed\", function (f) {\n  var = ;\n});\n"), 0o644)
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	time.Sleep(500 * time.Millisecond)
	send(100, 100)
	waitPackets(200)
	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	select {
	case code := <-codec:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("runLive did not return after SIGTERM")
	}
	if !strings.Contains(stderr.String(), "policy reload failed") || !strings.Contains(stderr.String(), "policy.js:2:") {
		t.Errorf("SIGHUP with a broken script was not reported with file:line:\n%s", stderr.String())
	}
	var rotated []string
	rotated, _ = filepath.Glob(filepath.Join(dir, "conn.*-*.log"))
	logs := append(rotated, filepath.Join(dir, "conn.log"))
	kept := 0
	for _, f := range logs {
		data, _ := os.ReadFile(f)
		for _, l := range strings.Split(string(data), "\n") {
			if l == "" || strings.HasPrefix(l, "#") {
				continue
			}
			kept++
			if fs := strings.Split(l, "\t"); fs[5] != "" && (fs[5][len(fs[5])-1]-'0')%2 == 1 {
				t.Errorf("dropped flow logged: %s", l)
			}
		}
	}
	evs, _ := os.ReadFile(filepath.Join(dir, "events.log"))
	if n := strings.Count(string(evs), `"id":"kept"`); n != kept || kept != 100 {
		t.Errorf("%d flows kept (want 100 of 200), %d kept events", kept, n)
	}
}
