package sensor

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Linux capability bits (linux/capability.h).
const (
	capNetAdmin = 12
	capNetRaw   = 13
)

// Privileged reports whether this process may run live captures and create
// test network namespaces: it needs CAP_NET_RAW (packet sockets) and
// CAP_NET_ADMIN (promiscuous mode, namespaces, veth links), which root
// normally has. The error says what is missing; tests named
// TestPrivileged* skip with it.
func Privileged() error {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return fmt.Errorf("needs Linux with /proc (live capture uses AF_PACKET): %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		v, ok := strings.CutPrefix(line, "CapEff:")
		if !ok {
			continue
		}
		caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		if err != nil {
			return fmt.Errorf("cannot read effective capabilities: %v", err)
		}
		var missing []string
		if caps&(1<<capNetRaw) == 0 {
			missing = append(missing, "CAP_NET_RAW")
		}
		if caps&(1<<capNetAdmin) == 0 {
			missing = append(missing, "CAP_NET_ADMIN")
		}
		if len(missing) > 0 {
			return fmt.Errorf("needs root or %s (running as uid %d without it)", strings.Join(missing, "+"), os.Geteuid())
		}
		return nil
	}
	return fmt.Errorf("no CapEff line in /proc/self/status")
}
