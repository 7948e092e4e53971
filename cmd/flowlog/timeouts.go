package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/flowlog/flowlog/flow"
)

// parseTimeouts applies a --timeout value such as "tcp/22=1h,udp=30s" to a
// table config: PROTO=DUR sets a transport's inactivity timeout
// (tcp, udp, icmp, other), PROTO/PORT=DUR one responder port's.
func parseTimeouts(s string, cfg *flow.Config) error {
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		k, v, ok := strings.Cut(item, "=")
		if !ok {
			return fmt.Errorf("%q: want PROTO=DURATION or PROTO/PORT=DURATION", item)
		}
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil || d < 0 {
			return fmt.Errorf("%q: bad duration %q (e.g. 30s, 5m, 1h)", item, v)
		}
		proto, port, hasPort := strings.Cut(strings.TrimSpace(k), "/")
		var tr flow.Transport
		switch strings.ToLower(proto) {
		case "tcp":
			tr = flow.TransportTCP
		case "udp":
			tr = flow.TransportUDP
		case "icmp":
			tr = flow.TransportICMP
		case "other":
			tr = flow.TransportUnknown
		default:
			return fmt.Errorf("%q: unknown protocol %q (tcp, udp, icmp, other)", item, proto)
		}
		if hasPort {
			n, err := strconv.ParseUint(port, 10, 16)
			if err != nil {
				return fmt.Errorf("%q: bad port %q", item, port)
			}
			if cfg.PortTimeouts == nil {
				cfg.PortTimeouts = map[flow.PortProto]time.Duration{}
			}
			cfg.PortTimeouts[flow.PortProto{Port: uint16(n), Trans: tr}] = d
			continue
		}
		switch tr {
		case flow.TransportTCP:
			cfg.TCPInactivity = d
		case flow.TransportUDP:
			cfg.UDPInactivity = d
		case flow.TransportICMP:
			cfg.ICMPInactivity = d
		default:
			cfg.OtherInactivity = d
		}
	}
	return nil
}
