package scripts

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

const testTimeout = 10 * time.Second

func newTestRuntime(t testing.TB, opts Options, srcs ...Source) *Runtime {
	t.Helper()
	p, err := CompileSources(srcs...)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Timeout == 0 {
		// Tests that are not about timeouts get a generous budget: on a
		// loaded machine a 50 ms wall-clock budget can expire for a
		// microsecond handler.
		opts.Timeout = testTimeout
	}
	r, err := NewRuntime(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
