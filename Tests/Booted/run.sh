#!/usr/bin/env bash
# The booted-systemd tier (`make boot-test`, part of `make test`): the .deb under a real systemd.
#
# A Debian 12 root with systemd boots as PID 1 in systemd-nspawn. The container shares this
# machine's network, so the AWS emulator (moto_server, signature and IAM checks on), the project's
# strict IMDSv2 server and a slow proxy, all started here on loopback, serve the delegate inside.
# A probe unit in the container installs the package with apt, runs every check in
# Tests/Booted/checks/ in order through systemctl, journalctl and the CLI, writes its findings to
# /root/boot-test/findings and powers off; this script prints them and fails on any failure or
# when the probe did not finish. Every wait is bounded.
#
# Adding a check: a new file checks/NN-name.sh that uses the helpers in probe.sh (ok, fail,
# expect_eq, wait_until, submit); the env file below gives it the endpoints.
#
# The bootstrapped root is cached in BOOT_TEST_CACHE (default /var/tmp/secrets-delegate-boot-test,
# outside the work tree so that fresh clones on the same machine share it; delete it to refresh).
# Environment: DEB (default dist/secrets-delegate_<version>_<arch>.deb), MIRROR (default: this
# machine's Debian mirror), KEEP_ROOT=1 (keep the container root), BOOT_TIMEOUT (default 900 s; a normal boot and its checks take 3-4 minutes),
# PYTHON (the interpreter moto and boto3 are in; default python3), SWIFT (default swift).
set -euo pipefail
# Files it writes get their modes from here, not from the caller's umask (002 would make a
# configuration group-writable, which the delegate refuses).
umask 022

cd "$(dirname "$0")/../.."
PROJECT=$PWD
PACKAGE=secrets-delegate
VERSION=$(scripts/package-version.sh)
ARCH=$(dpkg --print-architecture)
DEB=${DEB:-dist/${PACKAGE}_${VERSION}_${ARCH}.deb}
SUITE=bookworm
CACHE_DIR=${BOOT_TEST_CACHE:-/var/tmp/secrets-delegate-boot-test}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-900}
# The interpreter moto, boto3 and pyhpke are installed into, and the toolchain (as for make).
PYTHON=${PYTHON:-python3}
SWIFT=${SWIFT:-swift}

step() { printf '\n==> %s\n' "$*"; }
die() { printf '\nBOOTED TIER FAILED: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (debootstrap and systemd-nspawn need it)"
[ -f "$DEB" ] || die "$DEB does not exist: run 'make package' first"

missing=()
command -v systemd-nspawn >/dev/null || missing+=(systemd-container)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v lintian >/dev/null || missing+=(lintian)
command -v curl >/dev/null || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
    step "installing ${missing[*]} (test tools only)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
PYTHON="$PYTHON" scripts/python-deps.sh

# --- lintian ---------------------------------------------------------------------------------
step "lintian $DEB"
LINTIAN_OUT=$(lintian --allow-root --info "$DEB" 2>&1) && lintian_status=0 || lintian_status=$?
[ -z "$LINTIAN_OUT" ] || printf '%s\n' "$LINTIAN_OUT" | sed 's/^/    /'
# Clean, as the README says: no error and no warning (packaging/lintian-overrides holds the accepted ones).
# A here-string, not a pipe: grep -q leaving early kills printf (SIGPIPE), and pipefail hides the match.
grep -qE '^(E|W): ' <<<"$LINTIAN_OUT" && die "lintian reports errors or warnings"
[ "$lintian_status" = 0 ] || die "lintian exited with status $lintian_status"
echo "    ok: lintian clean (no errors, no warnings)"

# --- A second build with a higher version, for the upgrade check ------------------------------
WORK=$(mktemp -d /var/tmp/secrets-delegate-boot.XXXXXX)
ROOT=$WORK/root
pids=()
cleanup() {
    local status=$?
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ "${KEEP_ROOT:-0}" = 1 ]; then
        echo "kept the container root at $ROOT"
    else
        rm -rf --one-file-system "$WORK"
    fi
    exit "$status"
}
trap cleanup EXIT

