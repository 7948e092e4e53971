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
	// DefaultRowGroupRows). Batches wait in memory, as Arrow data, until at
	// least RowGroupRows rows are there; they are then written as row groups
	// of RowGroupRows rows, the last one holding the remainder (none when
	// RowGroupRows is a multiple of the batch size, as with the defaults).
	// Close writes what is left. Ignored by the IPC kinds.
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
		{Name: "service", Type: arrow.BinaryTypes.String, Nullable: true},
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
	// Parquet: batches waiting for their row group, and their row count.
	pqRecs []arrow.Record
	pqRows int64
	rgRows int64

	rb   *array.RecordBuilder
	rows int
	// dicts are the fixed dictionaries of the dictionary columns, by column.
	dicts map[int]*array.String

	ts                                 *array.TimestampBuilder
	uid, origH, respH, history, cid    *array.StringBuilder
	origP, respP                       *array.Uint16Builder
	proto, state                       *array.BinaryDictionaryBuilder
	service                            *array.StringBuilder
	dur                                *array.DurationBuilder
	durInt                             *array.Int64Builder
	origBytes, respBytes, missed       *array.Uint64Builder
	origPkts, origIP, respPkts, respIP *array.Uint64Builder
	localOrig, localResp               *array.BooleanBuilder
	tunnel                             *array.ListBuilder
	tunnelVals                         *array.StringBuilder
	ipProto                            *array.Uint8Builder
	local                              *zeeklog.Nets
	scratch, hist                      []byte
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
	nets := opt.LocalNets
	if nets == nil {
		nets = zeeklog.PrivateAddressSpace()
	}
	wr := &Writer{kind: kind, opt: opt, mem: mem, local: zeeklog.NewNets(nets), scratch: make([]byte, 0, 256), hist: make([]byte, 0, 64)}
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
		wr.rgRows = rg
		codec := compress.Codecs.Snappy
		if opt.ParquetCompression != nil {
			codec = *opt.ParquetCompression
		}
		props := parquet.NewWriterProperties(
			parquet.WithAllocator(mem),
			parquet.WithCompression(codec),
			parquet.WithDictionaryDefault(true),
			// Unique per row: a dictionary would only be dropped again.
			parquet.WithDictionaryFor("ts", false),
			parquet.WithDictionaryFor("uid", false),
			parquet.WithDictionaryFor("community_id", false),
			parquet.WithMaxRowGroupLength(rg),
			// pqarrow's default root repetition is REPEATED, which readers
			// such as hyparquet take as one more repetition level on every
			// column; parquet-cpp and parquet-mr write REQUIRED.
			parquet.WithRootRepetition(parquet.Repetitions.Required),
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
	wr.service = f[colService].(*array.StringBuilder)
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

// dictAlloc allocates the fixed dictionaries. It is not Options.Allocator:
// arrow v15's ipc.FileWriter keeps the first dictionaries it writes past its
// Close (it never releases them), so they are left to Go's garbage
// collector instead of the caller's allocator. They are a few hundred bytes.
var dictAlloc = memory.NewGoAllocator()

// seedDicts puts the full proto and conn_state vocabularies (and the empty
// service one) in their dictionary builders and keeps the same dictionaries
// as arrays: every batch is given these (see fixDicts), so the IPC writers
// and pqarrow see the dictionary of the previous batch again, by pointer.
func (w *Writer) seedDicts() error {
	sb := array.NewStringBuilder(dictAlloc)
	defer sb.Release()
	for _, p := range protoNames {
		sb.BinaryBuilder.Append(p)
	}
	protos := sb.NewStringArray()
	sb.AppendValues(connStates[:], nil)
	states := sb.NewStringArray()
	w.dicts = map[int]*array.String{colProto: protos, colConnState: states}
	// The builders' memo tables outlive each batch: the indices they give
	// are those of these arrays.
	if err := w.proto.InsertStringDictValues(protos); err != nil {
		return err
	}
	return w.state.InsertStringDictValues(states)
}

// fixDicts returns rec with the writer's fixed dictionaries in place of the
// ones the builders made for this batch, which hold the same values. A
// dictionary builder that met a value outside the vocabulary keeps its own,
// longer, dictionary (see appendState).
func (w *Writer) fixDicts(rec arrow.Record) arrow.Record {
	cols := make([]arrow.Array, rec.NumCols())
	copy(cols, rec.Columns())
	var made []arrow.Array
	for i, fixed := range w.dicts {
		d := cols[i].(*array.Dictionary)
		if d.Dictionary().Len() != fixed.Len() {
			continue
		}
		nd := array.NewDictionaryArray(d.DataType(), d.Indices(), fixed)
		made = append(made, nd)
		cols[i] = nd
	}
	out := array.NewRecord(rec.Schema(), cols, rec.NumRows())
	for _, a := range made {
		a.Release()
	}
	rec.Release()
	return out
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
func (w *Writer) IsLocal(a decode.Addr) bool { return w.local.Contains(a) }

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
	// c.State() without its allocation: the history goes to a scratch
	// buffer, and the string conversion for a call that keeps nothing of it
	// stays on the stack (histories up to 32 letters).
	o, r := c.Sizes()
	h := c.AppendHistory(w.hist[:0])
	w.hist = h
	state := connStateIndex(flow.ConnState(c.Trans, c.OrigState(), c.RespState(), o, r, string(h)))
	if state < 0 && w.kind == IPCFile {
		// Checked before anything is appended, so the row is skipped whole.
		return fmt.Errorf("writers/arrow: conn_state %q is not in the file's dictionary", c.State())
	}

	w.ts.Append(arrow.Timestamp(roundMicros(c.Start)))
	b := c.UID().AppendTo(w.scratch[:0], 'C')
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
	// service: what names/service detected (a set joined with ",", open
	// vocabulary, so a plain string column rather than a fixed dictionary)
	if svc := c.Service(); svc != "" {
		w.service.Append(svc)
	} else {
		w.service.AppendNull()
	}

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
	if state >= 0 {
		_ = w.state.Append(connStateB[state])
	} else {
		// Not one of Zeek's values (flow.ConnState returns none such): the
		// stream sends it as a dictionary delta, and Parquet does not mind.
		_ = w.state.AppendString(c.State())
	}
	w.localOrig.Append(w.IsLocal(c.OrigH))
	w.localResp.Append(w.IsLocal(c.RespH))
	w.missed.Append(c.MissedBytes())
	if len(h) == 0 {
		w.history.AppendNull()
	} else {
		w.history.BinaryBuilder.Append(h)
	}
	w.origPkts.Append(c.OrigPkts())
	w.origIP.Append(c.OrigIPBytes())
	w.respPkts.Append(c.RespPkts())
	w.respIP.Append(c.RespIPBytes())
	if len(c.TunnelParents()) == 0 {
		w.tunnel.AppendNull()
	} else {
		w.tunnel.Append(true)
		for _, u := range c.TunnelParents() {
			b = u.AppendTo(b[:0], 'C')
			w.tunnelVals.BinaryBuilder.Append(b)
		}
	}
	w.ipProto.Append(c.IPProto)
	if w.cid != nil {
		b = communityid.AppendConn(b[:0], w.opt.CommunityIDSeed, c)
		w.cid.BinaryBuilder.Append(b)
	}
	w.scratch = b[:0]

	w.rows++
	if w.batch > 0 && w.rows >= w.batch {
		return w.emit()
	}
	return nil
}

// connStateIndex returns the index of s in connStates, or -1.
func connStateIndex(s string) int {
	for i, v := range connStates {
		if v == s {
			return i
		}
	}
	return -1
}

// emit writes the pending rows as one record batch.
func (w *Writer) emit() error {
	if w.rows == 0 {
		return nil
	}
	rec := w.fixDicts(w.rb.NewRecord())
	w.rows = 0
	var err error
	if w.pq != nil {
		w.pqRecs = append(w.pqRecs, rec)
		w.pqRows += rec.NumRows()
		if w.pqRows >= w.rgRows {
			err = w.writeRowGroups()
		}
	} else {
		err = w.ipc.Write(rec)
		rec.Release()
	}
	if err != nil {
		w.err = fmt.Errorf("writers/arrow: %w", err)
		return w.err
	}
	w.reserve()
	return nil
}

// writeRowGroups writes the batches waiting for Parquet as row groups of
// RowGroupRows rows (the last one shorter when they do not add up). They go
// through pqarrow's unbuffered row group writer: its buffered one (v15)
// leaks a buffer per column chunk from the allocator.
func (w *Writer) writeRowGroups() error {
	if len(w.pqRecs) == 0 {
		return nil
	}
	tbl := array.NewTableFromRecords(w.rb.Schema(), w.pqRecs)
	w.releasePending()
	defer tbl.Release()
	return w.pq.WriteTable(tbl, w.rgRows)
}

func (w *Writer) releasePending() {
	for _, r := range w.pqRecs {
		r.Release()
	}
	clear(w.pqRecs)
	w.pqRecs = w.pqRecs[:0]
	w.pqRows = 0
}

// Flush writes the pending rows as a record batch (none when nothing is
// pending) and flushes the buffered output to the io.Writer, so that a
// stream reader sees the batch now. For Parquet the batch joins those
// waiting for the next row group, which is written once RowGroupRows rows
// wait (or at Close); a Parquet file is not readable before Close anyway,
// since its footer holds the index.
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
		if err == nil {
			err = w.writeRowGroups()
		}
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
	w.releasePending()
	if w.rb != nil {
		w.rb.Release()
	}
	for _, d := range w.dicts {
		d.Release()
	}
	w.dicts = nil
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
