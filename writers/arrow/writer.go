package arrow

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/compress"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"

	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
	"github.com/flowlog/flowlog/writers/communityid"
	"github.com/flowlog/flowlog/zeeklog"
)

// Kind selects the output encoding.
type Kind uint8

// Kinds.
const (
	// IPCFile is the Arrow IPC file format (conn.arrow): random access,
	// with a footer written by Close.
	IPCFile Kind = iota
	// IPCStream is the Arrow IPC streaming format, for any io.Writer
	// (stdout, a pipe, a unix socket the caller opened): each Flush sends
	// one record batch.
	IPCStream
	// Parquet is an Apache Parquet file (conn.parquet).
	Parquet
)

func (k Kind) String() string {
	switch k {
	case IPCFile:
		return "arrow"
	case IPCStream:
		return "arrow-stream"
	case Parquet:
		return "parquet"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// FileName is the conventional output file name for the kind ("conn.arrow",
// "conn.parquet"); "" for IPCStream, which has no file of its own.
func (k Kind) FileName() string {
	switch k {
	case IPCFile:
		return "conn.arrow"
	case Parquet:
		return "conn.parquet"
	}
	return ""
}

// DefaultBatchRows is the record batch size when Options.BatchRows is 0.
const DefaultBatchRows = 8192

// DefaultRowGroupRows is the Parquet row group size when
// Options.RowGroupRows is 0.
const DefaultRowGroupRows = 128 * 1024

// Options configure a Writer. The zero value is usable.
type Options struct {
	// Allocator for the builders and the encoders; nil means
	// memory.NewGoAllocator().
	Allocator memory.Allocator

	// BatchRows is the number of rows per record batch, like the chunk size
	// of arrow's csv.WithChunk:
	//   - 0 means DefaultBatchRows (8192);
	//   - n > 0: Write emits a batch by itself each time n rows are
	//     pending, so every batch but the last has exactly n rows (1 gives
	//     one batch per connection: valid, but each batch carries its own
	//     message header, and in Parquet its own pages);
	//   - n < 0: Write never emits; rows pile up in memory until Flush or
	//     Close, which write them as one batch (the whole log in one batch
	//     when only Close is called).
	// Flush emits whatever is pending whatever BatchRows says, and never an
	// empty batch.
	BatchRows int

	// RowGroupRows is the Parquet row group length (0 means
	// DefaultRowGroupRows). Batches are appended to the open row group,
	// which is written out when it is full and at Close; a batch that does
	// not fit is split across row groups. Ignored by the IPC kinds.
	RowGroupRows int64

	// ParquetCompression is the Parquet page compression; nil means Snappy.
	ParquetCompression *compress.Compression

	// LocalNets decides local_orig/local_resp, as zeeklog.Options.LocalNets:
	// nil means zeeklog.PrivateAddressSpace() (Zeek's default local_nets).
	LocalNets []netip.Prefix

	// CommunityID adds the community_id column (Zeek's
	// policy/protocols/conn/community-id-logging.zeek), computed with
	// CommunityIDSeed.
	CommunityID     bool
	CommunityIDSeed uint16
}

// Column indexes in the schema, Zeek's conn.log order.
const (
	colTS = iota
	colUID
	colOrigH
	colOrigP
	colRespH
	colRespP
	colProto
	colService
	colDuration
	colOrigBytes
	colRespBytes
	colConnState
	colLocalOrig
	colLocalResp
	colMissedBytes
	colHistory
	colOrigPkts
	colOrigIPBytes
	colRespPkts
	colRespIPBytes
	colTunnelParents
	colIPProto
	colCommunityID
)

// dictString is the type of the dictionary-encoded string columns.
var dictString = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}

// Schema returns the Arrow schema of the records: conn.log's columns with
// Zeek's names and order (community_id last, when opt.CommunityID).
//
// The Parquet file has the same columns, except that duration is stored as
// int64 microseconds: Parquet has no duration type and arrow's pqarrow
// (v15) cannot write one. ParquetSchema returns that variant.
func Schema(opt Options) *arrow.Schema {
	return schema(opt, arrow.FixedWidthTypes.Duration_us, nil)
}

// ParquetSchema is the schema the Parquet writer stores (see Schema).
// Its metadata (stored in the Parquet footer's key/value metadata) has
// "flowlog.duration_unit" = "us".
func ParquetSchema(opt Options) *arrow.Schema {
	md := arrow.NewMetadata([]string{"flowlog.duration_unit"}, []string{"us"})
	return schema(opt, arrow.PrimitiveTypes.Int64, &md)
}

func schema(opt Options, durType arrow.DataType, md *arrow.Metadata) *arrow.Schema {
	u64 := arrow.PrimitiveTypes.Uint64
	str := arrow.BinaryTypes.String
	fields := []arrow.Field{
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{Name: "uid", Type: str},
		{Name: "id.orig_h", Type: str},
		{Name: "id.orig_p", Type: arrow.PrimitiveTypes.Uint16},
		{Name: "id.resp_h", Type: str},
		{Name: "id.resp_p", Type: arrow.PrimitiveTypes.Uint16},
		{Name: "proto", Type: dictString},
		{Name: "service", Type: dictString, Nullable: true},
		{Name: "duration", Type: durType, Nullable: true},
		{Name: "orig_bytes", Type: u64, Nullable: true},
		{Name: "resp_bytes", Type: u64, Nullable: true},
		{Name: "conn_state", Type: dictString},
		{Name: "local_orig", Type: arrow.FixedWidthTypes.Boolean},
		{Name: "local_resp", Type: arrow.FixedWidthTypes.Boolean},
		{Name: "missed_bytes", Type: u64},
		{Name: "history", Type: str, Nullable: true},
		{Name: "orig_pkts", Type: u64},
		{Name: "orig_ip_bytes", Type: u64},
		{Name: "resp_pkts", Type: u64},
		{Name: "resp_ip_bytes", Type: u64},
		{Name: "tunnel_parents", Type: arrow.ListOf(str), Nullable: true},
		{Name: "ip_proto", Type: arrow.PrimitiveTypes.Uint8},
	}
	if opt.CommunityID {
		fields = append(fields, arrow.Field{Name: "community_id", Type: str})
	}
	return arrow.NewSchema(fields, md)
}

// protoNames and connStates are the complete vocabularies of the proto and
// conn_state columns. Their dictionaries hold all of them from the first
// batch on, so every batch carries the same dictionary: the IPC file format
// allows no dictionary replacement, and the stream needs no deltas.
var (
	protoNames = [...][]byte{
		flow.TransportUnknown: []byte("unknown_transport"),
		flow.TransportTCP:     []byte("tcp"),
		flow.TransportUDP:     []byte("udp"),
		flow.TransportICMP:    []byte("icmp"),
	}
	// Zeek's conn_state values, in the order of its documentation.
	connStates = [...]string{"S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH", "SHR", "OTH"}
	connStateB [len(connStates)][]byte
)

func init() {
	for i, s := range connStates {
		connStateB[i] = []byte(s)
	}
}

// Estimated bytes per row of the variable-length columns, reserved with
// each batch so that the value buffers rarely grow inside a batch.
const (
	uidBytes     = 18
	addrBytes    = 15
	historyBytes = 8
	cidBytes     = 30
)

// Writer writes conn.log records as Arrow or Parquet. It is not safe for
// concurrent use.
type Writer struct {
	kind  Kind
	opt   Options
	mem   memory.Allocator
	batch int // rows per batch; <= 0: only on Flush

	buf *bufio.Writer
	ipc interface {
		Write(arrow.Record) error
		Close() error
	}
	pq *pqarrow.FileWriter

	rb   *array.RecordBuilder
	rows int

	ts                                 *array.TimestampBuilder
	uid, origH, respH, history, cid    *array.StringBuilder
	origP, respP                       *array.Uint16Builder
	proto, service, state              *array.BinaryDictionaryBuilder
	dur                                *array.DurationBuilder
	durInt                             *array.Int64Builder
	origBytes, respBytes, missed       *array.Uint64Builder
	origPkts, origIP, respPkts, respIP *array.Uint64Builder
	localOrig, localResp               *array.BooleanBuilder
	tunnel                             *array.ListBuilder
	tunnelVals                         *array.StringBuilder
	ipProto                            *array.Uint8Builder
	local                              []netip.Prefix
	scratch                            []byte
	err                                error
	closed                             bool
}

// ErrClosed is returned by Write and Flush after Close.
var ErrClosed = errors.New("writers/arrow: writer is closed")

// New returns a Writer of kind to w. Nothing is written before the first
// batch (IPC) or Close (Parquet footer); Close does not close w.
//
// IPCFile needs to know the file position: when w is an io.Seeker its
// current position is taken as the start, otherwise 0 (so a pipe or a
// bufio.Writer over a fresh file works too).
func New(kind Kind, w io.Writer, opt Options) (*Writer, error) {
	if kind > Parquet {
		return nil, fmt.Errorf("writers/arrow: unknown kind %d", kind)
	}
	mem := opt.Allocator
	if mem == nil {
		mem = memory.NewGoAllocator()
	}
	wr := &Writer{kind: kind, opt: opt, mem: mem, local: opt.LocalNets, scratch: make([]byte, 0, 256)}
	if wr.local == nil {
		wr.local = zeeklog.PrivateAddressSpace()
	}
	switch {
	case opt.BatchRows == 0:
		wr.batch = DefaultBatchRows
	default:
		wr.batch = opt.BatchRows
	}
	wr.buf = bufio.NewWriterSize(w, 256<<10)

	var sc *arrow.Schema
	var err error
	switch kind {
	case IPCFile:
		var start int64
		if s, ok := w.(io.Seeker); ok {
			if p, err := s.Seek(0, io.SeekCurrent); err == nil {
				start = p
			}
		}
		sc = Schema(opt)
		wr.ipc, err = ipc.NewFileWriter(&posWriter{w: wr.buf, pos: start}, ipc.WithSchema(sc), ipc.WithAllocator(mem))
	case IPCStream:
		sc = Schema(opt)
		wr.ipc = ipc.NewWriter(wr.buf, ipc.WithSchema(sc), ipc.WithAllocator(mem), ipc.WithDictionaryDeltas(true))
	case Parquet:
		sc = ParquetSchema(opt)
		rg := opt.RowGroupRows
		if rg <= 0 {
			rg = DefaultRowGroupRows
		}
		codec := compress.Codecs.Snappy
		if opt.ParquetCompression != nil {
			codec = *opt.ParquetCompression
		}
		props := parquet.NewWriterProperties(
			parquet.WithAllocator(mem),
			parquet.WithCompression(codec),
			parquet.WithDictionaryDefault(true),
			parquet.WithMaxRowGroupLength(rg),
			parquet.WithCreatedBy("flowlog"),
		)
		aprops := pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(mem))
		wr.pq, err = pqarrow.NewFileWriter(sc, wr.buf, props, aprops)
	}
	if err != nil {
		return nil, fmt.Errorf("writers/arrow: %w", err)
	}

	wr.rb = array.NewRecordBuilder(mem, sc)
	f := wr.rb.Fields()
	wr.ts = f[colTS].(*array.TimestampBuilder)
	wr.uid = f[colUID].(*array.StringBuilder)
	wr.origH = f[colOrigH].(*array.StringBuilder)
	wr.origP = f[colOrigP].(*array.Uint16Builder)
	wr.respH = f[colRespH].(*array.StringBuilder)
	wr.respP = f[colRespP].(*array.Uint16Builder)
	wr.proto = f[colProto].(*array.BinaryDictionaryBuilder)
	wr.service = f[colService].(*array.BinaryDictionaryBuilder)
	if kind == Parquet {
		wr.durInt = f[colDuration].(*array.Int64Builder)
	} else {
		wr.dur = f[colDuration].(*array.DurationBuilder)
	}
	wr.origBytes = f[colOrigBytes].(*array.Uint64Builder)
	wr.respBytes = f[colRespBytes].(*array.Uint64Builder)
	wr.state = f[colConnState].(*array.BinaryDictionaryBuilder)
	wr.localOrig = f[colLocalOrig].(*array.BooleanBuilder)
	wr.localResp = f[colLocalResp].(*array.BooleanBuilder)
	wr.missed = f[colMissedBytes].(*array.Uint64Builder)
	wr.history = f[colHistory].(*array.StringBuilder)
	wr.origPkts = f[colOrigPkts].(*array.Uint64Builder)
	wr.origIP = f[colOrigIPBytes].(*array.Uint64Builder)
	wr.respPkts = f[colRespPkts].(*array.Uint64Builder)
	wr.respIP = f[colRespIPBytes].(*array.Uint64Builder)
	wr.tunnel = f[colTunnelParents].(*array.ListBuilder)
	wr.tunnelVals = wr.tunnel.ValueBuilder().(*array.StringBuilder)
	wr.ipProto = f[colIPProto].(*array.Uint8Builder)
	if opt.CommunityID {
		wr.cid = f[colCommunityID].(*array.StringBuilder)
	}
	if err := wr.seedDicts(); err != nil {
		wr.release()
		return nil, err
	}
	wr.reserve()
	return wr, nil
}

