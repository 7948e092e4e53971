// Package arrow writes flowlog's conn.log records as Apache Arrow and
// Parquet: an Arrow IPC file (conn.arrow), an Arrow IPC stream (to stdout, a
// pipe or a unix socket the caller opened) and a Parquet file
// (conn.parquet). All three carry Zeek's conn.log columns under Zeek's names
// and in Zeek's order, with the same unset rules as zeeklog.
//
// # Usage
//
//	f, err := os.Create(filepath.Join(dir, arrow.IPCFile.FileName()))
//	...
//	w, err := arrow.New(arrow.IPCFile, f, arrow.Options{CommunityID: true})
//	...
//	for _, ev := range table.Events() {
//		if ev.Kind == flow.EventClosed {
//			if err := w.Write(ev.Conn); err != nil { ... }
//		}
//	}
//	...
//	err = w.Close() // writes the footer; f is still the caller's to close
//
// A stream to a unix socket:
//
//	conn, err := net.Dial("unix", "/run/flowlog.sock")
//	w, err := arrow.New(arrow.IPCStream, conn, arrow.Options{})
//	// Write ...; Flush whenever the reader should see the rows so far
//	// (say, on the progress tick); Close sends the end-of-stream marker.
//
// # Schema
//
// Schema(opt) is the Arrow schema: ts timestamp[us, UTC]; uid, id.orig_h,
// id.resp_h utf8; id.orig_p, id.resp_p uint16; proto dictionary<int32, utf8>;
// service utf8 (nullable: null when no service was detected); duration duration[us] and orig_bytes, resp_bytes uint64, all
// three null unless the duration is positive (zeeklog's rule); conn_state
// dictionary<int32, utf8>; local_orig, local_resp bool (Options.LocalNets,
// Zeek's private address space by default); missed_bytes uint64; history
// utf8, null when empty; orig_pkts, orig_ip_bytes, resp_pkts, resp_ip_bytes
// uint64; tunnel_parents list<utf8>, null when empty; ip_proto uint8; and
// community_id utf8 when Options.CommunityID is set.
//
// ts and duration are the packet times rounded to the microsecond; for
// captures with microsecond timestamps they equal the 6-decimal values of
// zeeklog's (and Zeek's) ASCII output.
//
// Parquet stores the same columns, but duration as int64 microseconds
// (Parquet has no duration type; ParquetSchema, and the footer's key/value
// "flowlog.duration_unit" = "us"). The Arrow schema is also stored in the
// footer (ARROW:schema), so arrow readers get the dictionaries and the UTC
// time zone back.
//
// The proto and conn_state dictionaries hold their whole vocabularies from
// the first batch on and never change: the IPC file format cannot replace a
// dictionary, and readers get the same dictionary for every batch.
//
// # Batches
//
// Write copies a record into the builders, which are reserved for
// Options.BatchRows rows (8192 by default); when that many rows are
// pending the batch is written. Options.BatchRows explains the edge cases
// (1, negative). Flush writes the pending rows as a batch now and flushes
// the buffered output to the io.Writer; Close writes the rest and ends the
// output. Parquet groups batches into row groups of Options.RowGroupRows
// rows (131072 by default), held in memory until written.
//
// Write does not allocate per record: its memory is the builders' buffers,
// allocated once per batch from Options.Allocator. (Parquet's encoders,
// inside arrow, allocate while a row group is written.)
//
// # Ownership and concurrency
//
// The record's values are copied into the builders: Write does not retain
// the *flow.Conn or anything it points to, so the flow.Table may reuse it
// right after. The Writer buffers output (256 KiB) and owns its builders;
// it does not own the io.Writer given to New, which Close leaves open.
//
// A Writer is not safe for concurrent use: one goroutine writes, flushes
// and closes it. Writers are independent of each other.
package arrow
