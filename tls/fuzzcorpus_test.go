package tls

import (
	"errors"
	"io"
	"path/filepath"
	"testing"

	"github.com/flowlog/flowlog/capture"
	"github.com/flowlog/flowlog/decode"
)

// corpusPayloads returns up to max transport payloads from the Zeek parity
// corpus (../../shared/zeek-parity, if present) that keep(payload, udp)
// accepts: fuzz seeds taken from real traffic.
func corpusPayloads(f *testing.F, max int, keep func(p []byte, udp bool) bool) [][]byte {
	traces, _ := filepath.Glob("../../../shared/zeek-parity/*/trace.pcap*")
	var out [][]byte
	dec := decode.New(decode.Options{IgnoreChecksums: true})
	var pkt decode.Packet
	for _, tr := range traces {
		src, err := capture.Open(tr)
		if err != nil {
			continue
		}
		for len(out) < max {
			fr, err := src.Next()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					f.Logf("%s: %v", tr, err)
				}
				break
			}
			dec.Decode(fr.LinkType, fr.TS, fr.Data, fr.WireLen, &pkt)
			for i := 0; i < pkt.N; i++ {
				l := &pkt.Layers[i]
				if len(l.Payload) > 0 && keep(l.Payload, l.Key.Proto == decode.ProtoUDP) {
					out = append(out, append([]byte(nil), l.Payload...))
				}
			}
		}
		src.Close()
	}
	if len(traces) == 0 {
		f.Log("../shared/zeek-parity not found: fuzzing from the built-in seeds only")
	}
	return out
}
