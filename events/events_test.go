package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type receiver struct {
	mu     sync.Mutex
	bodies []string
	fail   atomic.Int32 // fail this many requests with 503
	down   atomic.Bool
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if r.down.Load() {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	if r.fail.Load() > 0 {
		r.fail.Add(-1)
		http.Error(w, "try later", http.StatusServiceUnavailable)
		return
	}
	if ct := req.Header.Get("Content-Type"); ct != "application/json" {
		http.Error(w, "content type "+ct, http.StatusBadRequest)
		return
	}
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.bodies = append(r.bodies, string(b))
	r.mu.Unlock()
}

func (r *receiver) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bodies...)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func ev(i int, ip string, port uint16) *Event {
	return &Event{ID: fmt.Sprintf("ev%d", i), TS: float64(i), Client: "sensor-1", Process: "curl", RemoteIP: ip, RemotePort: port}
}

func TestWebhookFiltersAndBody(t *testing.T) {
	rx := &receiver{}
	srv := httptest.NewServer(rx)
	defer srv.Close()
	w, err := NewWebhook(WebhookOptions{URL: srv.URL, SpoolDir: t.TempDir(), RemoteIPRegex: `^10\.`, RemotePortRegex: "443", ClientRegex: "SENSOR"})
	if err != nil {
		t.Fatal(err)
	}
	w.Send(ev(1, "10.1.2.3", 443))  // passes (client match is case-insensitive)
	w.Send(ev(2, "192.0.2.1", 443)) // wrong IP
	w.Send(ev(3, "10.9.9.9", 80))   // wrong port
	w.Send(ev(4, "10.0.0.1", 8443)) // unanchored: 8443 contains 443
	waitFor(t, "2 deliveries", func() bool { return len(rx.got()) == 2 })
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := rx.got()
	want := `{"text":"client sensor-1 has process curl communicate to remote ip 10.1.2.3 on remote port 443"}`
	if got[0] != want {
		t.Errorf("body %s, want %s", got[0], want)
	}
	if s := w.Stats(); s.Filtered != 2 || s.Delivered != 2 {
		t.Errorf("stats %+v", s)
	}
	// event format
	rx2 := &receiver{}
	srv2 := httptest.NewServer(rx2)
	defer srv2.Close()
	w2, _ := NewWebhook(WebhookOptions{URL: srv2.URL, SpoolDir: t.TempDir(), Format: FormatEvent})
	w2.Send(ev(7, "10.1.1.1", 22))
	waitFor(t, "event delivery", func() bool { return len(rx2.got()) == 1 })
	w2.Close()
	var e Event
	if err := json.Unmarshal([]byte(rx2.got()[0]), &e); err != nil || e.ID != "ev7" || e.RemotePort != 22 {
		t.Errorf("event body %s (%v)", rx2.got()[0], err)
	}
	if _, err := NewWebhook(WebhookOptions{URL: srv.URL, SpoolDir: t.TempDir(), RemoteIPRegex: "("}); err == nil {
		t.Error("bad regex accepted")
	}
}

func TestWebhookRetryAndOutage(t *testing.T) {
	rx := &receiver{}
	srv := httptest.NewServer(rx)
	defer srv.Close()
	w, err := NewWebhook(WebhookOptions{URL: srv.URL, SpoolDir: t.TempDir(), MinBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	rx.fail.Store(3) // transient errors: retried
	w.Send(ev(0, "10.0.0.1", 0))
	waitFor(t, "retried delivery", func() bool { return len(rx.got()) == 1 })
	// an outage spanning many events: all are spooled, then delivered in order
	rx.down.Store(true)
	const n = 500
	for i := 1; i <= n; i++ {
		if err := w.Send(ev(i, "10.0.0.1", uint16(i))); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(50 * time.Millisecond)
	if d := len(rx.got()); d != 1 {
		t.Fatalf("%d delivered during the outage", d)
	}
	rx.down.Store(false)
	waitFor(t, "redelivery after the outage", func() bool { return len(rx.got()) == n+1 })
	for i, b := range rx.got() {
		if !strings.Contains(b, fmt.Sprintf("remote port %d\"", i)) {
			t.Fatalf("delivery %d out of order: %s", i, b)
		}
	}
	w.Close()
	if s := w.Stats(); s.Retries == 0 || s.Delivered != n+1 || s.Pending != 0 {
		t.Errorf("stats %+v", s)
	}
}

// TestWebhookNothingLostOnClose: events still undelivered at Close (receiver
// down) stay in the spool and a new Webhook on the same directory delivers
// them, in order, without duplicates.
func TestWebhookNothingLostOnClose(t *testing.T) {
	rx := &receiver{}
	srv := httptest.NewServer(rx)
	defer srv.Close()
	dir := t.TempDir()
	rx.down.Store(true)
	w, _ := NewWebhook(WebhookOptions{URL: srv.URL, SpoolDir: dir, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
	for i := 0; i < 50; i++ {
		w.Send(ev(i, "10.0.0.1", uint16(i)))
	}
	w.CloseWithin(20 * time.Millisecond) // SIGTERM: short drain
	rx.down.Store(false)
	w2, _ := NewWebhook(WebhookOptions{URL: srv.URL, SpoolDir: dir, MinBackoff: time.Millisecond})
	waitFor(t, "resumed delivery", func() bool { return len(rx.got()) == 50 })
	w2.Close()
	for i, b := range rx.got() {
		if !strings.Contains(b, fmt.Sprintf("remote port %d\"", i)) {
			t.Fatalf("delivery %d: %s", i, b)
		}
	}
}

func TestWebhookSpoolBound(t *testing.T) {
	rx := &receiver{}
	rx.down.Store(true)
	srv := httptest.NewServer(rx)
	defer srv.Close()
	var warned atomic.Int32
	w, _ := NewWebhook(WebhookOptions{URL: srv.URL, SpoolDir: t.TempDir(), SpoolMaxBytes: 64 << 10, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
		Warn: func(err error) {
			if strings.Contains(err.Error(), "spool full") {
				warned.Add(1)
			}
		}})
	for i := 0; i < 3000; i++ {
		w.Send(ev(i, "10.0.0.1", uint16(i)))
	}
	s := w.Stats()
	if s.Dropped == 0 || warned.Load() == 0 {
		t.Fatalf("no drops counted or warned: %+v", s)
	}
	rx.down.Store(false)
	waitFor(t, "delivery of what remained", func() bool { return w.Stats().Pending == 0 })
	w.Close()
	got := rx.got()
	if uint64(len(got))+s.Dropped != 3000 {
		t.Errorf("delivered %d + dropped %d != 3000", len(got), s.Dropped)
	}
	// the newest events survive, in order
	if !strings.Contains(got[len(got)-1], "remote port 2999\"") {
		t.Errorf("last delivered: %s", got[len(got)-1])
	}
}

func TestLinesOverUnixSocket(t *testing.T) {
	path := t.TempDir() + "/ev.sock"
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Skipf("unix sockets: %v", err)
	}
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		b, _ := io.ReadAll(c)
		got <- string(b)
	}()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	l := NewLines(c)
	l.Send(ev(1, "10.0.0.1", 1))
	l.Send(ev(2, "10.0.0.2", 2))
	l.Close()
	s := <-got
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], `"id":"ev2"`) {
		t.Errorf("stream: %q", s)
	}
	var buf bytes.Buffer
	m := Multi{NewLines(&buf), NewLines(io.Discard)}
	m.Send(ev(3, "10.0.0.3", 3))
	m.Close()
	if !strings.Contains(buf.String(), `"id":"ev3"`) {
		t.Errorf("multi: %q", buf.String())
	}
}
