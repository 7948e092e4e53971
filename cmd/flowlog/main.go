// Command flowlog reads packet captures and writes Zeek-compatible conn.log
// records. See the README for the full CLI reference.
package main

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/flowlog/flowlog/capture"
	"github.com/flowlog/flowlog/contents"
	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
	"github.com/flowlog/flowlog/names"
	arrowwr "github.com/flowlog/flowlog/writers/arrow"
	"github.com/flowlog/flowlog/writers/communityid"
	"github.com/flowlog/flowlog/zeeklog"
)

// exit statuses
const (
	exitOK      = 0
	exitWarn    = 1 // --strict and the input was damaged
	exitBadArgs = 2 // bad usage or unusable input
)

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// Config is everything the command line says.
type Config struct {
	Reads           []string
	OutDir          string
	MemProfile      string // heap profile written at the end of input
	IgnoreChecksums bool
	Filter          string
	LocalNets       []netip.Prefix
	Seed            uint64
	SeedSet         bool
	Writers         []string
	Strict          bool
	LikelyPorts     string
	Progress        string
	Quiet           bool
	Timeouts        string
	MaxFlows        int
	Interim         time.Duration
	CommunityID     bool
	CommunityIDSeed uint16
	ArrowStream     string
	JSONNulls       bool
	Contents        string
	ContentsDir     string
	Rotate          time.Duration
	NoService       bool
	ExtraFields     string
	Names           bool
	Logs            string
	RDNS            string
	RDNSTTL         string

	extraCols []zeeklog.Column // built from the flags (names, community_id)
	wantSSL   bool
	wantDNS   bool
	policy    bool // --script or --sensor given: names must track SNI

	Scripts        []string
	Sensors        []string
	SensorProfiles []string
	ScriptTimeout  time.Duration
	EventSinks     []string
	Webhook        string
	WebhookFormat  string
	WebhookSpool   string
	WebhookClient  string
	WebhookProcess string
	WebhookIP      string
	WebhookPort    string
	names          *names.Names  // the names pipeline, once built
	polShared      *policyShared // live: the policy shared by the workers
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func usage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprintf(w, `usage: flowlog -r FILE [-r FILE ...] [-o DIR] [options] [BPF expression]

Reads pcap/pcapng captures (optionally gzip-compressed; "-" is stdin; a
directory means every capture in it) and writes Zeek's conn.log.

`)
	fs.PrintDefaults()
}

