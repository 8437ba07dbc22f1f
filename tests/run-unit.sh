#!/usr/bin/env bash
# run-unit.sh BIN... — runs each Criterion unit-test binary, prints its
# summary line, and exits non-zero if any binary failed. Every binary runs.
set -uo pipefail
failed=()
for bin in "$@"; do
  echo "== $(basename "$bin")"
  if ! "$bin" --jobs 1 2>&1 | tail -n 40; then
    failed+=("$(basename "$bin")")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "unit tests failed: ${failed[*]}"
  exit 1
fi
