#!/usr/bin/env bash
# `make test` after the debug build of the tests: every tier, in two phases, so that what waits
# (the Swift tests on moto_server, the booted tier on its container) overlaps what computes.
#
#   1. The Swift tests, and beside them at idle priority the .deb (its release build, in a
#      scratch directory of its own, .build-release: SwiftPM locks .build while the tests run).
#      The tests keep the CPU they ask for; the build takes the rest. Then `make demo`'s script,
#      the README's first command, with the debug build (a few seconds; .build/tiers/demo.log);
#      then the end-to-end tests again on the .deb's release binaries (about 80 s).
#   2. The booted tier (Tests/Booted/run.sh) with that .deb, and beside it at idle priority the
#      fuzz smoke (its own sanitizer build, then each target for FUZZ_SMOKE_SECONDS, default 15).
#
# Idle priority is SCHED_IDLE (`chrt --idle 0`), which runs only on CPU nothing else wants; nice
# 19 where that is refused. (Beside the booted tier at normal priority, the Swift tests' deadline
# checks failed: the container's moto_server took their CPU.)
#
# The Swift tests' and the booted tier's output comes as they run; the package build's and the
# fuzz smoke's from their logs (.build/tiers/) after each phase. Every tier runs (the end-to-end
# tests on the release binaries and the booted tier only with a .deb); exits 1 naming each one that
# failed.
set -uo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
export SWIFT
LOGS=.build/tiers
mkdir -p "$LOGS"
package_log=$LOGS/package.log
fuzz_log=$LOGS/fuzz-smoke.log
demo_log=$LOGS/demo.log
release_log=$LOGS/release-e2e.log

# Each tier in a process group of its own (job control), so that an interrupt or a TERM (a
# cancelled CI run) stops every process of every tier, not only the ones this script started.
set -m
pids=()
stop_tiers() {
    for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null; done
    wait
    exit "$1"
}
trap 'stop_tiers 130' INT
trap 'stop_tiers 143' TERM
failed=()
# idle COMMAND...: COMMAND at idle priority (above).
idle() {
    if chrt --idle 0 true 2>/dev/null; then chrt --idle 0 "$@"; else nice -n 19 "$@"; fi
}
# show_log TITLE STATUS LOG PATTERN: the log's lines matching PATTERN, or its end if STATUS failed.
show_log() {
    printf '\n==> %s (exit status %s; log: %s)\n' "$1" "$2" "$3"
    if [ "$2" = 0 ]; then
        grep -aE "$4" "$3" | sed 's/^/    /'
    else
        tail -n 80 "$3" | sed 's/^/    /'
    fi
}

echo "==> phase 1: the Swift tests, and the .deb built beside them at idle priority (log: $package_log)"
idle scripts/build-package.sh >"$package_log" 2>&1 &
package_pid=$!
# The Swift tests run under umask 022: files they write are read by a delegate that refuses
# group-writable ones.
(umask 022 && exec "$SWIFT" test --skip-build) &
swift_pid=$!
pids=("$package_pid" "$swift_pid")
swift_status=0
wait "$swift_pid" || swift_status=$?
[ "$swift_status" = 0 ] || failed+=("the Swift tests (exit status $swift_status)")
# The demo, as `make demo` runs it (the build is there): each of its tasks must succeed. In a
# process group of its own like every tier, so that an interrupt stops it too.
scripts/demo.sh >"$demo_log" 2>&1 &
demo_pid=$!
pids=("$package_pid" "$demo_pid")
demo_status=0
wait "$demo_pid" || demo_status=$?
pids=("$package_pid")
package_status=0
wait "$package_pid" || package_status=$?
show_log "the demo (make demo)" "$demo_status" "$demo_log" '^(demo finished|    delegate exited)'
[ "$demo_status" = 0 ] || failed+=("the demo (exit status $demo_status)")
show_log "the .deb, built beside the Swift tests" "$package_status" "$package_log" '^==> '
[ "$package_status" = 0 ] || failed+=("the package build (exit status $package_status)")

# The end-to-end Swift tests again, on the release binaries the .deb holds (the optimiser's code,
# the static standard library): a crash only the release build has (a task-local of a function
# type, 5baa189) passed every debug test. They start the daemon with
# $SECRETS_DELEGATE_TEST_BINARY; the test code itself is the debug build's.
release_status=0
if [ "$package_status" = 0 ]; then
    bin_dir=$(scripts/swift-build-release.sh --show-bin-path) && [ -n "$bin_dir" ] || bin_dir=$PWD/.build-release/release
    printf '\n==> the end-to-end tests on the release binaries (%s; log: %s)\n' "$bin_dir" "$release_log"
    (umask 022 && SECRETS_DELEGATE_TEST_BINARY="$bin_dir/secrets-delegate" \
        exec "$SWIFT" test --skip-build --filter DelegateEndToEndTests) >"$release_log" 2>&1 &
    release_pid=$!
    pids=("$release_pid")
    wait "$release_pid" || release_status=$?
    show_log "the end-to-end tests on the release binaries" "$release_status" "$release_log" '(Test run with|✘)'
    [ "$release_status" = 0 ] || failed+=("the end-to-end tests on the release binaries (exit status $release_status)")
else
    failed+=("the end-to-end tests on the release binaries (not run: no .deb)")
fi

printf '\n==> phase 2: the booted tier, and the fuzz smoke beside it at idle priority (log: %s)\n' "$fuzz_log"
(export FUZZ_SECONDS=${FUZZ_SMOKE_SECONDS:-15} && idle scripts/fuzz.sh) >"$fuzz_log" 2>&1 &
fuzz_pid=$!
pids=("$fuzz_pid")
boot_status=0
if [ "$package_status" = 0 ]; then
    Tests/Booted/run.sh &
    boot_pid=$!
    pids+=("$boot_pid")
    wait "$boot_pid" || boot_status=$?
    [ "$boot_status" = 0 ] || failed+=("the booted tier (exit status $boot_status; its output is above)")
else
    failed+=("the booted tier (not run: no .deb)")
fi
fuzz_status=0
wait "$fuzz_pid" || fuzz_status=$?
trap - INT TERM
show_log "the fuzz smoke, run beside the booted tier" "$fuzz_status" "$fuzz_log" '^(fuzz:|Done )'
[ "$fuzz_status" = 0 ] || failed+=("the fuzz smoke (exit status $fuzz_status)")

if [ ${#failed[@]} -gt 0 ]; then
    printf '\nmake test: failed: %s\n' "${failed[@]}" >&2
    exit 1
fi
printf '\nmake test: every tier passed (the Swift tests, the demo, the package, the end-to-end tests on its release binaries, the booted tier, the fuzz smoke)\n'
