package main

import (
	"bytes"
	"flag"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/ipc"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.conn.log (review the diff carefully)")

// runFlowlog runs the command in-process and returns its exit status and stderr.
func runFlowlog(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, errb.String()
}

// TestGolden replays every capture under testdata/pcaps and compares the
// conn.log with testdata/golden/<name>.conn.log.
func TestGolden(t *testing.T) {
	pcaps, _ := filepath.Glob("../../testdata/pcaps/*.pcap*")
	more, _ := filepath.Glob("../../testdata/pcaps/*/*.pcap*")
	pcaps = append(pcaps, more...)
	var n int
	for _, p := range pcaps {
		if strings.Contains(p, "/bad/") {
			continue
		}
		n++
		name := strings.TrimPrefix(p, "../../testdata/pcaps/")
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			code, stderr := runFlowlog(t, "-r", p, "-o", dir, "--seed", "1", "-q")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			got, err := os.ReadFile(filepath.Join(dir, "conn.log"))
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("../../testdata/golden", strings.ReplaceAll(name, "/", "_")+".conn.log")
			if *update {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./cmd/flowlog -update and review)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("conn.log differs from %s:\n--- got\n%s\n--- want\n%s", golden, got, want)
			}
		})
	}
	if n == 0 {
		t.Fatal("no captures under testdata/pcaps")
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	notCap := filepath.Join(dir, "notes.txt")
	os.WriteFile(notCap, []byte("this is not a capture file\n"), 0o644)
	empty := filepath.Join(dir, "empty.pcap")
	os.WriteFile(empty, nil, 0o644)
	out := filepath.Join(dir, "out")
	os.MkdirAll(out, 0o755)
	sentinel := []byte("previous conn.log\n")
	os.WriteFile(filepath.Join(out, "conn.log"), sentinel, 0o644)

	for _, c := range []struct{ name, file, want string }{
		{"not a capture", notCap, "notes.txt"},
		{"empty", empty, "empty.pcap"},
		{"missing", filepath.Join(dir, "nope.pcap"), "nope.pcap"},
	} {
		code, stderr := runFlowlog(t, "-r", c.file, "-o", out, "-q")
		if code != 2 {
			t.Errorf("%s: exit %d, want 2", c.name, code)
		}
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if len(lines) != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: want one line naming %s, got %q", c.name, c.want, stderr)
		}
		got, _ := os.ReadFile(filepath.Join(out, "conn.log"))
		if !bytes.Equal(got, sentinel) {
			t.Errorf("%s: existing conn.log was overwritten", c.name)
		}
	}
	if code, _ := runFlowlog(t, "-q"); code != 2 {
		t.Errorf("no input: exit %d, want 2", code)
	}
	if code, _ := runFlowlog(t, "-r", notCap, "--writer", "xml"); code != 2 {
		t.Errorf("bad writer: exit %d, want 2", code)
	}
	if code, stderr := runFlowlog(t, "-r", notCap, "-f", "tcp port"); code != 2 || !strings.Contains(stderr, "tcp port") {
		t.Errorf("bad BPF: exit %d %q", code, stderr)
	}
}

// TestTruncated cuts a good capture mid-record: the run warns with the file
// and packet number, writes every flow, and exits 0 (1 with --strict).
func TestTruncated(t *testing.T) {
	src := "../../testdata/pcaps/sample.pcap"
	data, err := os.ReadFile(src)
	if err != nil {
		t.Skipf("%s not generated yet: %v", src, err)
	}
	dir := t.TempDir()
	cut := filepath.Join(dir, "cut.pcap")
	os.WriteFile(cut, data[:len(data)*2/3], 0o644)
	code, stderr := runFlowlog(t, "-r", cut, "-o", dir, "-q")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "cut.pcap") || !strings.Contains(stderr, "packet") {
		t.Errorf("warning should name the file and packet: %q", stderr)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "conn.log"))
	rows := 0
	for _, l := range strings.Split(string(log), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			rows++
		}
	}
	if rows == 0 {
		t.Error("no flows written for the truncated capture")
	}
	if !strings.Contains(string(log), "#close") {
		t.Error("conn.log not closed")
	}
	if code, _ := runFlowlog(t, "-r", cut, "-o", dir, "-q", "--strict"); code != 1 {
		t.Errorf("--strict: exit %d, want 1", code)
	}
}

