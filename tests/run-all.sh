#!/usr/bin/env bash
# run-all.sh BIN... — the unit tests (the Criterion binaries given), then the
# integration tests. Both always run; the last line is the integration
# summary `N passed, N failed`; the exit status is non-zero on any failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/run-unit.sh" "$@"
unit=$?
if [ "$unit" -ne 0 ]; then
  echo "unit tests FAILED (see above); the integration tests run anyway"
fi
echo
echo "== integration tests"
"$here/integration/run.sh"
integration=$?
exit $((unit != 0 || integration != 0))
