package arrow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/flowlog/flowlog/writers/communityid"
)

// nodeReaders returns a directory holding testdata/node's scripts next to
// a node_modules with the packages locked in testdata/node (npm ci installs
// them once into the user's cache directory, or $FLOWLOG_NODE_CACHE; the
// scripts then run without network). The test is skipped when node or npm is missing or
// the install fails (no registry access).
func nodeReaders(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("SKIPPED: %s not found; the independent-reader test needs Node.js and npm (packages apache-arrow, hyparquet)", tool)
		}
	}
	pkg, err := os.ReadFile(filepath.Join("testdata", "node", "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	lock, err := os.ReadFile(filepath.Join("testdata", "node", "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	base := os.Getenv("FLOWLOG_NODE_CACHE")
	if base == "" {
		c, err := os.UserCacheDir()
		if err != nil {
			t.Skipf("SKIPPED: no cache directory for the node packages: %v", err)
		}
		base = filepath.Join(c, "flowlog", "writers-arrow-node")
	}
	sum := sha256.Sum256(append(pkg, lock...))
	dir := filepath.Join(base, hex.EncodeToString(sum[:6]))
	installed := func(d string) bool {
		for _, p := range []string{"apache-arrow", "hyparquet"} {
			if _, err := os.Stat(filepath.Join(d, "node_modules", p, "package.json")); err != nil {
				return false
			}
		}
		return true
	}
	if !installed(dir) {
		if err := os.MkdirAll(base, 0o755); err != nil {
			t.Skipf("SKIPPED: %v", err)
		}
		tmp, err := os.MkdirTemp(base, "install-")
		if err != nil {
			t.Skipf("SKIPPED: %v", err)
		}
		defer os.RemoveAll(tmp)
		if err := os.WriteFile(filepath.Join(tmp, "package.json"), pkg, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, "package-lock.json"), lock, 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		// npm ci installs exactly the locked versions.
		cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error")
		cmd.Dir = tmp
		if out, err := cmd.CombinedOutput(); err != nil || !installed(tmp) {
			t.Skipf("SKIPPED: npm install of apache-arrow and hyparquet failed (%v):\n%s", err, out)
		}
		if err := os.Rename(tmp, dir); err != nil && !installed(dir) {
			t.Skipf("SKIPPED: %v", err)
		}
	}
	for _, s := range []string{"read_arrow.mjs", "read_parquet.mjs"} {
		b, err := os.ReadFile(filepath.Join("testdata", "node", s))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, s), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type nodeOutput struct {
	File      string
	Rows      int
	Batches   int
	RowGroups int
	Fields    []struct {
		Name, Type, Logical, Repetition string
		Nullable                        bool
	}
	KeyValue map[string]string
	Columns  map[string][]any
}

func runNode(t *testing.T, dir, script, path string) nodeOutput {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join(dir, script), path)
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node %s %s: %v\n%s", script, path, err, stderr.String())
	}
	var o nodeOutput
	if err := json.Unmarshal(out, &o); err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, out)
	}
	return o
}

// jsText renders a value printed by the scripts as Zeek's ASCII writer
// would; ts and duration arrive as decimal microseconds.
func jsText(col string, v any) string {
	switch v := v.(type) {
	case nil:
		return "-"
	case bool:
		if v {
			return "T"
		}
		return "F"
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case []any:
		s := make([]string, len(v))
		for i, x := range v {
			s[i] = jsText("", x)
		}
		return strings.Join(s, ",")
	case string:
		if col == "ts" || col == "duration" {
			us, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return "bad microseconds " + v
			}
			return micros(us)
		}
		return v
	}
	return fmt.Sprintf("unexpected %T", v)
}

// TestNodeReaders reads conn.arrow, an Arrow stream and conn.parquet with
// JavaScript implementations that share no code with arrow's Go module
// (the apache-arrow and hyparquet npm packages) and compares every value
// with zeeklog's TSV.
func TestNodeReaders(t *testing.T) {
	dir := nodeReaders(t)
	conns := testConns(t)
	want := zeekRows(t, conns)
	opt := Options{BatchRows: 4, RowGroupRows: 4, CommunityID: true, CommunityIDSeed: 1}
	sc := Schema(opt)
	tmp := t.TempDir()
	for _, kind := range kinds {
		t.Run(kind.String(), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			o := opt
			o.Allocator = mem
			path := filepath.Join(tmp, "conn."+kind.String())
			if err := os.WriteFile(path, write(t, kind, o, conns), 0o644); err != nil {
				t.Fatal(err)
			}
			script := "read_arrow.mjs"
			if kind == Parquet {
				script = "read_parquet.mjs"
			}
			out := runNode(t, dir, script, path)
			if out.Rows != len(conns) {
				t.Fatalf("rows: %d, want %d", out.Rows, len(conns))
			}
			if n := out.Batches + out.RowGroups; n != 2 {
				t.Errorf("%d batches or row groups, want 2", n)
			}
			if len(out.Fields) != sc.NumFields() {
				t.Fatalf("%d fields, want %d", len(out.Fields), sc.NumFields())
			}
			for i, f := range out.Fields {
				w := sc.Field(i)
				nullable := f.Nullable
				if kind == Parquet {
					nullable = f.Repetition == "OPTIONAL"
				}
				if f.Name != w.Name || nullable != w.Nullable {
					t.Errorf("field %d: %+v, want %s", i, f, w)
				}
			}
			types := map[string]string{"ts": "Timestamp<MICROSECOND, UTC>", "duration": "Duration<MICROSECOND>",
				"proto": "Dictionary<Int32, Utf8>", "tunnel_parents": "List<Utf8>", "orig_bytes": "Uint64", "id.orig_p": "Uint16", "ip_proto": "Uint8"}
			if kind == Parquet {
				types = map[string]string{"ts": "INT64 TIMESTAMP", "duration": "INT64 INTEGER", "proto": "BYTE_ARRAY STRING",
					"tunnel_parents": "group LIST", "orig_bytes": "INT64 INTEGER", "id.orig_p": "INT32 INTEGER", "ip_proto": "INT32 INTEGER"}
				if out.KeyValue["flowlog.duration_unit"] != "us" {
					t.Errorf("key/value metadata %v", out.KeyValue)
				}
			}
			for _, f := range out.Fields {
				typ := f.Type
				if kind == Parquet {
					typ += " " + f.Logical
				}
				if w, ok := types[f.Name]; ok && typ != w {
					t.Errorf("%s: type %q, want %q", f.Name, typ, w)
				}
			}
			for j := 0; j < len(want[0]); j++ {
				name := sc.Field(j).Name
				vals := out.Columns[name]
				if len(vals) != len(conns) {
					t.Fatalf("%s: %d values", name, len(vals))
				}
				for i, v := range vals {
					if got := jsText(name, v); got != want[i][j] {
						t.Errorf("row %d %s: node read %q, zeeklog has %q", i, name, got, want[i][j])
					}
				}
			}
			for i, v := range out.Columns["community_id"] {
				if w := communityid.CommunityID(opt.CommunityIDSeed, conns[i]); v != w {
					t.Errorf("row %d community_id: node read %v, want %s", i, v, w)
				}
			}
			t.Logf("node %s read %d rows, %d columns from %s", script, out.Rows, len(out.Fields), filepath.Base(path))
		})
	}
}