func run(args []string, stdout, stderr io.Writer) int {
	var cfg Config
	fs := flag.NewFlagSet("flowlog", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { usage(fs, stderr) }
	var reads listFlag
	var writers listFlag
	var localNets string
	var seed string
	fs.Var(&reads, "r", "capture file, directory or - (stdin); repeatable: inputs are merged in time order")
	var iface string
	var workers int
	var lopts LiveOptions
	fs.StringVar(&iface, "i", "", "live capture on INTERFACE (AF_PACKET, needs CAP_NET_RAW) until SIGINT/SIGTERM")
	fs.IntVar(&workers, "workers", 1, "live: worker goroutines (one fanout socket each)")
	fs.StringVar(&lopts.Fanout, "fanout", "hash", "live: hash (kernel symmetric 5-tuple) or addr (outer address pair; exact for IPv6 fragments, UDP tunnels)")
	fs.IntVar(&lopts.RingMB, "ring-mb", 64, "live: capture ring per worker, MiB")
	fs.IntVar(&lopts.BlockKB, "block-kb", 1024, "live: ring block size, KiB (power of two)")
	fs.DurationVar(&lopts.StatsInterval, "stats-interval", 10*time.Second, "live: interval of the JSON stats log")
	fs.StringVar(&lopts.StatsLog, "stats-log", "", "live: stats log path (default OUTDIR/flowlog_stats.log; none: off)")
	fs.StringVar(&lopts.MetricsAddr, "metrics", "", "live: serve Prometheus metrics on ADDR/metrics (e.g. :9100)")
	fs.BoolVar(&lopts.NoPromisc, "no-promisc", false, "live: leave promiscuous mode off")
	fs.StringVar(&cfg.OutDir, "o", ".", "output directory")
	fs.BoolVar(&cfg.IgnoreChecksums, "C", false, "ignore checksums (as zeek -C)")
	fs.StringVar(&cfg.Filter, "f", "", "BPF filter in tcpdump syntax (also accepted as trailing arguments)")
	fs.StringVar(&localNets, "local-nets", "", "comma-separated CIDRs for local_orig/local_resp (default: Zeek's private address space)")
	fs.StringVar(&seed, "seed", "", "seed for uids: makes conn.log reproducible")
	fs.Var(&writers, "writer", "output: tsv (conn.log, default), json (Zeek JSON lines), arrow (conn.arrow), parquet (conn.parquet); repeatable")
	var scriptsF, sensorsF, profilesF, sinksF listFlag
	fs.Var(&scriptsF, "script", "JavaScript policy file (repeatable; run in order): decides what is logged and raises events")
	fs.Var(&sensorsF, "sensor", "net.packet sensor file (YAML; repeatable)")
	fs.Var(&profilesF, "sensor-profile", "active sensor profile (repeatable; default: default)")
	fs.DurationVar(&cfg.ScriptTimeout, "script-timeout", 50*time.Millisecond, "bound on one policy call")
	fs.Var(&sinksF, "events", "also send events to: - (stdout), a file, or unix:PATH (repeatable; events.log in -o is always written)")
	fs.StringVar(&cfg.Webhook, "webhook", "", "POST events to this URL (Velociraptor style)")
	fs.StringVar(&cfg.WebhookFormat, "webhook-format", "text", "webhook body: text ({\"text\": ...}, as Velociraptor) or event (the whole event)")
	fs.StringVar(&cfg.WebhookSpool, "webhook-spool", "", "directory for undelivered webhook events (default OUTDIR/webhook-spool)")
	fs.StringVar(&cfg.WebhookClient, "webhook-client-regex", "", "webhook filter: ClientRegex (case-insensitive, unanchored)")
	fs.StringVar(&cfg.WebhookProcess, "webhook-process-regex", "", "webhook filter: ProcessNameRegex")
	fs.StringVar(&cfg.WebhookIP, "webhook-remote-ip-regex", "", "webhook filter: RemoteIpRegex")
	fs.StringVar(&cfg.WebhookPort, "webhook-remote-port-regex", "", "webhook filter: RemotePortRegex")
	fs.StringVar(&cfg.ExtraFields, "fields", "", "extra conn.log columns filled by removal hooks and policies, e.g. tags (comma-separated names; unset: -)")
	fs.BoolVar(&cfg.NoService, "no-service", false, "skip service detection (conn.log's service column stays unset)")
	fs.BoolVar(&cfg.Names, "names", false, "add conn.log columns orig_name, resp_name (passive DNS, then --rdns)")
	fs.StringVar(&cfg.Logs, "logs", "", "also write these Zeek logs: ssl, dns (comma-separated)")
	fs.StringVar(&cfg.RDNS, "rdns", "", "reverse DNS for endpoint names (--names): a server address (host:port), 'system' (/etc/resolv.conf's first nameserver) or 'off'; default: system for -i, off for -r")
	fs.StringVar(&cfg.RDNSTTL, "rdns-ttl", "60s", "how long reverse DNS answers are cached (e.g. 90s, 5m)")
	fs.DurationVar(&cfg.Rotate, "rotate", 0, "rotate logs every interval of packet time (e.g. 1h): conn.log is closed and renamed conn.<open>-<close>.log (likewise .arrow/.parquet)")
	fs.StringVar(&cfg.Contents, "contents", "", "extract the reassembled TCP streams (and UDP payloads) of connections whose first packet matches this BPF expression, e.g. 'tcp port 80', as Zeek's contents_*.dat files")
	fs.StringVar(&cfg.ContentsDir, "contents-dir", "", "directory for --contents files (default: the output directory)")
	fs.BoolVar(&cfg.JSONNulls, "json-nulls", false, "JSON: write unset fields as null (stable schema) instead of omitting them as Zeek does")
	fs.BoolVar(&cfg.CommunityID, "community-id", false, "add a community_id column (Community ID v1)")
	var cidSeed uint
	fs.UintVar(&cidSeed, "community-id-seed", 0, "Community ID seed (0-65535)")
	fs.StringVar(&cfg.ArrowStream, "arrow-stream", "", "also stream records as Arrow IPC to - (stdout) or a unix socket path")
	fs.BoolVar(&cfg.Strict, "strict", false, "exit 1 when an input is damaged (truncated or corrupt)")
	fs.StringVar(&cfg.LikelyPorts, "likely-server-ports", "default", "Zeek's likely_server_ports: 'default' (Zeek's default scripts), 'none', or a list like 80/tcp,53/udp")
	fs.StringVar(&cfg.Progress, "progress", "auto", "progress line on stderr: auto (when stderr is a terminal), always, never")
	fs.BoolVar(&cfg.Quiet, "q", false, "no summary line")
	var cpuProfile string
	fs.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile (go tool pprof) to this file")
	var gcPercent int
	fs.IntVar(&gcPercent, "gc-percent", defaultGCPercent, "Go GC target: how far the heap grows over live data before a collection (Go's default is 100). Lower trades a little CPU for less peak memory. Unless this flag is given, a GOGC environment variable wins")
	fs.StringVar(&cfg.MemProfile, "memprofile", "", "replay: write a heap profile (go tool pprof) to this file at the end of input, before the remaining flows are flushed")
	fs.DurationVar(&cfg.Interim, "interim", 0, "write interim records of long-lived connections every interval (e.g. 1h) to conn_long.log")
	fs.IntVar(&cfg.MaxFlows, "max-flows", 0, "bound on live connections (per worker with -i); when full, half-open ones are evicted first (0: unbounded for -r, a default from available memory for -i)")
	fs.StringVar(&cfg.Timeouts, "timeout", "", "inactivity timeouts, e.g. tcp=5m,udp=30s,icmp=1m,other=1m,tcp/22=1h (defaults: Zeek's)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitBadArgs
	}
	cfg.Reads = reads
	cfg.Writers = writers
	cfg.Scripts, cfg.Sensors, cfg.SensorProfiles, cfg.EventSinks = scriptsF, sensorsF, profilesF, sinksF
	cfg.policy = len(cfg.Scripts) > 0 || len(cfg.Sensors) > 0
	if cidSeed > 65535 {
		fmt.Fprintf(stderr, "flowlog: --community-id-seed %d: want 0-65535\n", cidSeed)
		return exitBadArgs
	}
	cfg.CommunityIDSeed = uint16(cidSeed)
	if rest := fs.Args(); len(rest) > 0 {
		expr := strings.Join(rest, " ")
		if cfg.Filter != "" {
			cfg.Filter = "(" + cfg.Filter + ") and (" + expr + ")"
		} else {
			cfg.Filter = expr
		}
	}
	if len(cfg.Reads) > 0 && iface != "" {
		fmt.Fprintln(stderr, "flowlog: give either -r (replay) or -i (live), not both")
		return exitBadArgs
	}
	if len(cfg.Reads) == 0 && iface == "" {
		fmt.Fprintln(stderr, "flowlog: no input: give -r FILE (or -r - for stdin), or -i INTERFACE")
		usage(fs, stderr)
		return exitBadArgs
	}
	if localNets != "" {
		for _, s := range strings.Split(localNets, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			p, err := netip.ParsePrefix(s)
			if err != nil {
				a, err2 := netip.ParseAddr(s)
				if err2 != nil {
					fmt.Fprintf(stderr, "flowlog: --local-nets: %q is not a CIDR or address\n", s)
					return exitBadArgs
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
			cfg.LocalNets = append(cfg.LocalNets, p.Masked())
		}
	}
	if seed != "" {
		var v uint64
		if _, err := fmt.Sscan(seed, &v); err != nil {
			fmt.Fprintf(stderr, "flowlog: --seed: %q is not an unsigned integer\n", seed)
			return exitBadArgs
		}
		cfg.Seed, cfg.SeedSet = v, true
	}
	if len(cfg.Writers) == 0 {
		cfg.Writers = []string{"tsv"}
	}
	for _, name := range strings.Split(cfg.ExtraFields, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		cfg.extraCols = append(cfg.extraCols, zeeklog.Column{Name: name, Type: "string",
			Value: func(c *flow.Conn) string { v, _ := c.Field(name); return v }})
	}
	if err := parseLogs(&cfg); err != nil {
		fmt.Fprintf(stderr, "flowlog: %v\n", err)
		return exitBadArgs
	}
	for _, w := range cfg.Writers {
		switch w {
		case "tsv", "json", "arrow", "parquet":
		default:
			fmt.Fprintf(stderr, "flowlog: --writer %q: want tsv, json, arrow or parquet\n", w)
			return exitBadArgs
		}
	}
	gcSet := false
	fs.Visit(func(f *flag.Flag) { gcSet = gcSet || f.Name == "gc-percent" })
	if gcSet || os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "flowlog: --cpuprofile: %v\n", err)
			return exitBadArgs
		}
		pprof.StartCPUProfile(f)
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	if cfg.RDNS == "off" {
		cfg.RDNS = ""
	} else if cfg.RDNS == "" && iface != "" {
		cfg.RDNS = "system" // live only by default: lookups happen only for names asked for (--names)
	}
	if iface != "" {
		lopts.MaxFlows = cfg.MaxFlows
		sh, err := prepareLive(&cfg, &lopts, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "flowlog: %v\n", err)
			return exitBadArgs
		}
		defer sh.close()
		return runLive(&cfg, iface, cfg.Filter, workers, lopts, stderr)
	}
	return replay(&cfg, stderr)
}