func TestTimeoutFlag(t *testing.T) {
	dir := t.TempDir()
	rows := func(args ...string) int {
		code, stderr := runFlowlog(t, append([]string{"-r", "../../testdata/pcaps/timeout-ssh.pcap", "-o", dir, "-q"}, args...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		data, _ := os.ReadFile(filepath.Join(dir, "conn.log"))
		n := 0
		for _, l := range strings.Split(string(data), "\n") {
			if l != "" && !strings.HasPrefix(l, "#") {
				n++
			}
		}
		return n
	}
	// The capture has a 10-minute silence on port 22: Zeek's 1 h port
	// timeout keeps one connection; a 5 min override for 22/tcp splits it.
	if n := rows(); n != 1 {
		t.Errorf("default: %d rows, want 1", n)
	}
	if n := rows("--timeout", "tcp/22=5m"); n != 2 {
		t.Errorf("tcp/22=5m: %d rows, want 2", n)
	}
	for _, bad := range []string{"tcp=abc", "sctp=1m", "tcp/99999=1m", "udp"} {
		if code, _ := runFlowlog(t, "-r", "../../testdata/pcaps/sample.pcap", "-o", dir, "--timeout", bad); code != 2 {
			t.Errorf("--timeout %s: exit %d, want 2", bad, code)
		}
	}
}

// TestStdinAndMerge: "-r -" reads standard input; two inputs are merged
// into one flow space in time order (the same capture twice gives every
// flow once, with doubled packet counts).
func TestStdinAndMerge(t *testing.T) {
	src := "../../testdata/pcaps/sample.pcap"
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	r, w, _ := os.Pipe()
	old := os.Stdin
	os.Stdin = r
	defer func() { os.Stdin = old }()
	go func() { w.Write(data); w.Close() }()
	code, stderr := runFlowlog(t, "-r", "-", "-o", dir, "-q", "--seed", "1")
	if code != 0 {
		t.Fatalf("stdin: exit %d %s", code, stderr)
	}
	fromStdin, _ := os.ReadFile(filepath.Join(dir, "conn.log"))
	dir2 := t.TempDir()
	if code, stderr := runFlowlog(t, "-r", src, "-o", dir2, "-q", "--seed", "1"); code != 0 {
		t.Fatalf("file: exit %d %s", code, stderr)
	}
	fromFile, _ := os.ReadFile(filepath.Join(dir2, "conn.log"))
	if string(fromStdin) != string(fromFile) {
		t.Error("conn.log from stdin differs from conn.log from the file")
	}
	dir3 := t.TempDir()
	if code, stderr := runFlowlog(t, "-r", src, "-r", "../../testdata/pcaps/pcap-gz.pcap.gz", "-o", dir3, "-q", "--seed", "1"); code != 0 {
		t.Fatalf("merge: exit %d %s", code, stderr)
	}
	merged, _ := os.ReadFile(filepath.Join(dir3, "conn.log"))
	if strings.Count(string(merged), "\n") <= strings.Count(string(fromFile), "\n") {
		t.Error("merging a second capture added no flows")
	}
}

func TestContentsFlag(t *testing.T) {
	dir := t.TempDir()
	code, stderr := runFlowlog(t, "-r", "../../testdata/pcaps/sample.pcap", "-o", dir, "-q", "--contents", "tcp port 80")
	if code != 0 {
		t.Fatalf("exit %d %s", code, stderr)
	}
	orig, err := os.ReadFile(filepath.Join(dir, "contents_192.168.1.10:50003-203.0.113.53:80_orig.dat"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(orig), "GET ") {
		t.Errorf("orig stream starts %q", orig[:min(len(orig), 20)])
	}
	files, _ := filepath.Glob(filepath.Join(dir, "contents_*"))
	for _, f := range files {
		if !strings.Contains(f, ":80_") {
			t.Errorf("%s extracted, but only port 80 was selected", f)
		}
	}
	if code, _ := runFlowlog(t, "-r", "../../testdata/pcaps/sample.pcap", "-o", dir, "--contents", "port port"); code != 2 {
		t.Errorf("bad --contents expression: exit %d", code)
	}
}

func TestRotate(t *testing.T) {
	dir := t.TempDir()
	code, stderr := runFlowlog(t, "-r", "../../testdata/pcaps/sample.pcap", "-o", dir, "-q", "--seed", "1", "--rotate", "2m", "--writer", "tsv", "--writer", "arrow", "--logs", "dns")
	if code != 0 {
		t.Fatalf("exit %d %s", code, stderr)
	}
	rotated, _ := filepath.Glob(filepath.Join(dir, "conn.*-*.log"))
	arrows, _ := filepath.Glob(filepath.Join(dir, "conn.*-*.arrow"))
	dnsLogs, _ := filepath.Glob(filepath.Join(dir, "dns.*-*.log"))
	if len(rotated) < 2 || len(arrows) != len(rotated) || len(dnsLogs) != len(rotated) {
		t.Fatalf("rotated logs %v, arrow files %v, dns logs %v", rotated, arrows, dnsLogs)
	}
	// every closed file is complete, and together with conn.log they hold
	// exactly the rows of an unrotated run
	total := 0
	for _, f := range append(rotated, filepath.Join(dir, "conn.log")) {
		data, _ := os.ReadFile(f)
		if !strings.Contains(string(data), "\n#close\t") {
			t.Errorf("%s has no #close", f)
		}
		for _, l := range strings.Split(string(data), "\n") {
			if l != "" && !strings.HasPrefix(l, "#") {
				total++
			}
		}
		// the name carries the open and close times of its #open/#close
		base := filepath.Base(f)
		if base != "conn.log" {
			open := strings.Split(strings.TrimPrefix(base, "conn."), "-")
			if !strings.Contains(string(data), "#open\t"+strings.Join(open[:6], "-")) {
				t.Errorf("%s: #open does not match the name", base)
			}
		}
	}
	dir2 := t.TempDir()
	runFlowlog(t, "-r", "../../testdata/pcaps/sample.pcap", "-o", dir2, "-q", "--seed", "1")
	data, _ := os.ReadFile(filepath.Join(dir2, "conn.log"))
	want := 0
	for _, l := range strings.Split(string(data), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			want++
		}
	}
	if total != want {
		t.Errorf("rotated logs hold %d rows, unrotated %d", total, want)
	}
}

func TestPolicyFlags(t *testing.T) {
	dir := t.TempDir()
	keep := filepath.Join(dir, "keep.js")
	os.WriteFile(keep, []byte(`
flowlog.on("closed", function (flow) {
  if (flow.proto !== "udp") { flow.drop(); return; }
  flowlog.event("udp-flow", {port: flow.resp_p});
});
`), 0o644)
	out := filepath.Join(dir, "out")
	code, stderr := runFlowlog(t, "-r", "../../testdata/pcaps/sample.pcap", "-o", out, "-q", "--seed", "1", "--script", keep,
		"--sensor", "../../scripts/examples/net-packet.yaml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	log, _ := os.ReadFile(filepath.Join(out, "conn.log"))
	rows := 0
	for _, l := range strings.Split(string(log), "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		rows++
		if f := strings.Split(l, "\t"); f[6] != "udp" {
			t.Errorf("dropped flow logged: %s", l)
		}
	}
	if rows == 0 {
		t.Error("no UDP flows kept")
	}
	evs, _ := os.ReadFile(filepath.Join(out, "events.log"))
	if n := strings.Count(string(evs), `"id":"udp-flow"`); n != rows {
		t.Errorf("%d udp-flow events for %d UDP flows", n, rows)
	}
	if !strings.Contains(string(evs), `|net.packet|`) {
		t.Error("no net.packet sensor events in events.log")
	}
	// a syntax error fails at start with file:line:column, before any log is written
	bad := filepath.Join(dir, "bad.js")
	os.WriteFile(bad, []byte("flowlog.on(\"opened\", function (f) {\n  var x = ;\n});\n"), 0o644)
	out2 := filepath.Join(dir, "out2")
	code, stderr = runFlowlog(t, "-r", "../../testdata/pcaps/sample.pcap", "-o", out2, "--script", bad)
	if code != 2 || !strings.Contains(stderr, "bad.js:2:") {
		t.Errorf("syntax error: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out2, "conn.log")); err == nil {
		t.Error("conn.log written despite the broken script")
	}
	// a throwing script: every flow still logged, errors counted and reported with file:line
	throw := filepath.Join(dir, "throw.js")
	os.WriteFile(throw, []byte("flowlog.on(\"closed\", function (f) {\n  null.x = 1;\n});\n"), 0o644)
	out3 := filepath.Join(dir, "out3")
	code, stderr = runFlowlog(t, "-r", "../../testdata/pcaps/sample.pcap", "-o", out3, "-q", "--script", throw)
	if code != 0 || !strings.Contains(stderr, "throw.js:2:") || !strings.Contains(stderr, "script errors") {
		t.Errorf("throw: exit %d, %q", code, stderr)
	}
	log3, _ := os.ReadFile(filepath.Join(out3, "conn.log"))
	if n := strings.Count(string(log3), "\n") - 9; n != 33 {
		t.Errorf("throwing script: %d rows logged, want all 33", n)
	}
}

// TestFieldsFromHooksAndPolicies: --fields puts fields that removal hooks or
// policies set into conn.log columns.
func TestFieldsFromHooksAndPolicies(t *testing.T) {
	dir := t.TempDir()
	js := filepath.Join(dir, "tag.js")
	os.WriteFile(js, []byte(`flowlog.on("closed", function (f) { if (f.proto === "udp") f.tag("udp-flow"); });`), 0o644)
	code, stderr := runFlowlog(t, "-r", "../../testdata/pcaps/sample.pcap", "-o", dir, "-q", "--script", js, "--fields", "tags")
	if code != 0 {
		t.Fatalf("exit %d %s", code, stderr)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "conn.log"))
	if !strings.Contains(string(data), "\tip_proto\ttags\n") {
		t.Fatal("no tags column")
	}
	for _, l := range strings.Split(string(data), "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.Split(l, "\t")
		tagged := f[len(f)-1] != "-"
		if tagged != (f[6] == "udp") || (tagged && !strings.Contains(f[len(f)-1], "udp-flow")) {
			t.Errorf("row %s %s: tags %q", f[6], f[2], f[len(f)-1])
		}
	}
}

func TestNamesColumns(t *testing.T) {
	dir := t.TempDir()
	code, stderr := runFlowlog(t, "-r", "../../testdata/pcaps/sample.pcap", "-o", dir, "-q", "--names", "--logs", "ssl,dns")
	if code != 0 {
		t.Fatalf("exit %d %s", code, stderr)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "conn.log"))
	if !strings.Contains(string(data), "\tip_proto\tserver_name\torig_name\tresp_name\n") {
		t.Fatal("names columns missing")
	}
	found := false
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Split(l, "\t")
		// the TLS flow to 198.51.100.80:443 carries SNI www.example.com, and
		// passive DNS (the A answer earlier in the capture) names the server
		if len(f) == 25 && f[4] == "198.51.100.80" && f[5] == "443" {
			found = true
			if f[22] != "www.example.com" || f[24] != "www.example.com" {
				t.Errorf("server_name %q resp_name %q", f[22], f[24])
			}
		}
	}
	if !found {
		t.Error("TLS flow not found")
	}
	for _, log := range []string{"ssl.log", "dns.log"} {
		if b, err := os.ReadFile(filepath.Join(dir, log)); err != nil || !strings.Contains(string(b), "www.example.com") {
			t.Errorf("%s: %v", log, err)
		}
	}
}

// TestArrowStreamFlag: --arrow-stream to a unix socket delivers an Arrow IPC
// stream (schema and record batches) that a reader consumes.
func TestArrowStreamFlag(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "s.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("unix sockets: %v", err)
	}
	defer ln.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		b, _ := io.ReadAll(c)
		got <- b
	}()
	code, stderr := runFlowlog(t, "-r", "../../testdata/pcaps/sample.pcap", "-o", dir, "-q", "--arrow-stream", sock)
	if code != 0 {
		t.Fatalf("exit %d %s", code, stderr)
	}
	b := <-got
	// IPC stream messages start with the continuation marker 0xFFFFFFFF;
	// the schema carries the column names.
	if len(b) < 8 || b[0] != 0xff || b[1] != 0xff || b[2] != 0xff || b[3] != 0xff || !bytes.Contains(b, []byte("conn_state")) {
		t.Fatalf("not an Arrow IPC stream: %d bytes", len(b))
	}
	rd, err := ipc.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Release()
	rows := 0
	for rd.Next() {
		rows += int(rd.Record().NumRows())
	}
	if rows != 33 {
		t.Errorf("%d rows in the stream, want 33 (as conn.log)", rows)
	}
}
