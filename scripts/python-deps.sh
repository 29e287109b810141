#!/bin/sh
# Installs the Python tools the tests, the demo and the benchmarks run against, where missing:
# moto_server (the AWS emulator), boto3 (the baseline and second opinion) and pyhpke (an
# independent HPKE); with --bench also the AWS CLI. Installed ones are left as they are.
#
# pip comes from the interpreter's own ensurepip, else from apt (for Debian's python3). Debian's own python3 refuses pip installs
# (PEP 668: its EXTERNALLY-MANAGED file); these are a test machine's tools, so they go into it
# anyway (--break-system-packages). PYTHON names the interpreter (default python3).
set -eu
PYTHON=${PYTHON:-python3}
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
BENCH=no
[ "${1:-}" = --bench ] && BENCH=yes
set --

# The tiers run moto as `$PYTHON -m moto.server`, so its console script need not be on the PATH.
"$PYTHON" -c "import moto.server, flask, flask_cors" 2>/dev/null || set -- "$@" "moto[server]>=5.0,<6"
"$PYTHON" -c "import boto3" 2>/dev/null || set -- "$@" "boto3>=1.34,<2"
"$PYTHON" -c "import pyhpke" 2>/dev/null || set -- "$@" "pyhpke>=0.6,<0.7"
if [ "$BENCH" = yes ] && ! command -v aws >/dev/null 2>&1; then
    set -- "$@" "awscli>=1.32,<2"
fi
[ $# -gt 0 ] || exit 0

if ! "$PYTHON" -m pip --version >/dev/null 2>&1 && ! "$PYTHON" -m ensurepip >/dev/null 2>&1; then
    echo "installing: python3-pip"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-pip
fi
"$PYTHON" -m pip --version >/dev/null 2>&1 || {
    echo "$PYTHON has no pip (python3-pip serves Debian's own python3 only): install pip for it, or set PYTHON" >&2
    exit 1
}
managed=$("$PYTHON" -c 'import os, sysconfig; print(os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")))')
if [ "$managed" = True ]; then
    set -- --break-system-packages "$@"
fi
echo "installing (pip):$(printf ' %s' "$@")"
"$PYTHON" -m pip install --quiet "$@"
