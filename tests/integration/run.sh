#!/usr/bin/env bash
# run.sh [FILTER] — runs every tests/integration/t_*.sh (name order; FILTER
# keeps the names containing it), each in a fresh temporary directory and
# under a time limit, and ends with the line `N passed, N failed`. A test that
# cannot run its prerequisites fails; nothing is skipped.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
filter=${1:-}
limit=${TEST_TIMEOUT:-120}
passed=0
failed=0
failures=()
for test in "$here"/t_*.sh; do
  name=$(basename "$test" .sh)
  [[ -n "$filter" && "$name" != *"$filter"* ]] && continue
  T=$(mktemp -d "/tmp/tlsshim-$name.XXXXXX")
  start=$(date +%s.%N)
  if T=$T timeout -k 5 "$limit" bash "$test" > "$T.out" 2>&1; then
    passed=$((passed + 1))
    printf 'PASS %-32s %5.1fs\n' "$name" "$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN{print e-s}')"
  else
    rc=$?
    failed=$((failed + 1))
    failures+=("$name")
    printf 'FAIL %-32s (exit %d%s)\n' "$name" "$rc" "$([ "$rc" = 124 ] && echo ', timed out')"
    tail -n 30 "$T.out" | sed 's/^/    | /'
    if [ -f "$T/tlsshim.log" ]; then
      echo "    | --- tlsshim.log"
      tail -n 10 "$T/tlsshim.log" | sed 's/^/    | /'
    fi
  fi
  rm -rf "$T" "$T.out"
done
if [ "$failed" -gt 0 ]; then
  echo "failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
