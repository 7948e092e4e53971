#!/bin/sh
# Measures the highest packet rate the live sensor takes on a veth pair
# without kernel drops, for 1 and 2 workers and 64-byte and IMIX frames,
# and the CPU it spends per Mpps (needs root: network namespaces, veth,
# AF_PACKET). Runs about a minute; prints a table at the end.
# FLOWLOG_VETH_TRIAL sets the length of each step (default 2s).
set -e
cd "$(dirname "$0")/../.."
FLOWLOG_VETH_RATE=1 go test -count=1 -run '^TestPrivilegedVethRate$' -v -timeout 20m ./sensor/ 2>&1 |
	grep -E 'workers=|best pps|^ *rate_test.go:[0-9]+: [0-9]+ +(64|imix)|PASS|FAIL|ok|SKIP'
