// Command gen writes flowlog's synthetic test captures and EXPECT.md.
//
//	go run ./testdata/gen -out testdata/pcaps
//
// Output is fully deterministic: timestamps start at 1700000000 and
// addresses come from the documentation ranges (192.0.2.0/24,
// 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) plus some 10/8 and
// 192.168/16. gen_test.go regenerates into a temporary directory and
// compares every byte with the committed files.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

// allFiles builds every capture, in the order they appear in EXPECT.md.
func allFiles() []*File {
	var fs []*File
	fs = append(fs, sampleFile())
	fs = append(fs, stateFiles()...)
	fs = append(fs, historyFiles()...)
	fs = append(fs, seqwrapFile())
	fs = append(fs, timeoutFiles()...)
	fs = append(fs, fragFile())
	fs = append(fs, linkFiles()...)
	fs = append(fs, tunnelFiles()...)
	fs = append(fs, otherProtoFile())
	for _, f := range fs {
		f.finalize()
	}
	return fs
}

// generate writes all outputs under dir and returns the written paths
// relative to dir.
func generate(dir string) ([]string, error) {
	files := allFiles()
	var written []string
	write := func(rel string, data []byte) error {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
		written = append(written, rel)
		return nil
	}
	var ethBytes []byte
	for _, f := range files {
		data, err := f.encode()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		if f.Name == "link-eth.pcap" {
			ethBytes = data
		}
		if err := write(f.Name, data); err != nil {
			return nil, err
		}
	}
	bad := badFiles(ethBytes)
	for _, r := range bad {
		if err := write(r.path, r.data); err != nil {
			return nil, err
		}
	}
	if err := write("EXPECT.md", []byte(renderExpect(files, bad))); err != nil {
		return nil, err
	}
	return written, nil
}

func main() {
	out := flag.String("out", "testdata/pcaps", "output directory")
	flag.Parse()
	paths, err := generate(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %d files to %s\n", len(paths), *out)
}