// prepareLive sets up what a live sensor needs beyond the capture: the
// policy shared by the workers, and SIGHUP (rotate the logs, reload the
// policy).
func prepareLive(cfg *Config, lopts *LiveOptions, stderr io.Writer) (*policyShared, error) {
	sh, err := setupPolicyShared(cfg, stderr)
	if err != nil {
		return nil, err
	}
	cfg.polShared = sh
	lopts.Hangup = func(o *outputs) {
		if err := o.rotate(time.Now().UTC()); err != nil {
			fmt.Fprintf(stderr, "flowlog: rotating logs: %v\n", err)
		}
		sh.reload()
	}
	return sh, nil
}

// tableConfig builds the flow table's settings from the flags shared by
// replay and live capture.
func tableConfig(cfg *Config) (flow.Config, error) {
	tcfg := flow.Defaults()
	tcfg.LikelyServerPorts = flow.DefaultLikelyServerPorts()
	if cfg.LikelyPorts != "" && cfg.LikelyPorts != "default" {
		m, err := flow.ParsePorts(cfg.LikelyPorts)
		if err != nil {
			return tcfg, fmt.Errorf("--likely-server-ports: %v", err)
		}
		tcfg.LikelyServerPorts = m
	}
	if err := parseTimeouts(cfg.Timeouts, &tcfg); err != nil {
		return tcfg, fmt.Errorf("--timeout: %v", err)
	}
	tcfg.Seed = cfg.Seed
	if !cfg.SeedSet {
		tcfg.Seed = randomSeed()
	}
	tcfg.MaxFlows = cfg.MaxFlows
	tcfg.Interim = cfg.Interim
	return tcfg, nil
}

