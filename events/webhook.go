package events

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"time"
)

// WebhookFormat selects the POST body.
type WebhookFormat int

// Formats.
const (
	// FormatText is Velociraptor's alert body:
	// {"text": "client <host> has process <name> communicate to remote ip <ip> on remote port <port>"}.
	FormatText WebhookFormat = iota
	// FormatEvent posts the whole event as JSON.
	FormatEvent
)

// WebhookOptions configure a Webhook.
type WebhookOptions struct {
	URL    string
	Format WebhookFormat
	// Velociraptor's filters: Go regular expressions, matched
	// case-insensitively and unanchored; empty matches everything. An event
	// is posted when all four match.
	ClientRegex, ProcessNameRegex, RemoteIPRegex, RemotePortRegex string
	// SpoolDir holds events not yet delivered (required): deliveries survive
	// receiver outages and restarts, in order.
	SpoolDir string
	// SpoolMaxBytes bounds the spool (default 64 MiB); past it the oldest
	// undelivered events are dropped, counted in Stats and reported to Warn.
	SpoolMaxBytes int64
	// MinBackoff and MaxBackoff bound the retry delay (defaults 100ms, 30s).
	MinBackoff, MaxBackoff time.Duration
	// Timeout per POST (default 10s).
	Timeout time.Duration
	// Client is the HTTP client (default: one with Timeout).
	Client *http.Client
	// Warn receives delivery problems (optional).
	Warn func(error)
}

// WebhookStats counts a webhook's work.
type WebhookStats struct {
	Accepted, Filtered, Delivered, Retries, Dropped uint64
	Pending                                         int
}

// Webhook posts events to an HTTP endpoint, in order, with retries and an
// on-disk spool. Send never blocks on the network. It is safe for
// concurrent use.
type Webhook struct {
	opt     WebhookOptions
	filters [4]*regexp.Regexp
	sp      *spool
	client  *http.Client

	mu    sync.Mutex
	stats WebhookStats

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

// NewWebhook validates the options, opens the spool (resuming anything a
// previous run left undelivered) and starts the delivery goroutine.
func NewWebhook(opt WebhookOptions) (*Webhook, error) {
	if opt.URL == "" {
		return nil, fmt.Errorf("webhook: no URL")
	}
	if opt.SpoolDir == "" {
		return nil, fmt.Errorf("webhook: no spool directory")
	}
	if opt.SpoolMaxBytes == 0 {
		opt.SpoolMaxBytes = 64 << 20
	}
	if opt.MinBackoff == 0 {
		opt.MinBackoff = 100 * time.Millisecond
	}
	if opt.MaxBackoff == 0 {
		opt.MaxBackoff = 30 * time.Second
	}
	if opt.Timeout == 0 {
		opt.Timeout = 10 * time.Second
	}
	w := &Webhook{opt: opt, client: opt.Client, done: make(chan struct{})}
	if w.client == nil {
		w.client = &http.Client{Timeout: opt.Timeout}
	}
	for i, expr := range []string{opt.ClientRegex, opt.ProcessNameRegex, opt.RemoteIPRegex, opt.RemotePortRegex} {
		if expr == "" {
			continue
		}
		re, err := regexp.Compile("(?i)" + expr)
		if err != nil {
			return nil, fmt.Errorf("webhook: filter %q: %v", expr, err)
		}
		w.filters[i] = re
	}
	sp, err := openSpool(opt.SpoolDir, opt.SpoolMaxBytes)
	if err != nil {
		return nil, fmt.Errorf("webhook: spool: %v", err)
	}
	w.sp = sp
	w.ctx, w.cancel = context.WithCancel(context.Background())
	go w.deliver()
	return w, nil
}

// Match reports whether e passes the Velociraptor filters.
func (w *Webhook) Match(e *Event) bool {
	vals := [4]string{e.Client, e.Process, e.RemoteIP, strconv.Itoa(int(e.RemotePort))}
	for i, re := range w.filters {
		if re != nil && !re.MatchString(vals[i]) {
			return false
		}
	}
	return true
}

// Body returns the POST body for e in the configured format.
func (w *Webhook) Body(e *Event) ([]byte, error) {
	if w.opt.Format == FormatEvent {
		return json.Marshal(e)
	}
	text := fmt.Sprintf("client %s has process %s communicate to remote ip %s on remote port %d",
		e.Client, e.Process, e.RemoteIP, e.RemotePort)
	return json.Marshal(map[string]string{"text": text})
}

// Send filters e and, if it passes, writes its body to the spool for
// delivery. It returns once the event is on disk.
func (w *Webhook) Send(e *Event) error {
	if !w.Match(e) {
		w.mu.Lock()
		w.stats.Filtered++
		w.mu.Unlock()
		return nil
	}
	body, err := w.Body(e)
	if err != nil {
		return err
	}
	before := w.sp.dropped
	if err := w.sp.append(body); err != nil {
		return fmt.Errorf("webhook: spool: %v", err)
	}
	w.mu.Lock()
	w.stats.Accepted++
	if d := w.sp.dropped - before; d > 0 {
		w.stats.Dropped += d
		if w.opt.Warn != nil {
			w.opt.Warn(fmt.Errorf("webhook: spool full (%d bytes): dropped %d oldest undelivered events", w.opt.SpoolMaxBytes, d))
		}
	}
	w.mu.Unlock()
	return nil
}

// Stats returns the counters.
func (w *Webhook) Stats() WebhookStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.stats
	s.Pending = w.sp.pending()
	return s
}

func (w *Webhook) deliver() {
	defer close(w.done)
	backoff := w.opt.MinBackoff
	for {
		line, err := w.sp.peek()
		if err != nil && w.opt.Warn != nil {
			w.opt.Warn(fmt.Errorf("webhook: spool: %v", err))
		}
		if line == nil {
			select {
			case <-w.ctx.Done():
				return
			case <-w.sp.notify:
			case <-time.After(time.Second):
			}
			continue
		}
		if err := w.post(line); err != nil {
			w.mu.Lock()
			w.stats.Retries++
			w.mu.Unlock()
			if w.opt.Warn != nil {
				w.opt.Warn(fmt.Errorf("webhook: %v (retrying in %v)", err, backoff))
			}
			select {
			case <-w.ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, w.opt.MaxBackoff)
			continue
		}
		backoff = w.opt.MinBackoff
		w.sp.ack(len(line))
		w.mu.Lock()
		w.stats.Delivered++
		w.mu.Unlock()
	}
}

func (w *Webhook) post(body []byte) error {
	req, err := http.NewRequestWithContext(w.ctx, http.MethodPost, w.opt.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("POST %s: %s", w.opt.URL, resp.Status)
	}
	return nil
}

// Close waits up to drain for pending deliveries, then stops. Whatever is
// still undelivered stays in the spool and is sent by the next Webhook
// opened on the same directory: nothing accepted is lost.
func (w *Webhook) Close() error { return w.CloseWithin(5 * time.Second) }

// CloseWithin is Close with an explicit drain time.
func (w *Webhook) CloseWithin(drain time.Duration) error {
	deadline := time.Now().Add(drain)
	for w.sp.pending() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	w.cancel()
	<-w.done
	return w.sp.close()
}