UPGRADE_VERSION="$VERSION+boot1"
mkdir -p "$WORK/deb2"
dpkg-deb -R "$DEB" "$WORK/deb2/root"
sed -i "s/^Version: .*/Version: $UPGRADE_VERSION/" "$WORK/deb2/root/DEBIAN/control"
# Its packaged delegate.toml differs too, so that dpkg has a conffile to decide on (an edited one is
# kept, the new one put beside it as .dpkg-dist).
echo '# packaged by the next version' >>"$WORK/deb2/root/etc/secrets-delegate/delegate.toml"
dpkg-deb --root-owner-group -Zxz --build "$WORK/deb2/root" "$WORK/upgrade.deb" >/dev/null

# --- The root: Debian 12 with systemd, cached ---------------------------------------------------
# This machine's own mirror: the first `.../debian` URL of apt's sources, including the mirror
# lists a cloud image's `mirror+file:/etc/apt/mirrors/debian.list` names (debootstrap takes a URL).
debian_mirror() {
    local sources
    sources=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
    {
        printf '%s\n' "$sources"
        printf '%s\n' "$sources" | grep -oE 'mirror\+file:[^[:space:]]+' | sed 's/^mirror+file://' | sort -u |
            while read -r list; do cat "$list" 2>/dev/null || true; done
    } | grep -oE 'https?://[^[:space:]]+/debian/?([[:space:]]|$)' | grep -v security | head -n 1 | tr -d '[:space:]' || true
}
if [ -z "${MIRROR:-}" ]; then
    MIRROR=$(debian_mirror)
    MIRROR=${MIRROR:-http://deb.debian.org/debian}
fi
# What the package depends on is preinstalled, so `apt install ./x.deb` inside needs no network;
# jq for the README's journalctl recipes (check 58).
INCLUDE=systemd,systemd-sysv,dbus,procps,libcurl4,libssl3,libsystemd0,ca-certificates,jq
mkdir -p "$CACHE_DIR"
ROOTFS_CACHE="$CACHE_DIR/$SUITE-systemd-$ARCH-$(printf '%s %s' "$MIRROR" "$INCLUDE" | md5sum | cut -c1-8).tar"
mkdir -p "$ROOT"
# One run at a time makes the cache (fresh clones on one machine share it): another waits, then
# unpacks what the first made.
exec 8>"$CACHE_DIR/.lock"
flock 8
if [ -f "$ROOTFS_CACHE" ]; then
    step "unpacking the cached $SUITE root with systemd"
    tar -C "$ROOT" -xpf "$ROOTFS_CACHE"
else
    step "debootstrap $SUITE with systemd from $MIRROR (cached afterwards)"
    debootstrap --variant=minbase --include="$INCLUDE" --arch="$ARCH" "$SUITE" "$ROOT" "$MIRROR" \
        >"$CACHE_DIR/debootstrap.log" 2>&1 ||
        { tail -n 30 "$CACHE_DIR/debootstrap.log" >&2; die "debootstrap failed (log: $CACHE_DIR/debootstrap.log)"; }
    cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
    chroot "$ROOT" apt-get update -qq >"$CACHE_DIR/apt-update.log" 2>&1 || true
    rm -f "$ROOT/etc/resolv.conf"
    tar -C "$ROOT" -cpf "$ROOTFS_CACHE.tmp" . && mv "$ROOTFS_CACHE.tmp" "$ROOTFS_CACHE"
fi
exec 8>&-
chmod 0755 "$ROOT"
echo "    ok: Debian $(cat "$ROOT/etc/debian_version"), $(chroot "$ROOT" systemctl --version | head -n 1)"

# --- AWS and IMDS on loopback -------------------------------------------------------------------
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
step "moto_server (signature and IAM checks on), the strict IMDSv2 server, a slow proxy"
MOTO_PORT=$(free_port)
INITIAL_NO_AUTH_ACTION_COUNT=3 "$PYTHON" -m moto.server -H 127.0.0.1 -p "$MOTO_PORT" >"$WORK/moto.log" 2>&1 &
pids+=($!)
# (Bounds of 60 s: importing moto takes seconds on a loaded host with a cold page cache.)
deadline=$((SECONDS + 60))
until curl -sf "http://127.0.0.1:$MOTO_PORT/moto-api/" >/dev/null || [ $SECONDS -ge $deadline ]; do sleep 0.1; done
curl -sf "http://127.0.0.1:$MOTO_PORT/moto-api/" >/dev/null || die "moto_server did not start"
"$PYTHON" Tests/Booted/aws_setup.py "http://127.0.0.1:$MOTO_PORT" >"$WORK/instance-role.env" || die "AWS setup failed"

IMDS_EMULATOR=$("$SWIFT" build --show-bin-path)/IMDSEmulator
[ -x "$IMDS_EMULATOR" ] || "$SWIFT" build --product IMDSEmulator >/dev/null
# (Started in this shell, not in a command substitution's subshell, so that the cleanup has
# their pids and stops them.)
start_imds() { # start_imds ENV_FILE OUT_FILE
    (set -a; . "$1"; exec "$IMDS_EMULATOR") >"$2" 2>&1 &
    pids+=($!)
}
imds_url() { # imds_url OUT_FILE: the URL the emulator prints once it listens
    local deadline=$((SECONDS + 60))
    until grep -q '^http://' "$1" || [ $SECONDS -ge $deadline ]; do sleep 0.1; done
    head -n 1 "$1"
}
start_imds "$WORK/instance-role.env" "$WORK/imds-good.out"
# A second instance metadata service whose role keys AWS does not know: tasks signed with them fail.
printf 'IMDS_ACCESS_KEY_ID=ASIABOGUSBOGUSBOGUS1\nIMDS_SECRET_ACCESS_KEY=bogus\nIMDS_SESSION_TOKEN=bogus\n' >"$WORK/bogus.env"
start_imds "$WORK/bogus.env" "$WORK/imds-bogus.out"
IMDS_GOOD=$(imds_url "$WORK/imds-good.out")
IMDS_BOGUS=$(imds_url "$WORK/imds-bogus.out")
case "$IMDS_GOOD $IMDS_BOGUS" in http://127.0.0.1:*" "http://127.0.0.1:*) ;; *) die "the IMDS emulator did not start" ;; esac

# (SQS through it answers 503 while the probe's /root/boot-test/sqs-down exists.)
"$PYTHON" -u Tests/Booted/slow_proxy.py "$MOTO_PORT" 6 "$ROOT/root/boot-test/sqs-down" >"$WORK/proxy.out" 2>&1 &
pids+=($!)
deadline=$((SECONDS + 60))
until grep -q '^[0-9]' "$WORK/proxy.out" || [ $SECONDS -ge $deadline ]; do sleep 0.1; done
PROXY_PORT=$(head -n 1 "$WORK/proxy.out")
[[ $PROXY_PORT =~ ^[0-9]+$ ]] || die "the slow proxy did not start: $(head -c 300 "$WORK/proxy.out")"
echo "    moto http://127.0.0.1:$MOTO_PORT, IMDS $IMDS_GOOD (and $IMDS_BOGUS), slow proxy :$PROXY_PORT"

# --- The probe --------------------------------------------------------------------------------
PROBE=$ROOT/root/boot-test
mkdir -p "$PROBE/debs"
cp "$DEB" "$PROBE/debs/current.deb"
cp "$WORK/upgrade.deb" "$PROBE/debs/upgrade.deb"
cp Tests/Booted/probe.sh "$PROBE/"
cp -r Tests/Booted/checks "$PROBE/"
cat >"$PROBE/env" <<ENV
VERSION=$VERSION
UPGRADE_VERSION=$UPGRADE_VERSION
MOTO=http://127.0.0.1:$MOTO_PORT
SLOW_PROXY=http://127.0.0.1:$PROXY_PORT
IMDS_GOOD=$IMDS_GOOD
IMDS_BOGUS=$IMDS_BOGUS
$(grep '^SQS_' "$WORK/instance-role.env")
$(sed -n 's/^IMDS_ACCESS_KEY_ID=/BOOT_KEY_ID=/p; s/^IMDS_SECRET_ACCESS_KEY=/BOOT_KEY_SECRET=/p; s/^IMDS_SESSION_TOKEN=/BOOT_KEY_TOKEN=/p' "$WORK/instance-role.env")
ENV
cat >"$ROOT/etc/systemd/system/boot-probe.service" <<'UNIT'
[Unit]
Description=secrets-delegate booted-tier probe
After=basic.target

[Service]
Type=simple
ExecStart=/bin/bash /root/boot-test/probe.sh
StandardOutput=journal+console
StandardError=journal+console
UNIT
mkdir -p "$ROOT/etc/systemd/system/multi-user.target.wants"
ln -sf /etc/systemd/system/boot-probe.service "$ROOT/etc/systemd/system/multi-user.target.wants/boot-probe.service"
# Nothing else needs a console or the network configured.
for unit in console-getty.service getty@tty1.service systemd-networkd.service systemd-resolved.service; do
    ln -sf /dev/null "$ROOT/etc/systemd/system/$unit"
done
echo boot-test >"$ROOT/etc/hostname"

# --- Boot -------------------------------------------------------------------------------------
step "booting systemd in systemd-nspawn (bounded: $BOOT_TIMEOUT s)"
nspawn_status=0
# --keep-unit: run in this process's own unit (on a host whose PID 1 is not systemd there is no bus
# to ask for a scope). systemd-nspawn refuses it from a login session (user-UID.slice: root over
# ssh, sudo from a user's shell), where systemd runs and a scope of its own is what it wants.
keep_unit=--keep-unit
if grep -Eq '/user-[0-9]+\.slice/' /proc/self/cgroup; then keep_unit=; fi
# A check may ask for a reboot (the probe resumes after it in the next boot): systemd-nspawn then
# exits 133, as it does for systemd-nspawn@.service's RestartForceExitStatus=, and the container
# boots again, once.
for boot in 1 2; do
    nspawn_status=0
    started=$(date +%s)
    timeout --kill-after=30 "$BOOT_TIMEOUT" systemd-nspawn -D "$ROOT" -b --register=no $keep_unit --console=pipe \
        </dev/null >>"$WORK/console.log" 2>&1 &
    nspawn_pid=$!
    # timeout runs the container in a process group of its own, which a terminal's Ctrl-C does not
    # reach (and bash, waiting in the foreground, would ignore it): waited for in the background, a
    # Ctrl-C or a TERM stops the container and the run, and the clean-up stops the servers.
    trap 'kill -TERM "$nspawn_pid" 2>/dev/null || true; wait "$nspawn_pid" 2>/dev/null || true; die "interrupted"' INT TERM
    wait "$nspawn_pid" || nspawn_status=$?
    trap - INT TERM
    echo "    boot $boot: the container ran $(($(date +%s) - started)) s (systemd-nspawn exit $nspawn_status)"
    [ "$nspawn_status" = 133 ] && [ -f "$ROOT/root/boot-test/rebooted" ] && [ "$boot" = 1 ] || break
done

FINDINGS=$PROBE/findings
[ -f "$FINDINGS" ] || { tail -n 60 "$WORK/console.log" >&2; die "the probe wrote no findings"; }
step "findings"
sed 's/^/    /' "$FINDINGS"
if grep -q '^FAIL' "$FINDINGS"; then
    printf '\n--- the container console (last 80 lines) ---\n' >&2
    tail -n 80 "$WORK/console.log" >&2
    [ ! -d "$PROBE/logs" ] || for log in "$PROBE"/logs/*; do printf '\n--- %s ---\n' "$log" >&2; tail -n 40 "$log" >&2; done
    die "$(grep -c '^FAIL' "$FINDINGS") check(s) failed"
fi
grep -qx 'done' "$FINDINGS" || { tail -n 60 "$WORK/console.log" >&2; die "the probe did not finish (timed out?)"; }
# Every check file in the tree ran and passed at least one assertion: one that asserted nothing
# (emptied, or returning early) is no pass, and a file the probe never ran is missed.
for check in Tests/Booted/checks/*.sh; do
    name=$(basename "$check" .sh)
    grep -q "^time $name " "$FINDINGS" || die "check $name did not run"
    grep -q "^ok   $name: " "$FINDINGS" || die "check $name passed no assertion"
done
# What a check could not test on this run (a slow machine's timing), said, never counted.
[ ! -s "$PROBE/logs/notes" ] || { step "notes: untested on this run"; sed 's/^/    /' "$PROBE/logs/notes"; }
passed=$(grep -c '^ok' "$FINDINGS")
printf '\nBOOTED TIER PASSED: %s on systemd %s as PID 1\n' "$(basename "$DEB")" \
    "$(chroot "$ROOT" systemctl --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p')"
echo "booted: $passed passed, 0 failed"
