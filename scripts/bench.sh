#!/usr/bin/env bash
# make bench (second half): builds the benchmark pcaps as ../shared/bench/README.md
# says (cached in $BENCHDIR, never in the repo), builds the Go floor, and times
# flowlog against the floor on the same file in one run. Prints ratios.
# Not run in CI (each pcap takes about a minute to build).
set -euo pipefail
SHARED=${SHARED:-../shared}
BIN=${BIN:-./bin/flowlog}
BENCHDIR=${BENCHDIR:-$HOME/.cache/flowlog-bench}
RUNS=${RUNS:-3}
SECTIONS=${SECTIONS:-"time memory features"} # any of these, e.g. SECTIONS=memory
has() { case " $SECTIONS " in *" $1 "*) return 0;; esac; return 1; }
bench=$SHARED/bench
if [ ! -d "$bench" ]; then
  echo "bench: SKIPPED: $bench not found (benchmark bases live in ../shared/bench)"
  exit 0
fi
need() { command -v "$1" >/dev/null 2>&1; }
if ! need tcprewrite || ! need editcap || ! need mergecap || ! [ -x /usr/bin/time ]; then
  echo "bench: installing tcpreplay, wireshark-common, time (apt-get)"
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tcpreplay wireshark-common time >/dev/null
fi
mkdir -p "$BENCHDIR"
[ -f "$BENCHDIR/bench-1g.pcap" ] || "$bench/make-bench-pcap.sh" "$bench/base/normal.pcap" "$BENCHDIR/bench-1g.pcap" 1024
[ -f "$BENCHDIR/many-flows.pcap" ] || "$bench/make-bench-pcap.sh" -m many-flows "$bench/base/many-flows.pcap" "$BENCHDIR/many-flows.pcap" 512
floor=$BENCHDIR/floor
if [ ! -x "$floor" ]; then
  tmp=$(mktemp -d); cp -r "$bench/floor/." "$tmp/"; chmod -R u+w "$tmp"
  (cd "$tmp" && go build -o "$floor" .)
  rm -rf "$tmp"
fi
# median of RUNS runs of: wall seconds and max RSS (KiB), via GNU time
measure() {
  local out=$1; shift
  for i in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %M" -o "$out.$i" "$@" >/dev/null 2>"$out.err.$i" || { cat "$out.err.$i"; return 1; }
  done
  cat "$out".[0-9]* | sort -n | awk -v n="$RUNS" 'NR==int((n+1)/2){print}'
}
tmpd=$(mktemp -d)
trap 'rm -rf "$tmpd"' EXIT
for f in bench-1g many-flows; do
  has time || break
  p=$BENCHDIR/$f.pcap
  cat "$p" >/dev/null
  read -r fw fm < <(measure "$tmpd/floor-$f" "$floor" "$p")
  read -r lw lm < <(measure "$tmpd/flowlog-$f" "$BIN" -r "$p" -o "$tmpd/out-$f" -q --seed 1)
  flows=$(grep -vc '^#' "$tmpd/out-$f/conn.log" || true)
  peak=$("$BIN" -r "$p" -o "$tmpd/out2-$f" --seed 1 2>&1 >/dev/null | sed -n 's/.*(peak \([0-9]*\),.*/\1/p')
  echo "$f: floor ${fw}s ${fm}KiB | flowlog ${lw}s ${lm}KiB | wall ratio $(awk -v a="$lw" -v b="$fw" 'BEGIN{printf "%.2f", a/b}')x | peak RSS ratio $(awk -v a="$lm" -v b="$fm" 'BEGIN{printf "%.2f", a/b}')x"
  echo "   conn.log rows $flows; peak live flows $peak; peak RSS per flow in the file $(awk -v m="$lm" -v n="$flows" 'BEGIN{ if (n>0) printf "%.0f", m*1024/n; else print "?"}') B; per peak live flow $(awk -v m="$lm" -v p="$peak" 'BEGIN{ if (p>0) printf "%.0f", m*1024/p; else print "?"}') B"
done

