#!/usr/bin/env bash
# Regenerates packaging/secrets-delegated.order, the order lld lays out the daemon's functions in
# (see Benchmarks/order_file.py): builds the release daemon, copies it without its debug sections
# (valgrind cannot read them), and runs it once under callgrind against the canned nginx endpoint.
# Needs valgrind and nginx. Run it after changes to start-up or the task path, then rebuild: the
# file is an input of scripts/swift-build-release.sh. A few minutes.
set -euo pipefail
# Files it writes get their modes from here, not from the caller's umask (002 would make a
# configuration group-writable, which the delegate refuses).
umask 022
cd "$(dirname "$0")/.."
SWIFT="${SWIFT:-swift}" scripts/swift-build-release.sh --product secrets-delegated
WORK=$(mktemp -d /tmp/secrets-delegate-order.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
objcopy --strip-debug "$(scripts/swift-build-release.sh --show-bin-path)/secrets-delegated" "$WORK/secrets-delegated"
python3 Benchmarks/order_file.py "$WORK/secrets-delegated" packaging/secrets-delegated.order
