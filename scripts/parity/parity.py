#!/usr/bin/env python3
"""make parity: score flowlog's conn.log against real Zeek's on the public
Zeek parity corpus (../shared/zeek-parity), with compare.py's own table.

Each entry runs through the corpus's flowlog-as-zeek, which maps Zeek's -C
and -f flags to flowlog's. Zeek's -b (bare mode: only the listed scripts
loaded) changes Zeek's likely_server_ports; run-entry.sh maps it to
flowlog's --likely-server-ports from the scripts the entry loaded.
"""
import argparse, os, subprocess, sys

ap = argparse.ArgumentParser()
ap.add_argument("--shared", default="../shared")
ap.add_argument("--bin", default="./bin/flowlog")
ap.add_argument("--json", help="write compare.py's JSON report here")
ap.add_argument("--writer", default="tsv")
ap.add_argument("--min", type=float, default=0.0, help="fail if fewer than this fraction of flows are exact")
ap.add_argument("--summary-only", action="store_true", help="print only the failing entries and the score")
ap.add_argument("extra", nargs="*")
a = ap.parse_args()

corpus = os.path.join(a.shared, "zeek-parity")
if not os.path.isdir(corpus):
    print(f"parity: SKIPPED: {corpus} not found")
    sys.exit(0)
here = os.path.dirname(os.path.abspath(__file__))
binp = os.path.abspath(a.bin)
run = f"{here}/run-entry.sh {binp} {{pcap}} {{outdir}} --writer {a.writer}"
if a.writer == "json":
    # compare.py learns a JSON log's columns from the keys it sees; Zeek's
    # JSON omits unset fields, so a log whose rows all leave e.g. duration
    # unset would look like it lacks the column. --json-nulls keeps every key.
    run += " --json-nulls"
cmd = [sys.executable, os.path.join(corpus, "compare.py"), "--dir", corpus, "--run", run, "--timeout", "60"]
if a.json:
    cmd += ["--json", a.json]
cmd += a.extra
p = subprocess.run(cmd, capture_output=True, text=True)
if a.summary_only:
    sys.stdout.write("".join(l + "\n" for l in p.stdout.splitlines()
                             if l.startswith(("FAIL", "parity:")) or " passed, " in l))
else:
    sys.stdout.write(p.stdout)
sys.stderr.write(p.stderr)
exact = total = None
for line in p.stdout.splitlines():
    if line.startswith("parity:"):
        # parity: X/Y flows exact ...
        frac = line.split()[1]
        exact, total = (int(x) for x in frac.split("/"))
if exact is None:
    print("parity: compare.py printed no score", file=sys.stderr)
    sys.exit(1)
if total and exact / total < a.min:
    print(f"parity: {exact}/{total} = {exact/total:.1%} is below the required {a.min:.0%}", file=sys.stderr)
    sys.exit(1)
