package main

// Link-layer and file-format variants carrying the same simple content:
// one HTTP exchange over TCP and one DNS query/answer over UDP.

import (
	"github.com/google/gopacket/layers"
)

// simpleContent adds the shared TCP + UDP content. Every packet is IPv4.
func simpleContent(f *File) {
	d, ns := mkep("192.168.1.70", 50801), mkep("192.168.1.1", 53)
	uc := f.conn("udp", d, ns, "SF", "Dd")
	f.udp(uc, ms(0), d, ns, dnsQuery(0x1a2b, "www.example.com", layers.DNSTypeA), true)
	f.udp(uc, ms(14), ns, d, dnsResponse(0x1a2b, "www.example.com", layers.DNSTypeA,
		dnsRR{name: "www.example.com", typ: layers.DNSTypeA, addr: "198.51.100.70", ttl: 300}), false)

	a, b := mkep("192.168.1.70", 50800), mkep("198.51.100.70", 80)
	c := f.conn("tcp", a, b, "SF", "ShADadFf")
	s := f.tcp(c, a, b, 0x21000001, 0x91000001, 30)
	s.synOpts = true
	s.handshake()
	s.send(20, true, PSH|ACK, httpGET("www.example.com", "/"))
	s.send(15, false, ACK, nil)
	s.send(5, false, PSH|ACK, httpResponse(256))
	s.send(15, true, ACK, nil)
	s.closeAB()
	s.done()
}

func simpleDesc(f *File) {
	f.desc("Same content as every link-*/eth-*/pcap-* capture: a DNS A query/answer (UDP) and one HTTP GET over TCP with a FIN close. Expected rows are identical across those files (only the framing differs).")
}

func linkFiles() []*File {
	type lv struct {
		name, title string
		link        uint32
		fr          framer
		note        string
	}
	vs := []lv{
		{"link-eth.pcap", "Ethernet (reference framing)", linkEth, frameEthernet, ""},
		{"link-raw.pcap", "LINKTYPE_RAW (101): bare IP", linkRaw, frameRaw, "libpcap maps linktype 101 to DLT_RAW; Zeek's root analyzer falls back to IP."},
		{"link-null.pcap", "LINKTYPE_NULL (0): BSD loopback, AF_INET=2 little-endian", linkNull, frameNull, ""},
		{"link-sll.pcap", "LINKTYPE_LINUX_SLL (113)", linkSLL, frameSLL, ""},
		{"link-sll2.pcap", "LINKTYPE_LINUX_SLL2 (276)", linkSLL2, frameSLL2, ""},
		{"link-ppp.pcap", "LINKTYPE_PPP (9) with ff 03 address/control", linkPPP, framePPP, ""},
		{"link-radiotap.pcap", "LINKTYPE_IEEE802_11_RADIOTAP (127): radiotap + 802.11 data + LLC/SNAP", linkRadiotap, frameRadiotap, "No FCS (radiotap flags 0): Zeek's radiotap analyzer does not strip one."},
		{"eth-vlan.pcap", "Ethernet + 802.1Q (VLAN 100)", linkEth, frameVLAN, "vlan=100 if the optional vlan column is enabled."},
		{"eth-qinq.pcap", "Ethernet + QinQ (0x88a8 VLAN 200, then 0x8100 VLAN 100)", linkEth, frameQinQ, "vlan=200, inner_vlan=100 if the optional columns are enabled."},
		{"eth-mpls.pcap", "Ethernet + MPLS (labels 1000, 2000)", linkEth, frameMPLS, ""},
		{"eth-pppoe.pcap", "Ethernet + PPPoE session + PPP", linkEth, framePPPoE, ""},
		{"eth-pbb.pcap", "Ethernet + 802.1ah PBB (0x88a8 B-tag, 0x88e7 I-tag, customer frame)", linkEth, framePBB, ""},
		{"eth-vntag.pcap", "Ethernet + VN-Tag (0x8926) + 802.1Q (VLAN 100)", linkEth, frameVNTag, "Zeek's VN-Tag analyzer only hands off to VLAN ethertypes, so the VN-Tag is followed by an 802.1Q tag, as in Zeek's own vntag traces; vlan=100 if the optional column is enabled."},
	}
	var out []*File
	for _, v := range vs {
		f := newFile(v.name, v.title, v.link, v.fr)
		simpleDesc(f)
		if v.note != "" {
			f.desc("%s", v.note)
		}
		simpleContent(f)
		out = append(out, f)
	}

	// File-format variants.
	f := newFile("pcap-nsec.pcap", "nanosecond pcap (magic a1b23c4d)", linkEth, frameEthernet)
	f.Format = "nanos"
	simpleDesc(f)
	f.desc("Every timestamp carries 789 ns beyond the microsecond. Zeek opens files through libpcap at microsecond precision, which scales nanoseconds down by integer division (truncation), so ts/duration equal link-eth.pcap exactly. A reader that rounds would be 1 µs off.")
	simpleContent(f)
	for _, p := range f.Pkts {
		p.T += 789
	}
	out = append(out, f)

	f = newFile("pcap-bigendian.pcap", "big-endian pcap (bytes a1 b2 c3 d4)", linkEth, frameEthernet)
	f.Format = "bigendian"
	simpleDesc(f)
	simpleContent(f)
	out = append(out, f)

	f = newFile("pcap-gz.pcap.gz", "gzip-compressed pcap", linkEth, frameEthernet)
	f.Format = "gz"
	simpleDesc(f)
	f.desc("Zeek's tests read such files as `zcat file | zeek -r -`; libpcap itself does not decompress.")
	simpleContent(f)
	out = append(out, f)

	f = newFile("pcapng-multi-if.pcapng", "pcapng, two Ethernet interfaces", linkEth, frameRaw)
	f.Format = "pcapng"
	f.Ifaces = []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeEthernet}
	simpleDesc(f)
	f.desc("TCP packets on interface 0, UDP packets on interface 1; both interfaces Ethernet, µs-exact timestamps (if_tsresol 9).")
	simpleContent(f)
	for _, p := range f.Pkts {
		p.Data = frameEthernet(p.IP)
		if p.IP[9] == 17 {
			p.Iface = 1
		}
	}
	out = append(out, f)

	f = newFile("pcapng-mixed-link.pcapng", "pcapng, interface 0 Ethernet + interface 1 raw IP", linkEth, frameRaw)
	f.Format = "pcapng"
	f.Ifaces = []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeRaw}
	simpleDesc(f)
	f.desc("TCP packets on interface 0 (Ethernet), UDP packets on interface 1 (LINKTYPE_RAW).")
	f.NoZeek = "libpcap (and so Zeek) refuses a pcapng section whose interfaces have different link types (\"an interface has a type ... different from the type of the first interface\"). The rows below are what Zeek would log if it could read the file, i.e. the same as link-eth.pcap; tshark reads it fine."
	simpleContent(f)
	for _, p := range f.Pkts {
		if p.IP[9] == 17 {
			p.Iface = 1
			p.Data = p.IP
		} else {
			p.Data = frameEthernet(p.IP)
		}
	}
	out = append(out, f)
	return out
}
