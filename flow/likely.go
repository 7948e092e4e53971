package flow

import (
	"fmt"
	"strconv"
	"strings"
)

// ProtocolPorts returns, per Zeek protocol script, the ports it adds to
// likely_server_ports (the "redef likely_server_ports += { ports }" lines of
// Zeek's base/protocols/*/main.zeek and base/frameworks/tunnels). Zeek run
// with its default scripts has all of them; `zeek -b` has only those of the
// scripts it loads.
func ProtocolPorts() map[string]string { return protocolPorts }

var protocolPorts = map[string]string{
	"dce-rpc":    "135/tcp",
	"dhcp":       "67/udp",
	"dnp3":       "20000/tcp,20000/udp",
	"dns":        "53/udp,53/tcp,137/udp,5353/udp,5355/udp",
	"ftp":        "21/tcp,2811/tcp",
	"http":       "80/tcp,81/tcp,631/tcp,1080/tcp,3128/tcp,8000/tcp,8080/tcp,8888/tcp",
	"imap":       "143/tcp",
	"irc":        "6666/tcp,6667/tcp,6668/tcp,6669/tcp",
	"krb":        "88/udp,750/udp,88/tcp,750/tcp",
	"ldap":       "389/tcp,3268/tcp,389/udp",
	"modbus":     "502/tcp",
	"mqtt":       "1883/tcp",
	"mysql":      "1434/tcp,3306/tcp",
	"ntp":        "123/udp",
	"pop3":       "110/tcp",
	"postgresql": "5432/tcp",
	"quic":       "443/udp",
	"radius":     "1812/udp",
	"rdp":        "3389/tcp,3389/udp",
	"redis":      "6379/tcp",
	"sip":        "5060/udp",
	"smb":        "139/tcp,445/tcp",
	"smtp":       "25/tcp,587/tcp",
	"snmp":       "161/udp,162/udp",
	"socks":      "1080/tcp",
	"ssh":        "22/tcp",
	"ssl":        "443/tcp,563/tcp,585/tcp,614/tcp,636/tcp,989/tcp,990/tcp,992/tcp,993/tcp,995/tcp,5223/tcp,443/udp",
	"syslog":     "514/udp",
	"xmpp":       "5222/tcp,5269/tcp",
	"tunnels":    "5072/udp,3544/udp,2152/udp,2123/udp,4789/udp,6081/udp",
}

// DefaultLikelyServerPorts returns likely_server_ports as Zeek has it with
// its default scripts loaded.
func DefaultLikelyServerPorts() map[PortProto]bool {
	m := map[PortProto]bool{}
	for _, v := range protocolPorts {
		ps, _ := ParsePorts(v)
		for p := range ps {
			m[p] = true
		}
	}
	return m
}

// ParsePorts parses "80/tcp,53/udp,ssh,..." ("" or "none" is the empty
// set); a protocol name stands for the ports its Zeek script registers.
func ParsePorts(s string) (map[PortProto]bool, error) {
	m := map[PortProto]bool{}
	s = strings.TrimSpace(s)
	if s == "" || s == "none" {
		return m, nil
	}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		num, proto, ok := strings.Cut(f, "/")
		if !ok {
			// A Zeek protocol script name stands for the ports it registers.
			v, known := protocolPorts[strings.ToLower(f)]
			if !known {
				return nil, fmt.Errorf("%q: want PORT/tcp, PORT/udp, PORT/icmp or a protocol name (dns, http, ssh, ...)", f)
			}
			sub, _ := ParsePorts(v)
			for k := range sub {
				m[k] = true
			}
			continue
		}
		n, err := strconv.ParseUint(num, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("port %q: %v", f, err)
		}
		var tr Transport
		switch strings.ToLower(proto) {
		case "tcp":
			tr = TransportTCP
		case "udp":
			tr = TransportUDP
		case "icmp":
			tr = TransportICMP
		default:
			return nil, fmt.Errorf("port %q: unknown transport %q", f, proto)
		}
		m[PortProto{uint16(n), tr}] = true
	}
	return m, nil
}