// seedDicts puts the full proto and conn_state vocabularies in their
// dictionaries. The builders' memo tables outlive each batch, so every
// batch gets the same dictionaries.
func (w *Writer) seedDicts() error {
	sb := array.NewStringBuilder(w.mem)
	defer sb.Release()
	for _, p := range protoNames {
		sb.BinaryBuilder.Append(p)
	}
	protos := sb.NewStringArray()
	defer protos.Release()
	if err := w.proto.InsertStringDictValues(protos); err != nil {
		return err
	}
	sb.AppendValues(connStates[:], nil)
	states := sb.NewStringArray()
	defer states.Release()
	return w.state.InsertStringDictValues(states)
}

// reserve sizes the builders for a batch.
func (w *Writer) reserve() {
	n := w.batch
	if n <= 0 {
		n = DefaultBatchRows
	}
	w.rb.Reserve(n)
	w.uid.ReserveData(n * uidBytes)
	w.origH.ReserveData(n * addrBytes)
	w.respH.ReserveData(n * addrBytes)
	w.history.ReserveData(n * historyBytes)
	if w.cid != nil {
		w.cid.ReserveData(n * cidBytes)
	}
}

// Kind returns the writer's kind.
func (w *Writer) Kind() Kind { return w.kind }

// Schema returns the schema of the records written (ParquetSchema for
// Parquet).
func (w *Writer) Schema() *arrow.Schema { return w.rb.Schema() }