# Memory per concurrent flow. With Zeek's timeouts only ~900 flows of
# many-flows.pcap are live at once, so its peak RSS is the process's fixed
# size. Timeouts of 1000 h keep every flow that does not close live; two
# prefixes of the file (70 and 140 MB) give two peaks, and the slope
# (RSS difference / live-flow difference) is the memory one more concurrent
# flow costs, fixed costs (code, runtime, buffers) cancelled out.
for n in 70 140; do
  [ -f "$BENCHDIR/many-flows-${n}m.pcap" ] || head -c "${n}000000" "$BENCHDIR/many-flows.pcap" > "$BENCHDIR/many-flows-${n}m.pcap"
done
long=(--timeout tcp=1000h,udp=1000h,icmp=1000h,other=1000h)
for mode in default --no-service; do
  has memory || break
  extra=(); [ "$mode" = default ] || extra=("$mode")
  declare -A anon hwm peakf
  for n in 70 140; do
    p=$BENCHDIR/many-flows-${n}m.pcap
    # Median of RUNS runs of the peak anonymous RSS (scripts/peakrss.py
    # polls RssAnon) and of VmHWM (GNU time's max RSS, which also counts
    # the binary's file pages: their residency varies with the page cache).
    for i in $(seq "$RUNS"); do
      python3 scripts/peakrss.py "$BIN" -r "$p" -o "$tmpd/o-mem" -q "${long[@]}" "${extra[@]}"
    done > "$tmpd/mem-$mode-$n"
    anon[$n]=$(sort -n -k1 "$tmpd/mem-$mode-$n" | awk -v n="$RUNS" 'NR==int((n+1)/2){print $1}')
    hwm[$n]=$(sort -n -k2 "$tmpd/mem-$mode-$n" | awk -v n="$RUNS" 'NR==int((n+1)/2){print $2}')
    peakf[$n]=$("$BIN" -r "$p" -o "$tmpd/o-mem" "${long[@]}" "${extra[@]}" 2>&1 >/dev/null | sed -n 's/.*(peak \([0-9]*\),.*/\1/p')
  done
  slope() { awk -v a="$1" -v b="$2" -v x="${peakf[70]}" -v y="${peakf[140]}" 'BEGIN{printf "%.0f", (b-a)*1024/(y-x)}'; }
  echo "many-flows prefixes, ${mode}: peak live flows ${peakf[70]} / ${peakf[140]}; peak anonymous RSS ${anon[70]} / ${anon[140]} KiB: $(slope "${anon[70]}" "${anon[140]}") B per concurrent flow (goal <= 256); VmHWM ${hwm[70]} / ${hwm[140]} KiB: $(slope "${hwm[70]}" "${hwm[140]}") B"
done

# Feature costs on bench-1g.pcap, as ratios against the plain replay in the
# same run (medians of RUNS): names/logs (issue: <= 1.15x), a typical policy
# (<= 1.3x), Arrow and Parquet writing (<= 1.1x).
has features || exit 0
p=$BENCHDIR/bench-1g.pcap
read -r base _ < <(measure "$tmpd/base" "$BIN" -r "$p" -o "$tmpd/o-base" -q --seed 1)
ratio() { awk -v a="$1" -v b="$base" 'BEGIN{printf "%.2f", a/b}'; }
read -r w _ < <(measure "$tmpd/names" "$BIN" -r "$p" -o "$tmpd/o-names" -q --seed 1 --logs ssl,dns --names)
echo "bench-1g: --logs ssl,dns --names ${w}s vs ${base}s: $(ratio "$w")x"
read -r w _ < <(measure "$tmpd/pol" "$BIN" -r "$p" -o "$tmpd/o-pol" -q --seed 1 --script scripts/examples/typical.js)
echo "bench-1g: --script typical.js ${w}s vs ${base}s: $(ratio "$w")x"
read -r w _ < <(measure "$tmpd/arrow" "$BIN" -r "$p" -o "$tmpd/o-arrow" -q --seed 1 --writer arrow)
echo "bench-1g: --writer arrow ${w}s vs tsv ${base}s: $(ratio "$w")x"
read -r w _ < <(measure "$tmpd/parquet" "$BIN" -r "$p" -o "$tmpd/o-pq" -q --seed 1 --writer parquet)
echo "bench-1g: --writer parquet ${w}s vs tsv ${base}s: $(ratio "$w")x"
