#!/usr/bin/env bash
# run.sh [--quick] — every scenario for every contender, interleaved round by
# round (the order of contenders rotates each round, so a noisy machine
# cannot favour one). Writes bench/results/: raw.csv (every round) and,
# through report.py, results.md (the targets, absolute figures and ratios to
# plaintext, stunnel and the program's own TLS), results.csv and PNG charts,
# with the machine at the top. A scenario that errors fails the run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
quick=0
[ "${1:-}" = --quick ] && quick=1
if [ "$quick" = 1 ]; then
  ROUNDS=1 DURATION=1 REQUESTS=2000 IDLE_CONNS=200
else
  ROUNDS=3 DURATION=5 REQUESTS=20000 IDLE_CONNS=1000
fi
export ROUNDS DURATION REQUESTS IDLE_CONNS
B=$(mktemp -d /tmp/tlsshim-bench.XXXXXX)
chmod 755 "$B"
export B
source "$here/lib.sh"
source "$here/scenarios.sh"
trap 'stop_all; rm -rf "$B"' EXIT
"$ROOT/tests/certs/make-certs.sh" "$CERTS"
results=$here/results
mkdir -p "$results"
rm -f "$results"/*.png  # charts of figures a previous version had

# scenario|contenders|figure names|units|better
# conn_rate, http_new_conn and handshake_cpu follow each other: the ceilings
# report.py derives from them then combine figures measured within a minute
# or two, not several apart.
SCENARIOS=(
  "throughput_1|plain tlsshim stunnel|Gbit/s|Gbit/s|higher"
  "throughput_4|plain tlsshim stunnel|Gbit/s|Gbit/s|higher"
  "stream_1|plain tlsshim native|Gbit/s|Gbit/s|higher"
  "stream_4|plain tlsshim native|Gbit/s|Gbit/s|higher"
  "latency|plain tlsshim stunnel|p50 p99|us us|lower"
  "idle_memory|plain tlsshim stunnel|server client|KiB/conn KiB/conn|lower"
  "conn_rate|plain tlsshim-full tlsshim stunnel native-full native|conn/s client-cpu server-cpu|conn/s us/conn us/conn|higher lower lower"
  "http_new_conn|plain tlsshim-full tlsshim stunnel native|req/s ab-cpu nginx-cpu|req/s us/req us/req|higher lower lower"
  "handshake_cpu|native|client-full server-full client-resumed server-resumed|us us us us|lower"
  "http_keepalive|plain tlsshim stunnel native|req/s|req/s|higher"
  "redis|plain tlsshim stunnel native|GET SET|req/s req/s|higher"
  "startup|plain tlsshim|us added per exec|us|lower"
  "crypto_ceiling|native|AES-128-GCM seal 16 KiB|GB/s|higher"
)

raw=$B/raw.csv
echo "# keys=$BENCH_KEYS" > "$raw"
for ((round = 0; round < ROUNDS; round++)); do
  for entry in "${SCENARIOS[@]}"; do
    IFS='|' read -r scenario contenders _ _ _ <<<"$entry"
    read -ra list <<<"$contenders"
    n=${#list[@]}
    for ((k = 0; k < n; k++)); do
      contender=${list[$(((k + round) % n))]}
      began=$SECONDS
      # Not inside `if`: there bash would ignore errexit in the scenario.
      set +e
      # The trap stops what the scenario started when it fails half-way:
      # its servers are known only inside this subshell.
      values=$(set -e; trap stop_all EXIT; "scenario_$scenario" "$contender" 2> "$B/err")
      status=$?
      set -e
      if [ "$status" != 0 ]; then
        echo "bench: $scenario/$contender failed:" >&2
        cat "$B/err" >&2
        exit 1
      fi
      echo "round $((round + 1)) $scenario $contender: $values ($((SECONDS - began)) s)"
      echo "$((round + 1)),$scenario,$contender,${values// /,}" >> "$raw"
      stop_all
    done
  done
done

cp "$raw" "$results/raw.csv"
python3 "$here/report.py" "$raw" "$results" "$quick" "${SCENARIOS[@]}"
echo "bench: results in $results/results.md"
