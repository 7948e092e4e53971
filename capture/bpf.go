package capture

import (
	"encoding/binary"
	"fmt"
)

// An allocation-free interpreter of classic BPF, with the semantics of
// libpcap's own pcap_filter() (bpf_filter.c): loads beyond the captured bytes
// reject the packet, division by a zero X rejects it, "len" is the wire
// length, and A and X start at 0.

// bpfInsn is a raw classic BPF instruction (struct bpf_insn).
type bpfInsn struct {
	Code uint16
	Jt   uint8
	Jf   uint8
	K    uint32
}

// op is a dense internal opcode, so that run's switch compiles to a jump table.
type op uint8

const (
	opInvalid op = iota
	opRetK
	opRetA
	opLdAbsW
	opLdAbsH
	opLdAbsB
	opLdIndW
	opLdIndH
	opLdIndB
	opLdLen
	opLdxLen
	opLdxMsh
	opLdImm
	opLdxImm
	opLdMem
	opLdxMem
	opSt
	opStx
	opJa
	opJeqK
	opJgtK
	opJgeK
	opJsetK
	opJeqX
	opJgtX
	opJgeX
	opJsetX
	opAddK
	opSubK
	opMulK
	opDivK
	opModK
	opAndK
	opOrK
	opXorK
	opLshK
	opRshK
	opAddX
	opSubX
	opMulX
	opDivX
	opModX
	opAndX
	opOrX
	opXorX
	opLshX
	opRshX
	opNeg
	opTax
	opTxa
)

// codeOps maps each classic BPF opcode that libpcap's interpreter implements
// to its internal op. Anything else is rejected by compileProgram.
var codeOps = map[uint16]op{
	0x06: opRetK, 0x16: opRetA,
	0x20: opLdAbsW, 0x28: opLdAbsH, 0x30: opLdAbsB,
	0x40: opLdIndW, 0x48: opLdIndH, 0x50: opLdIndB,
	0x80: opLdLen, 0x81: opLdxLen, 0xb1: opLdxMsh,
	0x00: opLdImm, 0x01: opLdxImm, 0x60: opLdMem, 0x61: opLdxMem,
	0x02: opSt, 0x03: opStx,
	0x05: opJa,
	0x15: opJeqK, 0x25: opJgtK, 0x35: opJgeK, 0x45: opJsetK,
	0x1d: opJeqX, 0x2d: opJgtX, 0x3d: opJgeX, 0x4d: opJsetX,
	0x04: opAddK, 0x14: opSubK, 0x24: opMulK, 0x34: opDivK, 0x94: opModK,
	0x54: opAndK, 0x44: opOrK, 0xa4: opXorK, 0x64: opLshK, 0x74: opRshK,
	0x0c: opAddX, 0x1c: opSubX, 0x2c: opMulX, 0x3c: opDivX, 0x9c: opModX,
	0x5c: opAndX, 0x4c: opOrX, 0xac: opXorX, 0x6c: opLshX, 0x7c: opRshX,
	0x84: opNeg,
	0x07: opTax, 0x87: opTxa,
}

type insn struct {
	op op
	jt uint8
	jf uint8
	k  uint32
}

// program is a validated BPF program, safe to run on any input.
type program struct {
	ins []insn
}

// maxInsns is libpcap's BPF_MAXINSNS.
const maxInsns = 4096

// compileProgram validates a classic BPF program, more strictly than
// libpcap's bpf_validate: every opcode must be one that the interpreter
// implements, jumps must land inside the program, the program must end in a
// return, constant divisors must be non-zero, constant shifts below 32 and
// scratch slots below 16. A program that passes can never make run index out
// of range. Scratch memory starts zeroed (libpcap leaves it uninitialized;
// its compiler sometimes emits a load that only infeasible paths reach
// before a store, so such programs are accepted).
func compileProgram(raw []bpfInsn) (*program, error) {
	n := len(raw)
	if n == 0 || n > maxInsns {
		return nil, fmt.Errorf("bpf: program has %d instructions (want 1 to %d)", n, maxInsns)
	}
	p := &program{ins: make([]insn, n)}
	for i, r := range raw {
		o, ok := codeOps[r.Code]
		if !ok {
			return nil, fmt.Errorf("bpf: instruction %d: unknown opcode 0x%02x", i, r.Code)
		}
		p.ins[i] = insn{op: o, jt: r.Jt, jf: r.Jf, k: r.K}
		switch o {
		case opLdMem, opLdxMem, opSt, opStx:
			if r.K >= 16 {
				return nil, fmt.Errorf("bpf: instruction %d: scratch slot %d out of range", i, r.K)
			}
		case opDivK, opModK:
			if r.K == 0 {
				return nil, fmt.Errorf("bpf: instruction %d: division by zero", i)
			}
		case opLshK, opRshK:
			if r.K >= 32 {
				return nil, fmt.Errorf("bpf: instruction %d: shift by %d", i, r.K)
			}
		}
		// The farthest instruction control may reach next (jumps only go forward).
		var far uint64
		switch o {
		case opRetK, opRetA:
			continue
		case opJa:
			far = uint64(i) + 1 + uint64(r.K)
		case opJeqK, opJgtK, opJgeK, opJsetK, opJeqX, opJgtX, opJgeX, opJsetX:
			far = uint64(i) + 1 + uint64(max(r.Jt, r.Jf))
		default:
			far = uint64(i) + 1
		}
		if far >= uint64(n) {
			if i == n-1 {
				return nil, fmt.Errorf("bpf: program does not end with a return")
			}
			return nil, fmt.Errorf("bpf: instruction %d: jump out of the program", i)
		}
	}
	return p, nil
}

