#!/usr/bin/env python3
"""Run a command and print its peak anonymous RSS and its VmHWM, in KiB.

GNU time's max RSS is VmHWM, which counts the file-backed pages of the
binary too; how many of those are resident depends on the page cache (the
same binary measured 16 MB apart from one invocation to the next here).
Memory per flow is anonymous memory, so this polls /proc/PID/status for
RssAnon every 2 ms and prints "peak_anon_kib vmhwm_kib". The command's
stdout and stderr are discarded; its exit status is returned.
"""
import subprocess
import sys
import time


def field(text, name):
    for line in text.splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    return 0


def main():
    p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    path = "/proc/%d/status" % p.pid
    peak = hwm = 0
    while p.poll() is None:
        try:
            with open(path) as f:
                s = f.read()
        except OSError:
            break
        if "(zombie)" in s:
            break
        peak = max(peak, field(s, "RssAnon"))
        hwm = max(hwm, field(s, "VmHWM"))
        time.sleep(0.002)
    rc = p.wait()
    print(peak, hwm)
    return rc


if __name__ == "__main__":
    sys.exit(main())
