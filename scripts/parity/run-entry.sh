#!/usr/bin/env bash
# run-entry.sh BIN PCAP OUTDIR [ARGS...]: one corpus entry, as compare.py runs it.
# Zeek's -C and -f come through the corpus's flowlog-as-zeek. Zeek's -b (bare
# mode) loads only the test's own scripts, so Zeek's likely_server_ports holds
# only the ports those protocol scripts register: pass flowlog the same set.
bin=$1 pcap=$2 out=$3; shift 3
corpus=$(dirname "$(dirname "$pcap")")
extra=()
if [ "${ZEEK_BARE:-0}" = 1 ] && [ -n "${ZEEK_CORPUS_ENTRY:-}" ]; then
  ports=$(python3 - "$corpus/$ZEEK_CORPUS_ENTRY/meta.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
names = []
for s in m.get("scripts_loaded", []):
    s = s.rstrip("/")
    if s.startswith("base/protocols/"):
        names.append(s.split("/")[2])
    elif s == "base/frameworks/tunnels":
        names.append("tunnels")
known = {"dce-rpc","dhcp","dnp3","dns","ftp","http","imap","irc","krb","ldap","modbus","mqtt","mysql","ntp",
         "pop3","postgresql","quic","radius","rdp","redis","sip","smb","smtp","snmp","socks","ssh","ssl",
         "syslog","xmpp","tunnels"}
print(",".join(n for n in names if n in known) or "none")
PY
)
  extra+=(--likely-server-ports "$ports")
fi
exec "$corpus/flowlog-as-zeek" "$bin" "$pcap" "$out" "${extra[@]}" "$@"