// run executes the program on one packet and returns the BPF return value:
// non-zero means the packet matches. It does not allocate.
func (p *program) run(pkt []byte, wirelen uint32) uint32 {
	var a, x uint32
	var mem [16]uint32
	ins := p.ins
	buflen := uint64(len(pkt))
	for pc := 0; pc < len(ins); pc++ {
		in := &ins[pc]
		switch in.op {
		case opRetK:
			return in.k
		case opRetA:
			return a
		case opLdAbsW:
			k := uint64(in.k)
			if k+4 > buflen {
				return 0
			}
			a = binary.BigEndian.Uint32(pkt[k:])
		case opLdAbsH:
			k := uint64(in.k)
			if k+2 > buflen {
				return 0
			}
			a = uint32(binary.BigEndian.Uint16(pkt[k:]))
		case opLdAbsB:
			k := uint64(in.k)
			if k >= buflen {
				return 0
			}
			a = uint32(pkt[k])
		case opLdIndW:
			k := uint64(in.k) + uint64(x)
			if k+4 > buflen {
				return 0
			}
			a = binary.BigEndian.Uint32(pkt[k:])
		case opLdIndH:
			k := uint64(in.k) + uint64(x)
			if k+2 > buflen {
				return 0
			}
			a = uint32(binary.BigEndian.Uint16(pkt[k:]))
		case opLdIndB:
			k := uint64(in.k) + uint64(x)
			if k >= buflen {
				return 0
			}
			a = uint32(pkt[k])
		case opLdLen:
			a = wirelen
		case opLdxLen:
			x = wirelen
		case opLdxMsh:
			k := uint64(in.k)
			if k >= buflen {
				return 0
			}
			x = uint32(pkt[k]&0xf) << 2
		case opLdImm:
			a = in.k
		case opLdxImm:
			x = in.k
		case opLdMem:
			a = mem[in.k&15]
		case opLdxMem:
			x = mem[in.k&15]
		case opSt:
			mem[in.k&15] = a
		case opStx:
			mem[in.k&15] = x
		case opJa:
			pc += int(in.k)
		case opJeqK:
			pc += jump(a == in.k, in)
		case opJgtK:
			pc += jump(a > in.k, in)
		case opJgeK:
			pc += jump(a >= in.k, in)
		case opJsetK:
			pc += jump(a&in.k != 0, in)
		case opJeqX:
			pc += jump(a == x, in)
		case opJgtX:
			pc += jump(a > x, in)
		case opJgeX:
			pc += jump(a >= x, in)
		case opJsetX:
			pc += jump(a&x != 0, in)
		case opAddK:
			a += in.k
		case opSubK:
			a -= in.k
		case opMulK:
			a *= in.k
		case opDivK:
			a /= in.k
		case opModK:
			a %= in.k
		case opAndK:
			a &= in.k
		case opOrK:
			a |= in.k
		case opXorK:
			a ^= in.k
		case opLshK:
			a <<= in.k
		case opRshK:
			a >>= in.k
		case opAddX:
			a += x
		case opSubX:
			a -= x
		case opMulX:
			a *= x
		case opDivX:
			if x == 0 {
				return 0
			}
			a /= x
		case opModX:
			if x == 0 {
				return 0
			}
			a %= x
		case opAndX:
			a &= x
		case opOrX:
			a |= x
		case opXorX:
			a ^= x
		case opLshX:
			a <<= x // Go yields 0 for x >= 32, as libpcap does
		case opRshX:
			a >>= x
		case opNeg:
			a = -a
		case opTax:
			x = a
		case opTxa:
			a = x
		default:
			return 0 // unreachable for a validated program
		}
	}
	return 0
}

func jump(cond bool, in *insn) int {
	if cond {
		return int(in.jt)
	}
	return int(in.jf)
}
