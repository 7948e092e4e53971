package sensor

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"

	"github.com/flowlog/flowlog/capture"
)

// BytesPerFlow is the memory budgeted per live connection: a half-open TCP
// or a two-sided UDP connection measures about 600-660 bytes of live heap
// (the 464-byte Conn, its map entry, timers and the eviction queue;
// TestFlowMemory), doubled for the Go collector's headroom (GOGC=100 lets
// the heap reach twice the live data) and rounded up.
const BytesPerFlow = 1536

// Bounds of the default per-worker MaxFlows.
const (
	MinDefaultMaxFlows = 10_000
	MaxDefaultMaxFlows = 50_000_000
)

// DefaultMaxFlows is the per-worker connection bound used when none is
// given, for workers workers with the default ring:
//
//	budget   = min(MemAvailable, cgroup memory.max - memory.current) - workers*ring
//	maxFlows = budget / 2 / BytesPerFlow / workers
//
// clamped to [MinDefaultMaxFlows, MaxDefaultMaxFlows]. Half the memory that
// is free when the sensor starts goes to connection state, the other half
// stays for the rest of the process, the page cache and other programs.
// MemAvailable comes from /proc/meminfo, the cgroup (v2) limit from
// /sys/fs/cgroup; when neither can be read, 4 GiB is assumed.
func DefaultMaxFlows(workers int) int {
	return defaultMaxFlows(workers, int64(capture.DefaultBlockSize)*capture.DefaultNumBlocks, availableMemory())
}

func defaultMaxFlows(workers int, ring, avail int64) int {
	if workers < 1 {
		workers = 1
	}
	budget := avail - int64(workers)*ring
	n := budget / 2 / BytesPerFlow / int64(workers)
	if n < MinDefaultMaxFlows {
		return MinDefaultMaxFlows
	}
	if n > MaxDefaultMaxFlows {
		return MaxDefaultMaxFlows
	}
	return int(n)
}

// availableMemory returns the memory the sensor may use: MemAvailable,
// lowered to the cgroup's remaining allowance when there is a limit.
func availableMemory() int64 {
	avail := int64(-1)
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) >= 2 && f[0] == "MemAvailable:" {
				if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil {
					avail = kb << 10
				}
			}
		}
	}
	if lim, ok := readInt("/sys/fs/cgroup/memory.max"); ok {
		used, _ := readInt("/sys/fs/cgroup/memory.current")
		if free := lim - used; avail < 0 || free < avail {
			avail = free
		}
	}
	if avail <= 0 {
		avail = 4 << 30
	}
	return avail
}

func readInt(path string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return v, err == nil // "max" (no limit) fails to parse
}
