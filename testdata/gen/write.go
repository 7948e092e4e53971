package main

// Capture file writers. Classic pcap (µs and ns) and pcapng go through
// pcapgo; the big-endian pcap is written by hand because pcapgo only
// writes little-endian. Everything here is deterministic: no wall clock,
// no host information.

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

func (p *Pkt) ci() gopacket.CaptureInfo {
	l := len(p.Data)
	if p.OrigLen > l {
		l = p.OrigLen
	}
	return gopacket.CaptureInfo{Timestamp: time.Unix(0, p.T).UTC(), CaptureLength: len(p.Data),
		Length: l, InterfaceIndex: p.Iface}
}

// encode renders the file in its format.
func (f *File) encode() ([]byte, error) {
	var buf bytes.Buffer
	switch f.Format {
	case "", "pcap", "gz":
		w := pcapgo.NewWriter(&buf)
		if err := w.WriteFileHeader(f.Snap, layers.LinkType(f.Link)); err != nil {
			return nil, err
		}
		// pcapgo takes a uint8 link type; patch the full 32-bit value.
		binary.LittleEndian.PutUint32(buf.Bytes()[20:24], f.Link)
		for _, p := range f.Pkts {
			if err := w.WritePacket(p.ci(), p.Data); err != nil {
				return nil, err
			}
		}
		if f.Format == "gz" {
			var z bytes.Buffer
			zw, err := gzip.NewWriterLevel(&z, gzip.BestCompression)
			if err != nil {
				return nil, err
			}
			zw.Name = "" // no name, no mtime: deterministic header
			if _, err := zw.Write(buf.Bytes()); err != nil {
				return nil, err
			}
			if err := zw.Close(); err != nil {
				return nil, err
			}
			return z.Bytes(), nil
		}
	case "nanos":
		w := pcapgo.NewWriterNanos(&buf)
		if err := w.WriteFileHeader(f.Snap, layers.LinkType(f.Link)); err != nil {
			return nil, err
		}
		binary.LittleEndian.PutUint32(buf.Bytes()[20:24], f.Link)
		for _, p := range f.Pkts {
			if err := w.WritePacket(p.ci(), p.Data); err != nil {
				return nil, err
			}
		}
	case "bigendian":
		writeBigEndianPcap(&buf, f)
	case "pcapng":
		opts := pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{
			Application: "flowlog testdata/gen", Comment: f.Title}}
		var w *pcapgo.NgWriter
		for i, lt := range f.Ifaces {
			intf := pcapgo.NgInterface{Name: fmt.Sprintf("if%d", i), LinkType: lt, SnapLength: f.Snap,
				Description: describeLink(lt)}
			if i == 0 {
				var err error
				if w, err = pcapgo.NewNgWriterInterface(&buf, intf, opts); err != nil {
					return nil, err
				}
			} else if _, err := w.AddInterface(intf); err != nil {
				return nil, err
			}
		}
		for _, p := range f.Pkts {
			if err := w.WritePacket(p.ci(), p.Data); err != nil {
				return nil, err
			}
		}
		if err := w.Flush(); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown format %q", f.Format)
	}
	return buf.Bytes(), nil
}

func describeLink(lt layers.LinkType) string {
	switch lt {
	case layers.LinkTypeEthernet:
		return "Ethernet"
	case layers.LinkTypeRaw:
		return "raw IP"
	}
	return lt.String()
}

// writeBigEndianPcap writes a classic µs pcap in big-endian byte order, as a
// big-endian host (SPARC, PowerPC) would.
func writeBigEndianPcap(buf *bytes.Buffer, f *File) {
	be := binary.BigEndian
	hdr := make([]byte, 24)
	be.PutUint32(hdr[0:], 0xa1b2c3d4)
	be.PutUint16(hdr[4:], 2)
	be.PutUint16(hdr[6:], 4)
	be.PutUint32(hdr[16:], f.Snap)
	be.PutUint32(hdr[20:], f.Link)
	buf.Write(hdr)
	for _, p := range f.Pkts {
		ci := p.ci()
		rec := make([]byte, 16)
		be.PutUint32(rec[0:], uint32(p.T/1e9))
		be.PutUint32(rec[4:], uint32(p.T%1e9/1000))
		be.PutUint32(rec[8:], uint32(ci.CaptureLength))
		be.PutUint32(rec[12:], uint32(ci.Length))
		buf.Write(rec)
		buf.Write(p.Data)
	}
}
