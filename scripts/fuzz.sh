#!/usr/bin/env bash
# make fuzz / make fuzz-smoke: builds the libFuzzer targets in Fuzz/ (a separate package, so the
# main build never sees -sanitize=fuzzer) and runs each for FUZZ_SECONDS (default 300).
#
# Seeds come from Fuzz/Corpus/<target>/ and are only read; inputs libFuzzer finds interesting go
# to .build-fuzz/corpus/<target>/ (kept between runs, never committed); a crash, timeout or
# out-of-memory input goes to .build-fuzz/crashes/<target>-*, and the script exits 1 after
# running every target, as it does when a target ran fewer than 100 inputs beyond its corpus. Reproduce one with: .build-fuzz/debug/<target> <that file>
#
#   FUZZ_SECONDS   time per target (default 300)
#   FUZZ_TARGETS   space-separated subset (default: every target, one per Fuzz/Corpus/ folder)
#   FUZZ_ARGS      extra libFuzzer flags, e.g. "-only_ascii=1"
set -euo pipefail
# Files it writes get their modes from here, not from the caller's umask (002 would make a
# configuration group-writable, which the delegate refuses).
umask 022
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
SECONDS_PER_TARGET=${FUZZ_SECONDS:-300}
SCRATCH=.build-fuzz
TARGETS=${FUZZ_TARGETS:-$(ls Fuzz/Corpus)}
# Every target has its seeds' folder and every folder its target: one without would be built and
# never run, or named and never built.
declared=$(sed -n 's/.*executableTarget(name: "\([A-Za-z0-9]*\)".*/\1/p' Fuzz/Package.swift | sort)
if [ "$declared" != "$(ls Fuzz/Corpus | sort)" ]; then
  echo "fuzz: Fuzz/Package.swift's targets ($(echo $declared)) and Fuzz/Corpus/'s folders ($(ls Fuzz/Corpus | tr '\n' ' ')) differ" >&2
  exit 1
fi

build_start=$(date +%s)
# -enable-testing: the targets `@testable import` internal parsers. AddressSanitizer on the Swift,
# C and C++ code (toml++ under TOMLKit, the C shims): a read past a buffer or a use after free is
# a crash, not a quiet wrong answer. The C and C++ code gets coverage instrumentation too, without
# a second libFuzzer.
"$SWIFT" build --package-path Fuzz --scratch-path "$SCRATCH" -c debug \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -enable-testing \
  -Xcc -fsanitize=fuzzer-no-link,address -Xcxx -fsanitize=fuzzer-no-link,address
echo "fuzz: build took $(($(date +%s) - build_start))s"

mkdir -p "$SCRATCH/crashes" "$SCRATCH/logs"
failed=()
for target in $TARGETS; do
  corpus=$SCRATCH/corpus/$target
  mkdir -p "$corpus"
  log=$SCRATCH/logs/$target.log
  echo "fuzz: $target for ${SECONDS_PER_TARGET}s (log: $log)"
  # The first corpus directory receives new inputs; the seeds in the repo are only read.
  # Swift's own backtracer is off: libFuzzer reports the crash and keeps the input. Leaks are not
  # looked for: TOMLKit 0.6 leaks a few hundred bytes at each TOML text it refuses (its parse
  # error path) and at each table's key list, which is not ours to mend; the daemon parses only
  # at start and reload.
  # What it has to read before it makes inputs of its own: a run that executes no more than that
  # fuzzed nothing (a target that returns at once, a flag that stops it early).
  replayed=$(($(find "$corpus" "Fuzz/Corpus/$target" -type f | wc -l)))
  # shellcheck disable=SC2086
  if SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 "$SCRATCH/debug/$target" "$corpus" "Fuzz/Corpus/$target" \
    -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 -detect_leaks=0 \
    -artifact_prefix="$SCRATCH/crashes/$target-" -print_final_stats=1 ${FUZZ_ARGS:-} >"$log" 2>&1; then
    grep -E '^stat::number_of_executed_units|^Done' "$log" | tr '\n' ' ' || true
    echo
    executed=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log")
    if [ -z "$executed" ] || [ "$executed" -lt $((replayed + 100)) ]; then
      echo "fuzz: $target ran ${executed:-no} inputs, fewer than 100 beyond the $replayed of its corpus: it hardly fuzzed"
      failed+=("$target")
    fi
  else
    echo "fuzz: $target FAILED:"
    grep -E 'ERROR|Fatal error|Test unit written|SUMMARY' "$log" || tail -20 "$log"
    failed+=("$target")
  fi
done

if ((${#failed[@]})); then
  echo "fuzz: crashes or idle runs in: ${failed[*]} (inputs in $SCRATCH/crashes/, logs in $SCRATCH/logs/)"
  exit 1
fi
echo "fuzz: no crashes"
