// Package dnsmsg parses DNS messages (RFC 1035 and the record types Zeek
// decodes) for passive DNS and dns.log, and names and formats them as
// Zeek's DNS analyzer and base/protocols/dns scripts do.
//
// # Usage
//
//	var m dnsmsg.Msg                   // reused: its slices are kept
//	if err := m.Parse(udpPayload); err != nil {
//		// m still holds the questions and records parsed before the error
//	}
//	for i := range m.Records {
//		if s, handled := dnsmsg.ZeekAnswer(&m, &m.Records[i], false); handled && s != "" {
//			answers = append(answers, s)     // dns.log answers, as Zeek writes them
//		}
//	}
//
// Over TCP, a Stream per direction cuts the length-prefixed messages:
//
//	var s dnsmsg.Stream
//	s.Add(seq, payload, func(msg []byte) { m.Parse(msg) })
//
// Names are lower-cased and have no trailing dot ("" is the root), as
// Zeek logs them. QTypeName, RcodeName, ClassName and OpcodeName are
// Zeek's DNS::query_types, base_errors, classes and opcodes.
//
// # Bounds
//
// Parse does work linear in the message: names follow at most MaxPointers
// compression pointers, each of which must point before the label holding
// it (as Zeek requires), so no pointer loop is possible; a name is at most
// MaxNameLen bytes; at most MaxRecords questions plus records and
// MaxStrings TXT strings per record are kept. A Stream buffers at most one
// message (2+65535 bytes) and stops at the first sequence gap. Malformed
// input returns an error wrapping ErrMalformed, never panics (see
// FuzzParse).
//
// # Ownership and concurrency
//
// Parse copies what it keeps (names and strings are new strings); the
// input may be reused after the call. A Msg is not safe for concurrent
// use; package functions are.
package dnsmsg
