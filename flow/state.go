package flow

import "strings"

// EndpointState is the state of one side of a connection. For TCP it follows
// Zeek's TCP_Endpoint states; UDP, ICMP and other transports use only
// StateInactive and StateActive (Zeek's UDP_INACTIVE / UDP_ACTIVE).
type EndpointState uint8

// Endpoint states. The numeric values of the TCP states match Zeek's
// EndpointState enum.
const (
	StateInactive    EndpointState  = iota // nothing seen from this side
	StateSynSent                           // SYN seen, no ack
	StateSynAckSent                        // SYN-ACK seen, no initial SYN
	StatePartial                           // data seen, but no SYN
	StateEstablished                       // SYN-ACK seen (implicit for a SYN sent by the responder)
	StateClosed                            // FIN seen
	StateReset                             // RST seen
	StateActive      = StateSynSent        // UDP/ICMP/other: packets seen (Zeek's UDP_ACTIVE == 1)
)

var stateNames = [...]string{"INACTIVE", "SYN_SENT", "SYN_ACK_SENT", "PARTIAL", "ESTABLISHED", "CLOSED", "RESET"}

func (s EndpointState) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "?"
}

// Transport is the conn.log proto column.
type Transport uint8

// Transports as Zeek's transport_proto.
const (
	TransportUnknown Transport = iota
	TransportTCP
	TransportUDP
	TransportICMP
)

func (t Transport) String() string {
	switch t {
	case TransportTCP:
		return "tcp"
	case TransportUDP:
		return "udp"
	case TransportICMP:
		return "icmp"
	}
	return "unknown_transport"
}

// ConnState derives Zeek's conn_state from the endpoint states, the sizes and
// the history, exactly as the conn_state function of Zeek's
// base/protocols/conn/main.zeek. It is a pure function.
func ConnState(trans Transport, os, rs EndpointState, origSize, respSize uint64, history string) string {
	oInactive := os == StateInactive || os == StatePartial
	rInactive := rs == StateInactive || rs == StatePartial
	switch trans {
	case TransportTCP:
		switch {
		case rs == StateReset:
			if os == StateSynSent || os == StateSynAckSent || (os == StateReset && origSize == 0 && respSize == 0) {
				return "REJ"
			}
			if oInactive {
				return "RSTRH"
			}
			return "RSTR"
		case os == StateReset:
			if rInactive {
				if matchRSTOS0(history) {
					return "RSTOS0"
				}
				return "OTH"
			}
			return "RSTO"
		case rs == StateClosed && os == StateClosed:
			return "SF"
		case os == StateClosed:
			if rInactive {
				return "SH"
			}
			return "S2"
		case rs == StateClosed:
			if oInactive {
				return "SHR"
			}
			return "S3"
		case os == StateSynSent && rs == StateInactive:
			return "S0"
		case os == StateEstablished && rs == StateEstablished:
			return "S1"
		}
		return "OTH"
	case TransportUDP:
		if os == StateActive {
			if rs == StateActive {
				return "SF"
			}
			return "S0"
		}
		if rs == StateActive {
			return "SHR"
		}
		return "OTH"
	}
	return "OTH"
}

// matchRSTOS0 reports whether history matches Zeek's /^\^?S[^HAFGIQ]*R.*/
// (a Zeek pattern compared with == is anchored at both ends).
func matchRSTOS0(h string) bool {
	h = strings.TrimPrefix(h, "^")
	if len(h) == 0 || h[0] != 'S' {
		return false
	}
	for i := 1; i < len(h); i++ {
		switch h[i] {
		case 'H', 'A', 'F', 'G', 'I', 'Q':
			return false
		case 'R':
			return true
		}
	}
	return false
}