func randomSeed() uint64 {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return uint64(time.Now().UnixNano())
	}
	return binary.LittleEndian.Uint64(b[:])
}

// replay runs the -r pipeline: capture -> decode -> flow table -> writers.
func replay(cfg *Config, stderr io.Writer) int {
	var filter *capture.Filter
	if cfg.Filter != "" {
		f, err := capture.NewFilter(cfg.Filter)
		if err != nil {
			fmt.Fprintf(stderr, "flowlog: %v\n", err)
			return exitBadArgs
		}
		filter = f
	}
	tcfg, err := tableConfig(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "flowlog: %v\n", err)
		return exitBadArgs
	}

	warn := func(err error) { fmt.Fprintf(stderr, "flowlog: warning: %v\n", err) }
	src, err := capture.OpenAll(cfg.Reads, warn)
	if err != nil {
		fmt.Fprintf(stderr, "flowlog: %v\n", err)
		return exitBadArgs
	}
	defer src.Close()

	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		fmt.Fprintf(stderr, "flowlog: output directory: %v\n", err)
		return exitBadArgs
	}

	// --contents: the selection runs on the packet that creates a
	// connection (OnOpen runs inside Packet, while cur is that frame), so
	// extraction starts with its first payload.
	var cur capture.Frame
	var extractor *contents.Extractor
	if cfg.Contents != "" {
		sel, err := capture.NewFilter(cfg.Contents)
		if err != nil {
			fmt.Fprintf(stderr, "flowlog: --contents: %v\n", err)
			return exitBadArgs
		}
		dir := cfg.ContentsDir
		if dir == "" {
			dir = cfg.OutDir
		}
		extractor = &contents.Extractor{Dir: dir, OnError: func(c *flow.Conn, err error) {
			fmt.Fprintf(stderr, "flowlog: warning: contents of %s: %v\n", c.UID(), err)
		}}
		tcfg.OnOpen = func(t *flow.Table, c *flow.Conn) {
			if sel.Match(cur.LinkType, cur.Data, cur.WireLen) {
				extractor.Extract(t, c)
			}
		}
	}
	table := flow.New(tcfg)
	dec := decode.New(decode.Options{IgnoreChecksums: cfg.IgnoreChecksums})

	pol, err := setupPolicy(cfg, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "flowlog: %v\n", err)
		return exitBadArgs
	}
	out, err := newOutputs(cfg)
	if err == nil {
		err = out.openAppLogs()
	}
	if err != nil {
		fmt.Fprintf(stderr, "flowlog: output: %v\n", err)
		return exitBadArgs
	}
	nm, closeNames, err := setupNames(cfg, out)
	if err != nil {
		fmt.Fprintf(stderr, "flowlog: %v\n", err)
		return exitBadArgs
	}
	defer closeNames()
	if pol != nil {
		pol.names = nm
		out.skip = dropped
	}

	var st summary
	st.start = time.Now()
	prog := newProgress(cfg.Progress, stderr)
	var pkt decode.Packet
	status := exitOK
	var lastErr error
	first := true
	for {
		f, err := src.Next()
		if err != nil {
			if err == io.EOF {
				break
			}
			var re *capture.ReadError
			if errors.As(err, &re) {
				if lastErr != nil && lastErr.Error() == err.Error() {
					break // a single damaged input repeats its error
				}
				lastErr = err
				warn(err)
				st.damaged++
				if cfg.Strict {
					status = exitWarn
				}
				continue
			}
			fmt.Fprintf(stderr, "flowlog: %v\n", err)
			status = exitBadArgs
			break
		}
		st.frames++
		st.bytes += uint64(f.WireLen)
		if first {
			out.open(f.TS)
			first = false
		}
		if filter != nil && !filter.Match(f.LinkType, f.Data, f.WireLen) {
			st.filtered++
			continue
		}
		// Zeek reads captures through libpcap at microsecond precision,
		// which truncates nanosecond timestamps: do the same, so times and
		// durations match Zeek's to the last digit.
		f.TS -= f.TS % 1000
		if extractor != nil {
			cur = f // for --contents' selection (a heap variable: only when needed)
		}
		if err := out.maybeRotate(f.TS); err != nil {
			fmt.Fprintf(stderr, "flowlog: rotating logs: %v\n", err)
		}
		dec.Decode(f.LinkType, f.TS, f.Data, f.WireLen, &pkt)
		pkt.Num = f.Num
		st.anomalies[pkt.Anomaly]++
		table.Packet(&pkt)
		nm.Events(table, &pkt)
		pol.handle(table, table.Events())
		out.events(table.Events())
		if prog != nil && st.frames&0xffff == 0 {
			prog.update(&st, table.Len())
		}
	}
	if cfg.MemProfile != "" {
		writeHeapProfile(cfg.MemProfile, table.Len(), stderr)
	}
	// The remaining connections, a batch at a time: a large table's
	// records are never all held at once.
	for more := true; more; {
		more = table.FlushStep(flushBatch)
		nm.Events(table, nil)
		pol.handle(table, table.Events())
		out.events(table.Events())
	}
	pol.report()
	if pol != nil {
		if err := pol.shared.close(); err != nil {
			fmt.Fprintf(stderr, "flowlog: events: %v\n", err)
		}
	}
	if err := out.closeAppLogs(); err != nil {
		fmt.Fprintf(stderr, "flowlog: writing output: %v\n", err)
		status = exitBadArgs
	}
	if err := out.close(); err != nil {
		fmt.Fprintf(stderr, "flowlog: writing output: %v\n", err)
		status = exitBadArgs
	}
	if prog != nil {
		prog.done()
	}
	ts := table.Stats()
	if !cfg.Quiet {
		st.print(stderr, ts)
	}
	return status
}

