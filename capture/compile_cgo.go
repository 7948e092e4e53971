package capture

/*
#cgo linux LDFLAGS: -lpcap
#cgo darwin LDFLAGS: -lpcap
#cgo freebsd LDFLAGS: -lpcap
#cgo openbsd LDFLAGS: -lpcap
#cgo netbsd LDFLAGS: -lpcap
#include <stdlib.h>
#include <pcap.h>
*/
import "C"

import (
	"errors"
	"sync"
	"unsafe"
)

// compileMu serializes pcap_compile, which is not thread-safe before libpcap 1.8.
var compileMu sync.Mutex

// compileDLT compiles expr with libpcap for any DLT value. It exists because
// gopacket's pcap.CompileBPFFilter takes a uint8 link type, and link types
// such as LINKTYPE_LINUX_SLL2 (276) do not fit.
func compileDLT(dlt, snaplen int, expr string) ([]bpfInsn, error) {
	p := C.pcap_open_dead(C.int(dlt), C.int(snaplen))
	if p == nil {
		return nil, errors.New("pcap_open_dead failed")
	}
	defer C.pcap_close(p)
	cexpr := C.CString(expr)
	defer C.free(unsafe.Pointer(cexpr))
	var prog C.struct_bpf_program
	compileMu.Lock()
	rc := C.pcap_compile(p, &prog, cexpr, 1, C.PCAP_NETMASK_UNKNOWN)
	compileMu.Unlock()
	if rc < 0 {
		return nil, errors.New(C.GoString(C.pcap_geterr(p)))
	}
	defer C.pcap_freecode(&prog)
	n := int(prog.bf_len)
	if n == 0 || prog.bf_insns == nil {
		return nil, errors.New("pcap_compile returned an empty program")
	}
	cins := unsafe.Slice(prog.bf_insns, n)
	raw := make([]bpfInsn, n)
	for i, in := range cins {
		raw[i] = bpfInsn{Code: uint16(in.code), Jt: uint8(in.jt), Jf: uint8(in.jf), K: uint32(in.k)}
	}
	return raw, nil
}
