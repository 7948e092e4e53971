package arrow

import (
	"bytes"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/ipc"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// TestStreamUnixSocket streams to a unix socket: the reader on the other
// end sees each batch when Flush returns, before Close.
func TestStreamUnixSocket(t *testing.T) {
	conns := testConns(t)
	sock := filepath.Join(t.TempDir(), "conn.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("SKIPPED: no unix sockets here: %v", err)
	}
	defer ln.Close()

	type batch struct {
		rows int64
		err  error
	}
	got := make(chan batch, 8)
	go func() {
		defer close(got)
		c, err := ln.Accept()
		if err != nil {
			got <- batch{err: err}
			return
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		r, err := ipc.NewReader(c)
		if err != nil {
			got <- batch{err: err}
			return
		}
		defer r.Release()
		for r.Next() {
			got <- batch{rows: r.Record().NumRows()}
		}
		got <- batch{rows: -1, err: r.Err()} // end of stream
	}()

	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	w, err := New(IPCStream, c, Options{Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	next := func() batch {
		select {
		case b := <-got:
			return b
		case <-time.After(30 * time.Second):
			t.Fatal("no batch from the socket")
		}
		return batch{}
	}
	for _, c := range conns[:3] {
		if err := w.Write(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if b := next(); b.err != nil || b.rows != 3 {
		t.Fatalf("after the first Flush: %+v", b)
	}
	for _, c := range conns[3:] {
		if err := w.Write(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if b := next(); b.err != nil || b.rows != 3 {
		t.Fatalf("after Close: %+v", b)
	}
	if b := next(); b.err != nil || b.rows != -1 {
		t.Fatalf("end of stream: %+v", b)
	}
}

func TestKinds(t *testing.T) {
	for k, want := range map[Kind]string{IPCFile: "arrow conn.arrow", IPCStream: "arrow-stream ", Parquet: "parquet conn.parquet"} {
		if got := k.String() + " " + k.FileName(); got != want {
			t.Errorf("%d: %q, want %q", k, got, want)
		}
	}
	if _, err := New(Kind(9), &bytes.Buffer{}, Options{}); err == nil {
		t.Error("New accepted an unknown kind")
	}
}

func TestConnStateIndex(t *testing.T) {
	if connStateIndex("BOGUS") != -1 {
		t.Error("BOGUS has an index")
	}
	for i, s := range connStates {
		if connStateIndex(s) != i || string(connStateB[i]) != s {
			t.Errorf("%s: index %d", s, connStateIndex(s))
		}
	}
}