// IsLocal reports whether a is in the writer's local networks.
func (w *Writer) IsLocal(a decode.Addr) bool {
	ip := a.Netip()
	for _, p := range w.local {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// roundMicros converts nanoseconds to microseconds, rounding half away
// from zero. For captures with microsecond timestamps it is exact and
// equals the 6-decimal value of Zeek's (and zeeklog's) ASCII output.
func roundMicros(ns int64) int64 {
	if ns >= 0 {
		return (ns + 500) / 1000
	}
	return -((-ns + 500) / 1000)
}

// Write appends one removed connection's record. Its values are copied
// into the builders: c is not retained. When BatchRows rows are pending
// the batch is written out.
func (w *Writer) Write(c *flow.Conn) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return ErrClosed
	}
	w.ts.Append(arrow.Timestamp(roundMicros(c.Start)))
	b := c.UID.AppendTo(w.scratch[:0], 'C')
	w.uid.BinaryBuilder.Append(b)
	b = c.OrigH.Netip().AppendTo(b[:0])
	w.origH.BinaryBuilder.Append(b)
	w.origP.Append(c.OrigP)
	b = c.RespH.Netip().AppendTo(b[:0])
	w.respH.BinaryBuilder.Append(b)
	w.respP.Append(c.RespP)
	if int(c.Trans) < len(protoNames) {
		_ = w.proto.Append(protoNames[c.Trans])
	} else {
		_ = w.proto.AppendString(c.Trans.String())
	}
	w.service.AppendNull() // no service detection yet

	o, r := c.Sizes()
	// zeeklog's rule: duration, orig_bytes and resp_bytes are unset unless
	// the duration is positive.
	if c.Duration() > 0 {
		d := roundMicros(c.Last - c.Start)
		if w.dur != nil {
			w.dur.Append(arrow.Duration(d))
		} else {
			w.durInt.Append(d)
		}
		w.origBytes.Append(o)
		w.respBytes.Append(r)
	} else {
		if w.dur != nil {
			w.dur.AppendNull()
		} else {
			w.durInt.AppendNull()
		}
		w.origBytes.AppendNull()
		w.respBytes.AppendNull()
	}

	// c.State() without its string allocation: the history is appended to
	// the scratch buffer and converted for a call that does not keep it.
	h := c.AppendHistory(b[:0])
	state := flow.ConnState(c.Trans, c.OrigState(), c.RespState(), o, r, string(h))
	if err := w.appendState(state); err != nil {
		w.err = err
		return err
	}
	w.localOrig.Append(w.IsLocal(c.OrigH))
	w.localResp.Append(w.IsLocal(c.RespH))
	w.missed.Append(c.MissedBytes)
	if len(h) == 0 {
		w.history.AppendNull()
	} else {
		w.history.BinaryBuilder.Append(h)
	}
	w.origPkts.Append(c.OrigPkts)
	w.origIP.Append(c.OrigIPBytes)
	w.respPkts.Append(c.RespPkts)
	w.respIP.Append(c.RespIPBytes)
	if len(c.TunnelParents) == 0 {
		w.tunnel.AppendNull()
	} else {
		w.tunnel.Append(true)
		for _, u := range c.TunnelParents {
			w.tunnelVals.BinaryBuilder.Append(u.AppendTo(h[:0], 'C'))
		}
	}
	w.ipProto.Append(c.IPProto)
	if w.cid != nil {
		w.cid.BinaryBuilder.Append(communityid.AppendConn(h[:0], w.opt.CommunityIDSeed, c))
	}
	w.scratch = h[:0]

	w.rows++
	if w.batch > 0 && w.rows >= w.batch {
		return w.emit()
	}
	return nil
}

