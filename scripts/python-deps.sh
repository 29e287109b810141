#!/bin/sh
# Installs the Python tools the tests, the demo and the benchmarks run against, where missing:
# moto_server (the AWS emulator), boto3 (the baseline and second opinion) and pyhpke (an
# independent HPKE); with --bench also the AWS CLI. At the versions named below; installed ones
# at those versions are left as they are.
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

# The versions the tests were written and run against: a newer moto answers otherwise, and a run
# on a fresh machine must test what the last one did. Another version installed is replaced. What
# they pull in is pinned too (python-constraints.txt).
# The tiers run moto as `$PYTHON -m moto.server`, so its console script need not be on the PATH.
has() { "$PYTHON" -c "import importlib.metadata as m, sys; sys.exit(m.version('$1') != '$2')" 2>/dev/null; }
# What they pull in at another version than the constraints name (a reused machine): installed
# again, through the tools, at the named ones. Without --bench, not the AWS CLI's own (marked
# "--bench only"): installing the other tools would not replace them, and the check would find
# them drifted at every run.
drifted() {
    "$PYTHON" - "$(dirname "$0")/python-constraints.txt" "$BENCH" <<'PY'
import importlib.metadata as m, sys
for line in open(sys.argv[1]):
    pin = line.split("#")[0].strip()
    if "==" not in pin:
        continue
    if sys.argv[2] != "yes" and "--bench only" in line:
        continue
    name, version = pin.split("==", 1)
    try:
        if m.version(name.split("[")[0]) != version:
            print(f"{name} {m.version(name.split('[')[0])} is not {version}: installing again")
            sys.exit(0)
    except m.PackageNotFoundError:
        pass
sys.exit(1)
PY
}
if drifted; then
    set -- "moto[server]==5.2.1" "boto3==1.43.11" "pyhpke==0.6.5"
    [ "$BENCH" = no ] || set -- "$@" "awscli==1.45.11"
else
{ has moto 5.2.1 && "$PYTHON" -c "import moto.server, flask, flask_cors" 2>/dev/null; } || set -- "$@" "moto[server]==5.2.1"
has boto3 1.43.11 || set -- "$@" "boto3==1.43.11"
has pyhpke 0.6.5 || set -- "$@" "pyhpke==0.6.5"
if [ "$BENCH" = yes ] && ! { command -v aws >/dev/null 2>&1 && has awscli 1.45.11; }; then
    set -- "$@" "awscli==1.45.11"
fi
fi
[ $# -gt 0 ] || exit 0

if ! "$PYTHON" -m pip --version >/dev/null 2>&1 && ! "$PYTHON" -m ensurepip >/dev/null 2>&1; then
    echo "installing: python3-pip"
    $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip
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
"$PYTHON" -m pip install --quiet -c "$(dirname "$0")/python-constraints.txt" "$@"
