package decode

// Anomaly names why a frame, or part of it, could not be decoded. The summary
// line counts them by kind. The decoder may add kinds; keep String in step.
type Anomaly uint8

// Anomaly kinds.
const (
	AnomalyNone               Anomaly = iota
	AnomalyUnknownLinkType            // link type flowlog does not decode
	AnomalyTruncatedLink              // frame ends inside the link-layer header
	AnomalyNonIP                      // link payload is not IP (ARP, LLDP, ...): not an error, just not a flow
	AnomalyTruncatedIP                // frame ends inside the IP header
	AnomalyBadIPVersion               // IP version field is neither 4 nor 6
	AnomalyBadIPHeader                // IHL too small, total length < header, bad extension header chain
	AnomalyBadIPChecksum              // IPv4 header checksum wrong (dropped, as Zeek does without -C)
	AnomalyTruncatedTransport         // frame ends inside the TCP/UDP/ICMP header
	AnomalyBadTransportHeader         // e.g. TCP data offset < 20
	AnomalyFragment                   // a fragment held for reassembly (not an error)
	AnomalyFragmentOverlap            // inconsistent or overlapping fragments
	AnomalyTunnelDepth                // more nested tunnels than Options.MaxTunnelDepth (Zeek's Tunnel::max_depth) allows
	AnomalyBadTunnel                  // malformed tunnel header
	AnomalyFiltered                   // dropped by the BPF filter (not an error)
	AnomalyBadChecksum                // TCP/UDP/ICMP checksum wrong: the layer is kept with BadChecksum set
	AnomalyNoTransport                // IP layer Zeek analyzes without a connection (ESP, IPv6 no-next/mobility, IGMP)
	numAnomalies
)

// NumAnomalies is the number of Anomaly kinds, for counters indexed by kind.
const NumAnomalies = int(numAnomalies)

var anomalyNames = [...]string{
	"none", "unknown_link_type", "truncated_link", "non_ip", "truncated_ip",
	"bad_ip_version", "bad_ip_header", "bad_ip_checksum", "truncated_transport",
	"bad_transport_header", "fragment", "fragment_overlap", "tunnel_depth",
	"bad_tunnel", "filtered", "bad_checksum", "no_transport",
}

func (a Anomaly) String() string {
	if int(a) < len(anomalyNames) {
		return anomalyNames[a]
	}
	return "unknown"
}
