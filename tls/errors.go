package tls

import "errors"

// Sentinel errors. Every error returned by this package matches (errors.Is)
// one of them; most parse errors are more specific values that also match
// ErrMalformed.
var (
	// ErrMalformed: the bytes are not a well-formed ClientHello (bad length
	// field, truncated list, odd-length uint16 vector, ...).
	ErrMalformed = errors.New("flowlog/tls: malformed ClientHello")
	// ErrNotClientHello: the input is well formed at its own layer but does
	// not start a ClientHello (another record or handshake type).
	ErrNotClientHello = errors.New("flowlog/tls: not a ClientHello")
	// ErrTooLarge: the ClientHello (or the data needed to reassemble it) is
	// larger than MaxClientHelloLen or an internal bound.
	ErrTooLarge = errors.New("flowlog/tls: ClientHello exceeds size limit")
	// ErrIncomplete: a one-shot parser (ParseDTLS, ParseQUICInitial) saw only
	// part of a ClientHello. Use the matching assembler to collect the rest.
	ErrIncomplete = errors.New("flowlog/tls: incomplete ClientHello")
	// ErrUnsupportedVersion: a QUIC long header with a version whose Initial
	// protection is unknown to this package.
	ErrUnsupportedVersion = errors.New("flowlog/tls: unsupported QUIC version")
	// ErrDecrypt: a QUIC Initial packet failed authentication with the client
	// Initial keys (server packet, corruption, or not QUIC at all).
	ErrDecrypt = errors.New("flowlog/tls: QUIC Initial decryption failed")
	// ErrNoClientHello: an assembler gave up: its scan budget or failure
	// budget is spent without finding a ClientHello.
	ErrNoClientHello = errors.New("flowlog/tls: no ClientHello found")
)

// parseError is a static error value with a specific message that still
// matches a sentinel, so error paths do not allocate.
type parseError struct {
	msg  string
	kind error
}

func (e *parseError) Error() string        { return e.msg }
func (e *parseError) Is(target error) bool { return target == e.kind }
func (e *parseError) Unwrap() error        { return e.kind }

func malformed(msg string) error {
	return &parseError{msg: "flowlog/tls: malformed ClientHello: " + msg, kind: ErrMalformed}
}

var (
	errShort          = malformed("truncated")
	errSessionID      = malformed("session_id longer than 32 bytes")
	errCookie         = malformed("cookie length exceeds message")
	errCiphers        = malformed("bad cipher_suites length")
	errCompression    = malformed("bad compression_methods length")
	errExtBlock       = malformed("extensions length exceeds message")
	errExtLen         = malformed("extension length exceeds extensions block")
	errSNI            = malformed("bad server_name extension")
	errALPN           = malformed("bad application_layer_protocol_negotiation extension")
	errSigAlgs        = malformed("bad signature_algorithms extension")
	errGroups         = malformed("bad supported_groups extension")
	errPointFormats   = malformed("bad ec_point_formats extension")
	errVersions       = malformed("bad supported_versions extension")
	errHandshakeLen   = malformed("handshake length does not match")
	errRecordLen      = malformed("bad record length")
	errRecordVersion  = malformed("bad record version")
	errInterleaved    = malformed("non-handshake record inside ClientHello")
	errDTLSFragment   = malformed("bad DTLS handshake fragment")
	errQUICHeader     = malformed("bad QUIC long header")
	errQUICFrame      = malformed("bad QUIC frame")
	errNotHandshake   = &parseError{msg: "flowlog/tls: not a ClientHello: record is not a handshake", kind: ErrNotClientHello}
	errNotHelloType   = &parseError{msg: "flowlog/tls: not a ClientHello: handshake type is not client_hello", kind: ErrNotClientHello}
	errNotQUICInitial = &parseError{msg: "flowlog/tls: not a ClientHello: not a QUIC Initial packet", kind: ErrNotClientHello}
	errNotDTLS        = &parseError{msg: "flowlog/tls: not a ClientHello: not a DTLS handshake record", kind: ErrNotClientHello}
	errTooLarge       = &parseError{msg: "flowlog/tls: ClientHello exceeds size limit", kind: ErrTooLarge}
	errTooFragmented  = &parseError{msg: "flowlog/tls: ClientHello exceeds fragment limit", kind: ErrTooLarge}
)
