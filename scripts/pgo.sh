#!/usr/bin/env bash
# make pgo: regenerates cmd/flowlog/default.pgo, the CPU profile Go's
# profile-guided optimization builds flowlog with (go build picks it up from
# the main package's directory). The profile comes from flowlog's own runs on
# the benchmark captures (make bench builds them, cached outside the repo):
# bench-1g.pcap plain and with the typical policy, and many-flows.pcap.
# Review the speedup with make bench before committing a new profile.
set -euo pipefail
BIN=${BIN:-./bin/flowlog}
BENCHDIR=${BENCHDIR:-$HOME/.cache/flowlog-bench}
for f in bench-1g many-flows; do
  if [ ! -f "$BENCHDIR/$f.pcap" ]; then
    echo "pgo: $BENCHDIR/$f.pcap not built (make bench builds it)" >&2
    exit 1
  fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$BIN" -q -r "$BENCHDIR/bench-1g.pcap" -o "$tmp/o1" --seed 1 --cpuprofile "$tmp/1.prof"
"$BIN" -q -r "$BENCHDIR/bench-1g.pcap" -o "$tmp/o2" --seed 1 --script scripts/examples/typical.js --cpuprofile "$tmp/2.prof"
"$BIN" -q -r "$BENCHDIR/bench-1g.pcap" -o "$tmp/o3" --seed 1 --logs ssl,dns --names --cpuprofile "$tmp/3.prof"
"$BIN" -q -r "$BENCHDIR/many-flows.pcap" -o "$tmp/o4" --seed 1 --cpuprofile "$tmp/4.prof"
go tool pprof -proto "$tmp"/[1-4].prof > cmd/flowlog/default.pgo
echo "pgo: wrote cmd/flowlog/default.pgo ($(wc -c < cmd/flowlog/default.pgo) bytes)"
