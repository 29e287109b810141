#!/usr/bin/env bash
# The last step of `make test`, once everything is built (the debug build with its tests, the
# .deb, the IMDS emulator): the three tiers side by side. The booted tier (Tests/Booted/run.sh)
# mostly waits on its container, so the Swift tests run beside it, and the fuzz smoke (its own
# sanitizer build, then each target for FUZZ_SMOKE_SECONDS, default 15) at nice 19, on what CPU
# is left. The booted tier's output comes as it runs, the others' from their logs at the end
# (.build/tiers/). Exits 1 if any tier failed, naming it.
set -uo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
LOGS=.build/tiers
mkdir -p "$LOGS"
swift_log=$LOGS/swift-test.log
fuzz_log=$LOGS/fuzz-smoke.log

echo "==> the Swift tests, and the fuzz smoke at nice 19, started beside the booted tier (logs: $swift_log, $fuzz_log)"
# The Swift tests run under umask 022: files they write are read by a delegate that refuses
# group-writable ones.
(umask 022 && exec "$SWIFT" test --skip-build) >"$swift_log" 2>&1 &
swift_pid=$!
(FUZZ_SECONDS=${FUZZ_SMOKE_SECONDS:-15} SWIFT=$SWIFT exec nice -n 19 scripts/fuzz.sh) >"$fuzz_log" 2>&1 &
fuzz_pid=$!
trap 'kill "$swift_pid" "$fuzz_pid" 2>/dev/null; exit 130' INT TERM

boot_status=0
Tests/Booted/run.sh || boot_status=$?
swift_status=0
wait "$swift_pid" || swift_status=$?
fuzz_status=0
wait "$fuzz_pid" || fuzz_status=$?

printf '\n==> the Swift tests (ran beside the booted tier; exit status %s)\n' "$swift_status"
cat "$swift_log"
printf '\n==> the fuzz smoke (ran beside the booted tier; exit status %s)\n' "$fuzz_status"
if [ "$fuzz_status" = 0 ]; then
    grep -aE '^(fuzz:|Done )' "$fuzz_log" | sed 's/^/    /'
else
    tail -n 60 "$fuzz_log" | sed 's/^/    /'
fi

failed=()
[ "$boot_status" = 0 ] || failed+=("the booted tier (exit status $boot_status; its output is above the Swift tests')")
[ "$swift_status" = 0 ] || failed+=("the Swift tests (exit status $swift_status)")
[ "$fuzz_status" = 0 ] || failed+=("the fuzz smoke (exit status $fuzz_status)")
if [ ${#failed[@]} -gt 0 ]; then
    printf '\nmake test: failed: %s\n' "${failed[@]}" >&2
    exit 1
fi
printf '\nmake test: every tier passed (the booted tier, the Swift tests, the fuzz smoke)\n'