func (w *Writer) appendState(s string) error {
	for i, v := range connStates {
		if v == s {
			return w.state.Append(connStateB[i])
		}
	}
	// Not one of Zeek's values (flow.ConnState returns none such). The
	// stream sends it as a dictionary delta and Parquet does not mind, but
	// the IPC file format cannot grow a dictionary.
	if w.kind == IPCFile {
		return fmt.Errorf("writers/arrow: conn_state %q is not in the file's dictionary", s)
	}
	return w.state.AppendString(s)
}

// emit writes the pending rows as one record batch.
func (w *Writer) emit() error {
	if w.rows == 0 {
		return nil
	}
	rec := w.rb.NewRecord()
	defer rec.Release()
	w.rows = 0
	var err error
	if w.pq != nil {
		err = w.pq.WriteBuffered(rec)
	} else {
		err = w.ipc.Write(rec)
	}
	if err != nil {
		w.err = fmt.Errorf("writers/arrow: %w", err)
		return w.err
	}
	w.reserve()
	return nil
}

// Flush writes the pending rows as a record batch (none when nothing is
// pending) and flushes the buffered output to the io.Writer, so that a
// stream reader sees the batch now. For Parquet the batch goes into the
// open row group, which reaches the io.Writer when it is full or at Close.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return ErrClosed
	}
	if err := w.emit(); err != nil {
		return err
	}
	if err := w.buf.Flush(); err != nil {
		w.err = err
	}
	return w.err
}

// Close writes the pending rows, ends the output (the IPC file footer, the
// stream's end-of-stream marker, the Parquet footer), flushes it and
// releases the builders. It does not close the io.Writer given to New.
// Closing twice returns the first Close's result.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	err := w.emit()
	if w.pq != nil {
		if e := w.pq.Close(); err == nil && e != nil {
			err = e
		}
	} else if e := w.ipc.Close(); err == nil && e != nil {
		err = e
	}
	if e := w.buf.Flush(); err == nil && e != nil {
		err = e
	}
	w.release()
	if w.err == nil && err != nil {
		w.err = fmt.Errorf("writers/arrow: %w", err)
	}
	return w.err
}

func (w *Writer) release() {
	if w.rb != nil {
		w.rb.Release()
	}
}

// posWriter gives arrow's IPC file writer the position it asks for with
// Seek(0, io.SeekCurrent), over a writer that cannot seek.
type posWriter struct {
	w   io.Writer
	pos int64
}

func (p *posWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.pos += int64(n)
	return n, err
}

func (p *posWriter) Seek(off int64, whence int) (int64, error) {
	if off == 0 && whence == io.SeekCurrent {
		return p.pos, nil
	}
	return p.pos, errors.New("writers/arrow: output is not seekable")
}
