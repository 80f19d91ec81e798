#!/usr/bin/env bash
# The whole suite run twice at once, as two CI jobs on one machine would: two fresh clones of the current
# commit, each with a copy of ../shared beside it, set up one after the other, then both `.ci/run` at once.
# Prints each run's exit code, wall time, jest summary and failing suites; exits non-zero if either failed.
#
#   bash scripts/test-twice.sh [work dir]   (default: a new directory under /tmp; kept, with both logs)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
commit=$(git -C "$root" rev-parse HEAD)
work=${1:-$(mktemp -d /tmp/db-migrate-test-twice-XXXXXX)}
shared="$root/../shared"
[ -d "$shared" ] || shared="$root/../../shared"

for x in a b; do
  mkdir -p "$work/$x"
  git clone -q "$root" "$work/$x/main"
  git -C "$work/$x/main" checkout -q "$commit"
  if [ -d "$shared" ]; then cp -r "$shared" "$work/$x/shared"; fi
done
# Set-ups one at a time (apt and installs must not race); the second finds everything in place.
for x in a b; do (cd "$work/$x/main" && bash scripts/setup.sh); done

echo "test-twice: $commit, two runs in $work (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
pids=()
for x in a b; do
  (
    cd "$work/$x/main"
    start=$SECONDS
    set +e
    CI=true bash .ci/run >"$work/$x/log" 2>&1
    echo "$? $((SECONDS - start))" >"$work/$x/result"
  ) &
  pids+=($!)
done
wait "${pids[@]}"

status=0
for x in a b; do
  read -r code seconds <"$work/$x/result"
  echo "== run $x: exit $code after ${seconds} s (log: $work/$x/log)"
  grep -E '^(Tests|Test Suites|Time):' "$work/$x/log" || true
  grep -E '^FAIL ' "$work/$x/log" | sort -u || true
  [ "$code" = 0 ] || status=1
done
exit $status
