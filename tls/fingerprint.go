package tls

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
)

// JA3 returns the JA3 string and its MD5 (lower-case hex), as defined by
// salesforce/ja3: "SSLVersion,Ciphers,Extensions,EllipticCurves,
// EllipticCurvePointFormats", decimal values joined by "-", GREASE values
// (RFC 8701) removed from every list. SSLVersion is the ClientHello's
// legacy_version (Version).
func (c *ClientHello) JA3() (full, hash string) {
	b := make([]byte, 0, 256)
	b = strconv.AppendUint(b, uint64(c.Version), 10)
	b = append(b, ',')
	b = appendDecimals(b, c.CipherSuites)
	b = append(b, ',')
	b = appendDecimals(b, c.Extensions)
	b = append(b, ',')
	b = appendDecimals(b, c.SupportedGroups)
	b = append(b, ',')
	for i, f := range c.ECPointFormats {
		if i > 0 {
			b = append(b, '-')
		}
		b = strconv.AppendUint(b, uint64(f), 10)
	}
	sum := md5.Sum(b)
	return string(b), hex.EncodeToString(sum[:])
}

func appendDecimals(b []byte, vs []uint16) []byte {
	first := true
	for _, v := range vs {
		if IsGREASE(v) {
			continue
		}
		if !first {
			b = append(b, '-')
		}
		first = false
		b = strconv.AppendUint(b, uint64(v), 10)
	}
	return b
}

// JA4 returns the JA4 TLS client fingerprint, following FoxIO's
// technical_details/JA4.md:
//
//	{t|q|d}{version}{d|i}{#ciphers:02}{#extensions:02}{alpn first+last}
//	_{sha256(sorted ciphers)[:12]}_{sha256(sorted extensions w/o SNI,ALPN "_" sigalgs)[:12]}
//
// GREASE values are ignored everywhere (ciphers, extensions, signature
// algorithms, supported_versions). The version is the newest value of
// supported_versions, else legacy_version (see MaxVersion): 13, 12, 11, 10,
// s3, s2, d1, d2, d3, or 00 when unknown. 'd' means the server_name
// extension is present. Counts are capped at 99. The ALPN part is the first
// and last character of the first ALPN value; if either of those bytes is
// not ASCII alphanumeric, the first and last characters of the value's hex
// encoding are used; "00" when there is no ALPN value or it is empty. An
// empty cipher or extension list hashes to "000000000000".
func (c *ClientHello) JA4() string { return c.ja4(false, false) }

// JA4R returns the raw (unhashed) JA4, "JA4_r": the sorted lists in place of
// their hashes.
func (c *ClientHello) JA4R() string { return c.ja4(true, false) }

// JA4O returns "JA4_o": JA4 over the lists in wire order, with the SNI and
// ALPN extensions kept in the extension list.
func (c *ClientHello) JA4O() string { return c.ja4(false, true) }

// JA4RO returns "JA4_ro", the raw form of JA4O.
func (c *ClientHello) JA4RO() string { return c.ja4(true, true) }

func (c *ClientHello) ja4(raw, original bool) string {
	out := make([]byte, 0, 128)
	switch {
	case c.QUIC:
		out = append(out, 'q')
	case c.DTLS:
		out = append(out, 'd')
	default:
		out = append(out, 't')
	}
	out = append(out, ja4Version(c.MaxVersion())...)
	if c.HasExtension(ExtServerName) {
		out = append(out, 'd')
	} else {
		out = append(out, 'i')
	}
	var cbuf, ebuf [128]uint16
	ciphers := appendNonGREASE(cbuf[:0], c.CipherSuites)
	exts := appendNonGREASE(ebuf[:0], c.Extensions)
	out = appendCount(out, len(ciphers))
	out = appendCount(out, len(exts))
	out = appendALPN(out, c.ALPN)
	if !original {
		slices.Sort(ciphers)
		exts = slices.DeleteFunc(exts, func(e uint16) bool { return e == ExtServerName || e == ExtALPN })
		slices.Sort(exts)
	}

	var lbuf [512]byte
	out = append(out, '_')
	list := appendHexList(lbuf[:0], ciphers)
	out = appendPart(out, list, raw)
	out = append(out, '_')
	list = appendHexList(list[:0], exts)
	if len(exts) > 0 {
		sigs := 0
		for _, s := range c.SignatureAlgorithms {
			if IsGREASE(s) {
				continue
			}
			if sigs == 0 {
				list = append(list, '_')
			} else {
				list = append(list, ',')
			}
			sigs++
			list = appendHex4(list, s)
		}
	}
	out = appendPart(out, list, raw)
	return string(out)
}

func appendPart(out, list []byte, raw bool) []byte {
	if raw {
		return append(out, list...)
	}
	if len(list) == 0 {
		return append(out, "000000000000"...)
	}
	sum := sha256.Sum256(list)
	return hex.AppendEncode(out, sum[:6])
}

func appendNonGREASE(dst, src []uint16) []uint16 {
	for _, v := range src {
		if !IsGREASE(v) {
			dst = append(dst, v)
		}
	}
	return dst
}

func appendCount(out []byte, n int) []byte {
	n = min(n, 99)
	return append(out, byte('0'+n/10), byte('0'+n%10))
}

func appendHex4(b []byte, v uint16) []byte {
	const digits = "0123456789abcdef"
	return append(b, digits[v>>12], digits[v>>8&0xf], digits[v>>4&0xf], digits[v&0xf])
}

func appendHexList(b []byte, vs []uint16) []byte {
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendHex4(b, v)
	}
	return b
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

func appendALPN(out []byte, alpn []string) []byte {
	if len(alpn) == 0 || len(alpn[0]) == 0 {
		return append(out, '0', '0')
	}
	v := alpn[0]
	first, last := v[0], v[len(v)-1]
	if isAlnum(first) && isAlnum(last) {
		return append(out, first, last)
	}
	const digits = "0123456789abcdef"
	return append(out, digits[first>>4], digits[last&0xf])
}

func ja4Version(v uint16) string {
	switch v {
	case 0x0304:
		return "13"
	case 0x0303:
		return "12"
	case 0x0302:
		return "11"
	case 0x0301:
		return "10"
	case 0x0300:
		return "s3"
	case 0x0002:
		return "s2"
	case 0xfeff:
		return "d1"
	case 0xfefd:
		return "d2"
	case 0xfefc:
		return "d3"
	}
	return "00"
}
