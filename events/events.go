package events

import (
	"bufio"
	"encoding/json"
	"io"
	"sync"
)

// Event is one alert raised by a policy script or a sensor. It is encoded as
// one JSON object per line.
type Event struct {
	// ID is the event id: for sensors
	// "<sensor-id>|net.packet[@tag]|<action>@<remote-ip:port>|0", for
	// scripts the name the script gave.
	ID string `json:"id"`
	// TS is the packet time (seconds since the epoch) of the flow event
	// that raised it.
	TS float64 `json:"ts"`
	// Source says who raised it: "sensor" or "script".
	Source string `json:"source,omitempty"`
	// UID is the connection's uid.
	UID string `json:"uid,omitempty"`
	// Client is the sensor's host name (Velociraptor's ClientRegex field).
	Client string `json:"client,omitempty"`
	// Process is the owning process name when known (host view), else "".
	Process string `json:"process,omitempty"`
	// RemoteIP and RemotePort are the flow's remote endpoint.
	RemoteIP   string `json:"remote_ip,omitempty"`
	RemotePort uint16 `json:"remote_port,omitempty"`
	// Data is the payload (sensor: action, proto, local, remote,
	// local_host, remote_host, state, sni, conn record ...).
	Data map[string]any `json:"data,omitempty"`
}

// Sink receives events. Implementations document their own concurrency.
type Sink interface {
	Send(e *Event) error
	Close() error
}

// Lines writes events as JSON lines to a writer (events.log, stdout, a unix
// socket connection). It is safe for concurrent use.
type Lines struct {
	mu  sync.Mutex
	bw  *bufio.Writer
	enc *json.Encoder
	c   io.Closer
}

// NewLines returns a JSON-lines sink on w; Close closes w if it is an
// io.Closer (pass a wrapper to keep stdout open).
func NewLines(w io.Writer) *Lines {
	bw := bufio.NewWriter(w)
	l := &Lines{bw: bw, enc: json.NewEncoder(bw)}
	if c, ok := w.(io.Closer); ok {
		l.c = c
	}
	return l
}

// Send writes one event line and flushes it, so a reader following the
// stream sees it at once.
func (l *Lines) Send(e *Event) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.enc.Encode(e); err != nil {
		return err
	}
	return l.bw.Flush()
}

// Close flushes and closes the underlying writer.
func (l *Lines) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	err := l.bw.Flush()
	if l.c != nil {
		if cerr := l.c.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// Multi fans an event out to several sinks; the first error is returned
// after every sink was tried.
type Multi []Sink

// Send sends to every sink.
func (m Multi) Send(e *Event) error {
	var first error
	for _, s := range m {
		if err := s.Send(e); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Close closes every sink.
func (m Multi) Close() error {
	var first error
	for _, s := range m {
		if err := s.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
