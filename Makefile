# secrets-delegate: build, test, demo, package, bench.
# `make demo` and `make test` work on a fresh Debian 12 machine: they install what is missing.

SWIFT ?= swift
APT_PACKAGES := libcurl4-openssl-dev libsystemd-dev libssl-dev pkg-config systemd dpkg-dev binutils curl python3 ca-certificates e2fsprogs util-linux mount
PYTHON ?= python3
# Every tier's scripts and the Swift tests (moto_server, boto3, pyhpke) use these too.
export PYTHON SWIFT
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all build release deps test demo package bench clean format

all: build

## deps: install the C libraries' headers, curl, the AWS emulator (moto_server), boto3 and pyhpke if missing
## (scripts/python-deps.sh).
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
	@PYTHON="$(PYTHON)" scripts/python-deps.sh

build: deps
	$(SWIFT) build

release: deps
	SWIFT="$(SWIFT)" scripts/swift-build-release.sh --product secrets-delegate
	SWIFT="$(SWIFT)" scripts/swift-build-release.sh --product secrets-delegated

## test: every tier. The debug build with its tests, then (scripts/test-tiers.sh) the Swift tests
## (against a moto_server they start themselves) with the .deb's release build beside them at idle
## priority, then the demo (scripts/demo.sh, as make demo runs it), then the .deb under a real
## systemd booted in systemd-nspawn (Tests/Booted/run.sh) with
## each libFuzzer target for 15 s beside it at idle priority: what waits overlaps what computes.
## make fails if any tier fails, and names it.
test: deps
	$(SWIFT) build --build-tests
	FUZZ_SMOKE_SECONDS=15 scripts/test-tiers.sh

## demo: the delegate's main job end to end against a local AWS emulator.
demo: build
	PYTHON="$(PYTHON)" scripts/demo.sh

## package: dist/secrets-delegate_<version>_amd64.deb (static Swift stdlib, stripped; lintian-clean).
package: deps
	scripts/build-package.sh

## boot-test: lintian, then a Debian 12 root boots systemd as PID 1 in systemd-nspawn, installs the
## .deb with apt and checks start, reload, tasks, socket activation, watchdog, stop, journal,
## hardening, upgrade and purge from inside (Tests/Booted/). Needs root.
.PHONY: boot-test package-test
boot-test: package
	$(SWIFT) build --product IMDSEmulator
	Tests/Booted/run.sh
package-test: boot-test

## bench: the benchmark suite (release build, nginx and moto_server on loopback); writes the
## results section of BENCHMARKS.md and raw JSON under .bench/. BENCH_QUICK=1 for a short run.
bench: deps
	@# nginx is the canned endpoint; the fsync-off diagnostic rows run the daemon under eatmydata;
	@# callgrind (valgrind) counts the instructions per task.
	@{ command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; } && command -v eatmydata >/dev/null 2>&1 \
	  && command -v valgrind >/dev/null 2>&1 || { $(SUDO) apt-get update -qq \
	  && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light eatmydata valgrind; }
	PYTHON="$(PYTHON)" scripts/python-deps.sh --bench
	SWIFT="$(SWIFT)" scripts/swift-build-release.sh --product secrets-delegate
	SWIFT="$(SWIFT)" scripts/swift-build-release.sh --product secrets-delegated
	SWIFT="$(SWIFT)" scripts/swift-build-release.sh --product SigV4Bench
	$(PYTHON) Benchmarks/harness.py

## fuzz: builds the libFuzzer targets in Fuzz/ into .build-fuzz and runs each for FUZZ_SECONDS
## (default 300); exits non-zero if any finds a crash (inputs in .build-fuzz/crashes/).
## fuzz-smoke: the same, 20 seconds per target (make test runs it with 15).
.PHONY: fuzz fuzz-smoke
FUZZ_SECONDS ?= 300
fuzz: deps
	SWIFT=$(SWIFT) FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh
FUZZ_SMOKE_SECONDS ?= 20
fuzz-smoke: deps
	SWIFT=$(SWIFT) FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS) scripts/fuzz.sh

clean:
	rm -rf .build .build-release .build-fuzz dist .demo

format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift
