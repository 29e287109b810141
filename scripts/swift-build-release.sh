#!/usr/bin/env bash
# The release build of what ships: `swift build` with the flags the package's binaries are linked
# with, so that `make package`, `make release` and `make bench` build (and measure) the same
# binaries. Extra arguments go to `swift build` (`--product NAME`, `--show-bin-path`). Build the
# products one at a time, by name: test helpers (IMDSEmulator) use Foundation and do not link here.
#
# - The Swift standard library and FoundationEssentials linked statically: hosts need no Swift.
# - Full RELRO and immediate binding (`-z relro -z now`): the relocated data is read-only before
#   main runs.
# - LLVM's lld with packed relative relocations (`-z pack-relative-relocs`, DT_RELR, glibc 2.36
#   and later): the binary's ~106,000 relative relocations take 16 KiB instead of a 2 MiB table,
#   which the loader reads at every start and which stays mapped (3.8 MB less idle RSS measured).
# - No Foundation: the shipped modules use FoundationEssentials, and autolinking of Foundation,
#   CoreFoundation, FoundationInternationalization and ICU is off. TOMLKit imports Foundation for
#   types FoundationEssentials defines; left on, the linker took specializations FoundationEssentials
#   needs from Foundation's archive, and with them all of Foundation, CoreFoundation and 30 MB of
#   ICU data, whose start-up code alone kept megabytes resident. A use of Foundation proper now
#   fails the link instead of growing the daemon (`make package` checks the exported symbols too).
# - Each function in its own section (`-function-sections`; LLVM's function merging off, since the
#   merged functions it makes have no symbol to order them by), laid out in the order of
#   packaging/secrets-delegated.order (lld's `--symbol-ordering-file`; scripts/order-file.sh makes
#   it): the code the daemon runs at start, idle and per task is packed at the front of `.text`,
#   so the 64 KiB the kernel maps around each page fault hold code that runs (about 5 MB less
#   idle RSS). A stale order file costs memory, never correctness. The functions LLVM emits
#   without a symbol (private linkage: closure contexts' `objectdestroy` and the like), which no
#   order file can name, are gathered in one output section before `.text`
#   (packaging/release-layout.ld; about 0.8 MB less idle RSS, 0.55-1.05 in alternating starts).
# - `.rodata` read-only: the few `.rodata` input sections the compiler flags writable go to a
#   section of their own after `.data` (packaging/release-layout.ld), so lld no longer makes all
#   2 MB of constants writable.
#
# Its scratch directory is .build-release, not .build: SwiftPM locks a scratch directory for as
# long as a command runs, `swift test` included, and `make test` builds the package beside the
# Swift tests (scripts/test-tiers.sh).
#
# SwiftPM may reuse a cached build plan made with other flags (a plain `swift build -c release`,
# or the generate-manual plugin's), so the plan is dropped first; and it does not see the order
# file or the linker script as inputs of the link, so the product named by `--product` is deleted
# first and always linked again (a few seconds). Neither for `--show-bin-path`, which builds nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
SCRATCH=.build-release
if [[ " $* " != *" --show-bin-path "* ]]; then
    rm -f "$SCRATCH/release.yaml"
    products=()
    arguments=("$@")
    for ((i = 0; i < ${#arguments[@]}; i++)); do
        case ${arguments[i]} in
            --product) products+=("${arguments[i + 1]:-}") ;;
            --product=*) products+=("${arguments[i]#--product=}") ;;
        esac
    done
    if [ ${#products[@]} -eq 0 ]; then
        echo "swift-build-release.sh: name a --product (secrets-delegate, secrets-delegated, SigV4Bench)" >&2
        exit 64
    fi
    for product in "${products[@]}"; do
        [ -n "$product" ] && rm -f "$SCRATCH/release/$product"
    done
fi
NO_FOUNDATION=()
for library in Foundation CoreFoundation FoundationInternationalization _FoundationICU; do
    NO_FOUNDATION+=(-Xswiftc -Xfrontend -Xswiftc -disable-autolink-library -Xswiftc -Xfrontend -Xswiftc "$library")
done
LAYOUT=(-Xlinker -T -Xlinker "$PWD/packaging/release-layout.ld")
if [ -s packaging/secrets-delegated.order ]; then
    LAYOUT+=(-Xlinker --symbol-ordering-file="$PWD/packaging/secrets-delegated.order" -Xlinker --no-warn-symbol-ordering)
fi
exec "$SWIFT" build --scratch-path "$SCRATCH" -c release --static-swift-stdlib \
    -Xswiftc -use-ld=lld \
    -Xlinker -z -Xlinker relro -Xlinker -z -Xlinker now -Xlinker -z -Xlinker pack-relative-relocs \
    "${NO_FOUNDATION[@]}" \
    -Xswiftc -Xfrontend -Xswiftc -function-sections -Xswiftc -Xfrontend -Xswiftc -disable-llvm-merge-functions-pass \
    "${LAYOUT[@]}" \
    "$@"
