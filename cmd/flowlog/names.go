package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
	"github.com/flowlog/flowlog/names"
	"github.com/flowlog/flowlog/names/applog"
	"github.com/flowlog/flowlog/names/pdns"
	"github.com/flowlog/flowlog/names/rdns"
	"github.com/flowlog/flowlog/zeeklog"
)

// parseLogs validates --logs.
func parseLogs(cfg *Config) error {
	for _, l := range strings.Split(cfg.Logs, ",") {
		switch strings.TrimSpace(l) {
		case "":
		case "ssl":
			cfg.wantSSL = true
		case "dns":
			cfg.wantDNS = true
		default:
			return fmt.Errorf("--logs %q: want ssl and/or dns", l)
		}
	}
	if cfg.Names {
		// the columns look the names up when a record is written, through
		// cfg.names (set once the pipeline exists)
		cfg.extraCols = append(cfg.extraCols,
			zeeklog.Column{Name: "server_name", Type: "string", Value: func(c *flow.Conn) string { v, _ := c.Field("sni"); return v }},
			zeeklog.Column{Name: "orig_name", Type: "string", Value: func(c *flow.Conn) string { return cfg.names.Name(c.OrigH, c.Last) }},
			zeeklog.Column{Name: "resp_name", Type: "string", Value: func(c *flow.Conn) string { return cfg.names.Name(c.RespH, c.Last) }})
	}
	return nil
}

// setupNames builds the names pipeline from the flags: service detection
// (on unless --no-service), passive DNS and reverse DNS for --names, and the
// ssl/dns trackers for --logs, writing to out's ssl.log/dns.log. The
// returned func closes the resolver.
func setupNames(cfg *Config, out *outputs) (*names.Names, func(), error) {
	nc := names.Config{Service: !cfg.NoService, PassiveDNS: cfg.Names}
	closeFn := func() {}
	if cfg.RDNS != "" {
		ttl, err := rdns.ParseDuration(cfg.RDNSTTL)
		if err != nil {
			return nil, nil, fmt.Errorf("--rdns-ttl %q: %v", cfg.RDNSTTL, err)
		}
		server := cfg.RDNS
		if server == "system" {
			server = ""
		}
		r, err := rdns.New(rdns.Config{Server: server, TTL: ttl})
		if err != nil {
			return nil, nil, fmt.Errorf("--rdns: %v", err)
		}
		nc.RDNS = r
		closeFn = r.Close
	}
	if out.app.ssl != nil {
		nc.OnSSL = func(r *applog.SSLRecord) { out.app.ssl.Write(r) }
	} else if cfg.policy || cfg.Names {
		nc.SNI = true // the tracker sets the flows' SNI, without records
	}
	if out.app.dns != nil {
		nc.OnDNS = func(r *applog.DNSRecord) { out.app.dns.Write(r) }
	}
	n := names.New(nc)
	cfg.names = n
	return n, closeFn, nil
}

// appLogs are the ssl.log and dns.log writers (--logs).
type appLogs struct {
	ssl   *applog.SSLWriter
	dns   *applog.DNSWriter
	files []*os.File
}

// openAppLogs opens ssl.log/dns.log as --logs asks.
func (o *outputs) openAppLogs() error {
	cfg := o.cfg
	format := applog.TSV
	if len(cfg.Writers) == 1 && cfg.Writers[0] == "json" {
		format = applog.JSON
	}
	opt := applog.Options{Format: format, OpenTime: time.Now()}
	if !cfg.SeedSet {
		opt.Clock = time.Now
	}
	open := func(name string) (*os.File, error) {
		f, err := os.Create(filepath.Join(cfg.OutDir, name+".log"))
		if err == nil {
			o.app.files = append(o.app.files, f)
		}
		return f, err
	}
	if cfg.wantSSL {
		f, err := open("ssl")
		if err != nil {
			return err
		}
		o.app.ssl = applog.NewSSLWriter(f, opt)
	}
	if cfg.wantDNS {
		f, err := open("dns")
		if err != nil {
			return err
		}
		o.app.dns = applog.NewDNSWriter(f, opt)
	}
	return nil
}

func (o *outputs) closeAppLogs() error {
	var first error
	if o.app.ssl != nil {
		first = o.app.ssl.Close()
	}
	if o.app.dns != nil {
		if err := o.app.dns.Close(); first == nil {
			first = err
		}
	}
	for _, f := range o.app.files {
		if err := f.Close(); first == nil {
			first = err
		}
	}
	return first
}

// liveNames gives every sensor worker its own names pipeline (service
// detection, SSL/DNS trackers) sharing one passive DNS cache and one
// resolver, since a DNS answer and the flows using it may land on different
// workers. ssl.log/dns.log writes are serialized.
type liveNames struct {
	cfg   *Config
	out   **outputs
	pdns  *pdns.Cache
	rdns  *rdns.Resolver
	appMu sync.Mutex
}

func newLiveNames(cfg *Config, out **outputs) (*liveNames, error) {
	ln := &liveNames{cfg: cfg, out: out}
	if cfg.Names {
		ln.pdns = pdns.New(pdns.Config{})
	}
	if cfg.RDNS != "" {
		ttl, err := rdns.ParseDuration(cfg.RDNSTTL)
		if err != nil {
			return nil, fmt.Errorf("--rdns-ttl %q: %v", cfg.RDNSTTL, err)
		}
		server := cfg.RDNS
		if server == "system" {
			server = ""
		}
		if ln.rdns, err = rdns.New(rdns.Config{Server: server, TTL: ttl}); err != nil {
			return nil, fmt.Errorf("--rdns: %v", err)
		}
	}
	// the conn.log name columns look up through a pipeline on the shared caches
	cfg.names = names.New(names.Config{PassiveDNS: cfg.Names, PDNSCache: ln.pdns, RDNS: ln.rdns})
	return ln, nil
}

func (ln *liveNames) close() {
	if ln.rdns != nil {
		ln.rdns.Close()
	}
}

// worker is sensor.Config.Worker: the pipeline is built on the worker's
// first call, when the logs are open.
func (ln *liveNames) worker(id int) func(*flow.Table, *decode.Packet) {
	var n *names.Names
	var pol *policy
	return func(t *flow.Table, p *decode.Packet) {
		if n == nil {
			if sh := ln.cfg.polShared; sh != nil {
				var err error
				if pol, err = sh.worker(ln.cfg.Seed + uint64(id)); err != nil {
					fmt.Fprintf(sh.stderr, "flowlog: worker %d: policy: %v\n", id, err)
				}
			}
			out := *ln.out
			nc := names.Config{Service: !ln.cfg.NoService, PassiveDNS: ln.cfg.Names, PDNSCache: ln.pdns, RDNS: ln.rdns}
			if out != nil && out.app.ssl != nil {
				nc.OnSSL = func(r *applog.SSLRecord) { ln.appMu.Lock(); out.app.ssl.Write(r); ln.appMu.Unlock() }
			} else if pol != nil || ln.cfg.Names {
				nc.SNI = true // the tracker sets the flows' SNI, without records
			}
			if out != nil && out.app.dns != nil {
				nc.OnDNS = func(r *applog.DNSRecord) { ln.appMu.Lock(); out.app.dns.Write(r); ln.appMu.Unlock() }
			}
			n = names.New(nc)
			if pol != nil {
				pol.names = n
			}
		}
		n.Events(t, p)
		pol.handle(t, t.Events()) // marks dropped records (dropField)
	}
}