// recordWriter is what every conn.log encoding implements.
type recordWriter interface {
	Write(c *flow.Conn) error
	Close() error
}

// outputs fans removed connections out to the configured writers.
type outputs struct {
	cfg     *Config
	files   []io.Closer
	paths   []string       // files that rotate (all but the Arrow stream)
	writers []recordWriter // final records (conn.log, conn.arrow, ...)
	long    []recordWriter // interim records (--interim): conn_long.log
	zeek    []*zeeklog.ConnWriter
	stream  recordWriter          // --arrow-stream (not rotated)
	app     appLogs               // ssl.log, dns.log (--logs)
	skip    func(*flow.Conn) bool // policy: closed records not to write

	openedAt   time.Time // open time of the current files (for rotated names)
	nextRotate int64     // packet time of the next --rotate boundary (ns); 0: none yet
}

// newOutputs creates the log files. It runs only after the inputs opened, so
// a bad input never clobbers an existing conn.log.
func newOutputs(cfg *Config) (*outputs, error) {
	o, err := openFiles(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.ArrowStream != "" {
		var sink io.Writer
		if cfg.ArrowStream == "-" {
			sink = os.Stdout
		} else {
			c, err := net.Dial("unix", cfg.ArrowStream)
			if err != nil {
				o.close()
				return nil, fmt.Errorf("--arrow-stream %s: %v", cfg.ArrowStream, err)
			}
			o.files = append(o.files, c)
			sink = c
		}
		aw, err := arrowwr.New(arrowwr.IPCStream, sink, arrowwr.Options{BatchRows: 1024, LocalNets: cfg.LocalNets, CommunityID: cfg.CommunityID, CommunityIDSeed: cfg.CommunityIDSeed})
		if err != nil {
			o.close()
			return nil, err
		}
		o.stream = aw
		o.writers = append(o.writers, aw)
	}
	return o, nil
}

// openFiles creates the (rotating) log files.
func openFiles(cfg *Config) (*outputs, error) {
	o := &outputs{cfg: cfg, openedAt: time.Now()}
	var clock func() time.Time = time.Now
	if cfg.SeedSet {
		clock = nil // reproducible: #close from packet time
	}
	extra := append([]zeeklog.Column(nil), cfg.extraCols...)
	if cfg.CommunityID {
		seed := cfg.CommunityIDSeed
		extra = append(extra, zeeklog.Column{Name: "community_id", Type: "string",
			Value: func(c *flow.Conn) string { return communityid.CommunityID(seed, c) }})
	}
	create := func(name string) (*os.File, error) {
		p := filepath.Join(cfg.OutDir, name)
		f, err := os.Create(p)
		if err == nil {
			o.files = append(o.files, f)
			o.paths = append(o.paths, p)
		}
		return f, err
	}
	nText := 0
	for _, w := range cfg.Writers {
		if w == "tsv" || w == "json" {
			nText++
		}
	}
	for _, w := range cfg.Writers {
		switch w {
		case "tsv", "json":
			format, suffix := zeeklog.TSV, ".log"
			if w == "json" {
				format = zeeklog.JSON
				if nText > 1 {
					suffix = ".json.log"
				}
			}
			for _, path := range []string{"conn", "conn_long"} {
				if path == "conn_long" && cfg.Interim <= 0 {
					continue
				}
				f, err := create(path + suffix)
				if err != nil {
					o.close()
					return nil, err
				}
				cw := zeeklog.NewConnWriter(f, zeeklog.Options{
					Format: format, Path: path, LocalNets: cfg.LocalNets, OpenTime: time.Now(), Clock: clock, Extra: extra, JSONNulls: cfg.JSONNulls,
				})
				o.zeek = append(o.zeek, cw)
				if path == "conn" {
					o.writers = append(o.writers, cw)
				} else {
					o.long = append(o.long, cw)
				}
			}
		case "arrow", "parquet":
			kind := arrowwr.IPCFile
			if w == "parquet" {
				kind = arrowwr.Parquet
			}
			f, err := create(kind.FileName())
			if err != nil {
				o.close()
				return nil, err
			}
			aw, err := arrowwr.New(kind, f, arrowwr.Options{LocalNets: cfg.LocalNets, CommunityID: cfg.CommunityID, CommunityIDSeed: cfg.CommunityIDSeed})
			if err != nil {
				o.close()
				return nil, err
			}
			o.writers = append(o.writers, aw)
		}
	}
	return o, nil
}

// rotatedName is Zeek-style: conn.log -> conn.<open>-<close>.log.
func rotatedName(path string, open, close time.Time) string {
	dir, base := filepath.Split(path)
	name, ext, _ := strings.Cut(base, ".")
	return filepath.Join(dir, name+"."+zeekStamp(open)+"-"+zeekStamp(close)+"."+ext)
}

func zeekStamp(t time.Time) string { return t.UTC().Format("2006-01-02-15-04-05") }

// rotate closes every rotating file (writing #close / footers), renames it
// to <name>.<open>-<close>.<ext> and opens fresh ones. A closed file is
// complete and never written again.
func (o *outputs) rotate(at time.Time) error {
	var first error
	for _, w := range o.zeek {
		w.SetCloseTime(at)
	}
	for _, w := range append(o.writers, o.long...) {
		if w == o.stream {
			continue
		}
		if err := w.Close(); err != nil && first == nil {
			first = err
		}
	}
	var keep []io.Closer
	for _, f := range o.files {
		if _, isFile := f.(*os.File); !isFile || f == os.Stdout {
			keep = append(keep, f)
			continue
		}
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	for _, p := range o.paths {
		if err := os.Rename(p, rotatedName(p, o.openedAt, at)); err != nil && first == nil {
			first = err
		}
	}
	n, err := openFiles(o.cfg)
	if err != nil {
		return err
	}
	n.files = append(n.files, keep...)
	if o.stream != nil {
		n.stream = o.stream
		n.writers = append(n.writers, o.stream)
	}
	n.openedAt, n.nextRotate = at, o.nextRotate
	n.skip = o.skip // the policy filter stays
	// ssl.log and dns.log rotate with conn.log
	if o.app.ssl != nil {
		o.app.ssl.SetCloseTime(at)
	}
	if o.app.dns != nil {
		o.app.dns.SetCloseTime(at)
	}
	if err := o.closeAppLogs(); err != nil && first == nil {
		first = err
	}
	for _, f := range o.app.files {
		if err := os.Rename(f.Name(), rotatedName(f.Name(), o.openedAt, at)); err != nil && first == nil {
			first = err
		}
	}
	if err := n.openAppLogs(); err != nil && first == nil {
		first = err
	}
	if n.app.ssl != nil {
		n.app.ssl.SetOpenTime(at)
	}
	if n.app.dns != nil {
		n.app.dns.SetOpenTime(at)
	}
	for _, w := range n.zeek {
		w.SetOpenTime(at)
	}
	*o = *n
	return first
}

// maybeRotate rotates at every --rotate boundary of packet time.
func (o *outputs) maybeRotate(ts int64) error {
	iv := int64(o.cfg.Rotate)
	if iv <= 0 {
		return nil
	}
	if o.nextRotate == 0 {
		o.nextRotate = (ts/iv + 1) * iv
		return nil
	}
	var err error
	for ts >= o.nextRotate {
		at := time.Unix(0, o.nextRotate).UTC()
		o.nextRotate += iv
		if e := o.rotate(at); e != nil && err == nil {
			err = e
		}
	}
	return err
}

// open sets the #open time: packet time of the first frame with --seed
// (reproducible), the wall clock otherwise.
func (o *outputs) open(firstTS int64) {
	if o.cfg.Rotate > 0 {
		o.openedAt = time.Unix(0, firstTS).UTC()
	} else if !o.cfg.SeedSet {
		return
	}
	for _, w := range o.zeek {
		w.SetOpenTime(time.Unix(0, firstTS).UTC())
	}
}

func (o *outputs) events(evs []flow.Event) {
	for i := range evs {
		switch evs[i].Kind {
		case flow.EventClosed:
			if o.skip != nil && o.skip(evs[i].Conn) {
				continue
			}
			for _, w := range o.writers {
				w.Write(evs[i].Conn)
			}
		case flow.EventInterim:
			for _, w := range o.long {
				w.Write(evs[i].Conn)
			}
		}
	}
}

func (o *outputs) close() error {
	var first error
	for _, w := range append(o.writers, o.long...) {
		if err := w.Close(); err != nil && first == nil {
			first = err
		}
	}
	for _, f := range o.files {
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// defaultGCPercent is flowlog's GC target. Its heap is mostly flow state
// that lives as long as the flows; Go's default of 100 lets garbage
// (handshake decryption, index growth) take the heap to twice that before
// a collection. At 50, the many-flows replays peaked about 8% lower for
// 2-4% more CPU (11 collections instead of 5); bench-1g ran 3 instead of 2.
const defaultGCPercent = 50

// flushBatch is how many connections one FlushStep removes at the end of
// input.
const flushBatch = 4096

// writeHeapProfile writes a heap profile (after a GC, so it shows what is
// live) to path.
func writeHeapProfile(path string, live int, stderr io.Writer) {
	f, err := os.Create(path)
	if err == nil {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		fmt.Fprintf(stderr, "flowlog: --memprofile: %d live connections; heap live %d B, in use %d B, idle %d B (released %d B), total from the OS %d B\n",
			live, m.HeapAlloc, m.HeapInuse, m.HeapIdle, m.HeapReleased, m.Sys)
		if b, err := os.ReadFile("/proc/self/status"); err == nil {
			for _, l := range strings.Split(string(b), "\n") {
				if strings.HasPrefix(l, "RssAnon") || strings.HasPrefix(l, "VmHWM") {
					fmt.Fprintf(stderr, "flowlog: --memprofile: %s\n", strings.Join(strings.Fields(l), " "))
				}
			}
		}
		err = pprof.WriteHeapProfile(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "flowlog: --memprofile: %v\n", err)
	}
}
