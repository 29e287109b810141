# secrets-delegate: build, test, demo, package, bench.
# `make demo` and `make test` work on a fresh Debian 12 machine: they install what is missing.

SWIFT ?= swift
APT_PACKAGES := libcurl4-openssl-dev libsystemd-dev libssl-dev pkg-config systemd dpkg-dev binutils
PYTHON ?= python3
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all build release deps test demo package bench clean format

all: build

## deps: install the C libraries' headers and the AWS emulator (moto_server) if missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@command -v moto_server >/dev/null 2>&1 && $(PYTHON) -c "import flask, flask_cors" 2>/dev/null || \
	  $(PYTHON) -m pip install --quiet "moto[server]"

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --static-swift-stdlib

## test: every test, against a moto_server the tests start themselves, then the package
## installed in a throwaway Debian 12 root.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	$(MAKE) package-test

## demo: the delegate's main job end to end against a local AWS emulator.
demo: build
	scripts/demo.sh

## package: dist/secrets-delegate_<version>_amd64.deb (static Swift stdlib, stripped; lintian-clean).
package: deps
	scripts/build-package.sh

## package-test: lintian, then install the .deb in a throwaway Debian 12 root (debootstrap) and check it.
.PHONY: package-test
package-test: package
	scripts/package-test.sh

## bench: the benchmark suite (release build, nginx and moto_server on loopback); writes the
## results section of BENCHMARKS.md and raw JSON under .bench/. BENCH_QUICK=1 for a short run.
bench: deps
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nginx-light; }
	@$(PYTHON) -c "import boto3" 2>/dev/null || $(PYTHON) -m pip install --quiet boto3
	$(SWIFT) build -c release --static-swift-stdlib --product secrets-delegate
	$(SWIFT) build -c release --static-swift-stdlib --product SigV4Bench
	$(PYTHON) Benchmarks/harness.py

clean:
	rm -rf .build dist .demo

format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift
