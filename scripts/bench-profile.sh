#!/usr/bin/env bash
# Where the delegate's CPU goes under load: perf samples of a release daemon fed tasks through
# the socket (or the spool) against the canned nginx endpoint. Needs `perf` (Debian: linux-perf).
# Usage: scripts/bench-profile.sh [seconds] [socket|spool]; report in .bench/profile-<intake>.txt
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${1:-15}
INTAKE=${2:-socket}
command -v perf > /dev/null || { echo "bench-profile: perf is not installed (Debian: apt-get install linux-perf)" >&2; exit 1; }
mkdir -p .bench
python3 Benchmarks/profile_load.py "$SECONDS_TO_RUN" "$INTAKE" > .bench/profile-load.log 2>&1 &
LOAD=$!
# The load stops (its daemon and nginx with it, by its own clean-up) if anything below fails.
trap 'kill -TERM "$LOAD" 2> /dev/null || true' EXIT
for _ in $(seq 1 100); do grep -q '^PID ' .bench/profile-load.log 2>/dev/null && break; sleep 0.1; done
PID=$(awk '/^PID /{print $2}' .bench/profile-load.log)
[ -n "$PID" ] || { echo "bench-profile: the load did not start its delegate; see .bench/profile-load.log" >&2; exit 1; }
perf record -e cpu-clock -F 999 -g -p "$PID" -o .bench/perf-"$INTAKE".data -- sleep "$SECONDS_TO_RUN" 2> .bench/perf-record.log ||
  { echo "bench-profile: perf record failed (kernel.perf_event_paranoid, or not root?): $(tail -3 .bench/perf-record.log)" >&2; exit 1; }
wait "$LOAD"
trap - EXIT
cat .bench/profile-load.log
perf report -i .bench/perf-"$INTAKE".data --no-children --sort dso,symbol --percent-limit 0.7 --stdio 2>/dev/null \
  | grep -v '^$' | grep -v '^#' | grep '%' | head -60 > .bench/profile-"$INTAKE".txt
perf report -i .bench/perf-"$INTAKE".data --no-children --sort dso --stdio 2>/dev/null | grep '%' | head -20 \
  > .bench/profile-"$INTAKE"-dso.txt
echo "top symbols: .bench/profile-$INTAKE.txt; by library: .bench/profile-$INTAKE-dso.txt"
