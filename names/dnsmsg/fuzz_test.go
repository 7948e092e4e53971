package dnsmsg

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
	"github.com/flowlog/flowlog/names/internal/corpus"
)

// payloadGrabber collects the UDP payloads of DNS-port connections.
type payloadGrabber struct{ out *[][]byte }

func (g payloadGrabber) OnPacket(t *flow.Table, c *flow.Conn, isOrig bool, l *decode.Layer) {
	if len(l.Payload) > 0 && len(*g.out) < 512 {
		*g.out = append(*g.out, append([]byte(nil), l.Payload...))
	}
}

// corpusPayloads returns the DNS payloads (UDP datagrams, TCP segments)
// of the corpus entries that have a dns.log.
func corpusPayloads(tb testing.TB) [][]byte {
	dir, ok := corpus.Dir()
	if !ok {
		return nil
	}
	entries, err := corpus.Entries(dir)
	if err != nil {
		return nil
	}
	var out [][]byte
	for i := range entries {
		e := &entries[i]
		if _, err := os.Stat(filepath.Join(e.Dir, "dns.log")); err != nil {
			continue
		}
		e.Replay(corpus.Hooks{Opened: func(t *flow.Table, c *flow.Conn, p *decode.Packet) {
			switch 53 {
			case int(c.RespP), int(c.OrigP):
				c.AddWatcher(payloadGrabber{&out})
			}
		}})
	}
	return out
}

// FuzzParse: no input makes Parse panic, loop or exceed its bounds;
// ZeekAnswer and the TCP framer handle whatever Parse returns.
func FuzzParse(f *testing.F) {
	for _, p := range corpusPayloads(f) {
		f.Add(p)
	}
	f.Add(sampleReply(f))
	f.Add([]byte{0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Msg
		err := m.Parse(b)
		if err != m.Err {
			t.Fatal("returned error differs from m.Err")
		}
		if len(m.Questions) > int(m.QDCount) || len(m.Records) > int(m.ANCount)+int(m.NSCount)+int(m.ARCount) {
			t.Fatalf("more entries than the header counts")
		}
		// Check (no strings) stops where Parse stops, with the same header.
		var c Msg
		if c.Check(b); (c.Err == nil) != (m.Err == nil) || c.ErrSection != m.ErrSection || c.Header != m.Header ||
			len(c.Questions) != len(m.Questions) || len(c.Records) != len(m.Records) {
			t.Fatalf("Check differs from Parse: %v/%d vs %v/%d", c.Err, c.ErrSection, m.Err, m.ErrSection)
		}
		for _, q := range m.Questions {
			if len(q.Name) > MaxNameLen {
				t.Fatalf("name of %d bytes", len(q.Name))
			}
		}
		for i := range m.Records {
			rr := &m.Records[i]
			if len(rr.Name) > MaxNameLen || len(rr.Target) > MaxNameLen || len(rr.Strings) > MaxStrings+3 {
				t.Fatalf("record over bounds: %+v", rr)
			}
			ZeekAnswer(&m, rr, false)
			ZeekAnswer(&m, rr, true)
		}
		// Re-parsing gives the same result.
		var m2 Msg
		m2.Parse(b)
		if len(m2.Records) != len(m.Records) || len(m2.Questions) != len(m.Questions) {
			t.Fatal("parse not deterministic")
		}
		// The same bytes as a TCP stream, in two segments.
		var s Stream
		half := len(b) / 2
		s.Add(7, b[:half], func(msg []byte) { Parse(msg) })
		s.Add(7+uint32(half), b[half:], func(msg []byte) { Parse(msg) })
	})
}
