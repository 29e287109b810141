#!/usr/bin/env bash
# Proves the .deb on a fresh Debian 12 (`make package-test`): lintian reports no errors, and in a
# throwaway minbase bookworm root `apt-get install ./secrets-delegate_<version>_amd64.deb` gives a
# working binary, user, directories, shipped configuration, man page and completions; a reinstall
# keeps an edited conffile; a purge cleans up. The build machine itself is not changed (apart
# from installing debootstrap and lintian if they are missing).
#
# The bootstrapped root is cached as a tarball under .build/package-test/ (delete it to refresh).
# Environment: DEB (the package; default dist/secrets-delegate_<version>_<arch>.deb), MIRROR
# (default: this machine's Debian mirror), SUITE (default bookworm), KEEP_ROOT=1 (keep the root).
set -euo pipefail

cd "$(dirname "$0")/.."
PACKAGE=secrets-delegate
VERSION=$(scripts/package-version.sh)
ARCH=$(dpkg --print-architecture)
DEB=${DEB:-dist/${PACKAGE}_${VERSION}_${ARCH}.deb}
SUITE=${SUITE:-bookworm}
CACHE_DIR=.build/package-test

step() { printf '\n==> %s\n' "$*"; }
pass() { printf '    ok: %s\n' "$*"; }
fail() { printf '\nPACKAGE TEST FAILED: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "run as root (debootstrap and chroot need it)"
[ -f "$DEB" ] || fail "$DEB does not exist: run 'make package' first"

missing=()
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v lintian >/dev/null || missing+=(lintian)
if [ ${#missing[@]} -gt 0 ]; then
    step "installing ${missing[*]} on the build machine (test tools only)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

# The Debian mirror this machine uses (deb822 URIs: or one-line deb entries), else Debian's CDN.
if [ -z "${MIRROR:-}" ]; then
    MIRROR=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
        grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -n 1 | tr -d ' ' || true)
    MIRROR=${MIRROR:-http://deb.debian.org/debian}
fi

# --- 1. lintian ------------------------------------------------------------------------------------
step "lintian $DEB"
LINTIAN_OUT=$(lintian --allow-root --info "$DEB" 2>&1) && lintian_status=0 || lintian_status=$?
[ -z "$LINTIAN_OUT" ] || printf '%s\n' "$LINTIAN_OUT" | sed 's/^/    /'
if printf '%s\n' "$LINTIAN_OUT" | grep -q '^E: '; then
    fail "lintian reports errors"
fi
[ "$lintian_status" = 0 ] || fail "lintian exited with status $lintian_status"
pass "no lintian errors ($(printf '%s\n' "$LINTIAN_OUT" | grep -c '^W: ' || true) warnings, $(printf '%s\n' "$LINTIAN_OUT" | grep -c '^I: ' || true) info)"

# --- 2. A throwaway Debian root ----------------------------------------------------------------
ROOT=$(mktemp -d /tmp/secrets-delegate-package-test.XXXXXX)
cleanup() {
    local status=$?
    for mount in "$ROOT/proc" "$ROOT/dev/pts"; do
        if mountpoint -q "$mount" 2>/dev/null; then umount -l "$mount" || true; fi
    done
    if [ "${KEEP_ROOT:-0}" = 1 ]; then
        echo "kept the test root at $ROOT"
    else
        # --one-file-system: never follow a mount that failed to go away.
        rm -rf --one-file-system "$ROOT"
    fi
    exit "$status"
}
trap cleanup EXIT

mkdir -p "$CACHE_DIR"
ROOTFS_CACHE="$CACHE_DIR/$SUITE-minbase-$ARCH-$(printf '%s' "$MIRROR" | md5sum | cut -c1-8).tar"
if [ -f "$ROOTFS_CACHE" ]; then
    step "unpacking the cached $SUITE minbase root ($ROOTFS_CACHE)"
    tar -C "$ROOT" -xpf "$ROOTFS_CACHE"
else
    step "debootstrap --variant=minbase $SUITE from $MIRROR (cached afterwards)"
    debootstrap --variant=minbase --arch="$ARCH" "$SUITE" "$ROOT" "$MIRROR" >"$CACHE_DIR/debootstrap.log" 2>&1 ||
        { tail -n 30 "$CACHE_DIR/debootstrap.log" >&2; fail "debootstrap failed (log: $CACHE_DIR/debootstrap.log)"; }
    tar -C "$ROOT" -cpf "$ROOTFS_CACHE.tmp" . && mv "$ROOTFS_CACHE.tmp" "$ROOTFS_CACHE"
fi
# The root's / must be 0755 (mktemp made it 0700), or only root could use anything in it.
chmod 0755 "$ROOT"
pass "Debian $(cat "$ROOT/etc/debian_version") root in $ROOT"

mount -t proc proc "$ROOT/proc" 2>/dev/null || echo "    (could not mount /proc in the root; continuing without it)"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
# Nothing may start services inside the root.
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod 0755 "$ROOT/usr/sbin/policy-rc.d"
cp "$DEB" "$ROOT/tmp/"
DEB_IN_ROOT="/tmp/$(basename "$DEB")"

in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive "$@"; }

# --- 3. Install ----------------------------------------------------------------------------------
step "apt-get install ./$(basename "$DEB") in the root"
in_root apt-get update -qq >"$CACHE_DIR/apt-update.log" 2>&1 ||
    { cat "$CACHE_DIR/apt-update.log" >&2; fail "apt-get update failed in the root"; }
if ! in_root sh -c "cd /tmp && apt-get install -y ./$(basename "$DEB")" >"$CACHE_DIR/apt-install.log" 2>&1; then
    tail -n 40 "$CACHE_DIR/apt-install.log" >&2
    fail "apt-get install failed (log: $CACHE_DIR/apt-install.log)"
fi
grep -E '^(Setting up|Unpacking) secrets-delegate' "$CACHE_DIR/apt-install.log" | sed 's/^/    /'
# (apt's "Can not write log (Is /dev/pts mounted?)" is the chroot's, not the package's.)
grep -iE "^(W|E):|warning" "$CACHE_DIR/apt-install.log" | grep -v -e '/dev/pts' -e 'unsandboxed' | sed 's/^/    apt: /' || true
in_root dpkg-query -W -f='${Status}\n' "$PACKAGE" | grep -qx 'install ok installed' ||
    fail "dpkg does not list $PACKAGE as installed"
pass "installed with its dependencies: $(in_root dpkg-query -W -f='${Depends}' "$PACKAGE")"

# --- 4. It works ---------------------------------------------------------------------------------
step "checks"
got=$(in_root secrets-delegate --version) || fail "secrets-delegate --version failed"
[ "$got" = "$VERSION" ] || fail "secrets-delegate --version printed '$got', expected $VERSION"
pass "secrets-delegate --version: $got"

if in_root ldd /usr/bin/secrets-delegate | grep -E 'not found|libswift|libFoundation|libdispatch' >&2; then
    fail "the installed binary lacks shared libraries (above)"
fi
pass "ldd: every library resolves, none of them Swift's"

in_root secrets-delegate check-config --config /etc/secrets-delegate/delegate.toml >"$CACHE_DIR/check-config.out" 2>&1 ||
    { cat "$CACHE_DIR/check-config.out" >&2; fail "check-config rejects the shipped /etc/secrets-delegate/delegate.toml"; }
pass "check-config accepts the shipped /etc/secrets-delegate/delegate.toml"
in_root secrets-delegate check-config >/dev/null 2>&1 || fail "check-config (default path) failed"

in_root getent passwd secrets-delegate >/dev/null || fail "no secrets-delegate user (sysusers.d did not run)"
in_root getent group secrets-delegate >/dev/null || fail "no secrets-delegate group"
pass "system user and group: $(in_root getent passwd secrets-delegate)"

# The daemon's user can read its configuration (statoverride root:secrets-delegate 0750/0640).
in_root runuser -u secrets-delegate -- secrets-delegate check-config --config /etc/secrets-delegate/delegate.toml >/dev/null 2>&1 ||
    fail "the secrets-delegate user cannot read /etc/secrets-delegate/delegate.toml"
pass "the secrets-delegate user reads the configuration"

expect_stat() { # path expected-'%a %U:%G'
    local got
    got=$(in_root stat -c '%a %U:%G' "$1" 2>/dev/null) || fail "$1 is missing"
    [ "$got" = "$2" ] || fail "$1 is $got, expected $2"
    pass "$1 $got"
}
expect_stat /etc/secrets-delegate "750 root:secrets-delegate"
expect_stat /etc/secrets-delegate/delegate.toml "640 root:secrets-delegate"
expect_stat /etc/secrets-delegate/credentials "750 root:secrets-delegate"
expect_stat /var/lib/secrets-delegate/spool/tmp "2770 secrets-delegate:secrets-delegate"
expect_stat /var/lib/secrets-delegate/spool/new "2770 secrets-delegate:secrets-delegate"
expect_stat /var/lib/secrets-delegate/spool/done "2770 secrets-delegate:secrets-delegate"

in_root dpkg-query -W -f='${Conffiles}\n' "$PACKAGE" | grep -q '/etc/secrets-delegate/delegate.toml' ||
    fail "/etc/secrets-delegate/delegate.toml is not a conffile"
pass "/etc/secrets-delegate/delegate.toml is a conffile"

for path in /usr/bin/secrets-delegate \
    /lib/systemd/system/secrets-delegate.service /lib/systemd/system/secrets-delegate.socket \
    /usr/lib/sysusers.d/secrets-delegate.conf /usr/lib/tmpfiles.d/secrets-delegate.conf \
    /usr/share/man/man1/secrets-delegate.1.gz \
    /usr/share/bash-completion/completions/secrets-delegate \
    /usr/share/zsh/vendor-completions/_secrets-delegate \
    /usr/share/fish/vendor_completions.d/secrets-delegate.fish \
    /usr/share/doc/secrets-delegate/copyright /usr/share/doc/secrets-delegate/changelog.gz; do
    in_root dpkg -S "$path" >/dev/null 2>&1 || fail "$path is not installed by the package"
done
pass "units, sysusers/tmpfiles, man page, completions and docs are in place"
in_root sh -c 'zcat /usr/share/man/man1/secrets-delegate.1.gz' | grep -q 'check-config' ||
    fail "the man page does not document check-config"
in_root grep -q 'check-config' /usr/share/bash-completion/completions/secrets-delegate ||
    fail "the bash completion does not know check-config"
in_root grep -q '^ExecStart=/usr/bin/secrets-delegate ' /lib/systemd/system/secrets-delegate.service ||
    fail "the unit does not start /usr/bin/secrets-delegate"
if in_root sh -c 'command -v systemd-analyze' >/dev/null 2>&1; then
    in_root systemd-analyze verify --man=no /lib/systemd/system/secrets-delegate.socket /lib/systemd/system/secrets-delegate.service \
        >"$CACHE_DIR/verify.log" 2>&1 || { cat "$CACHE_DIR/verify.log" >&2; fail "systemd-analyze verify fails on the installed units"; }
    pass "systemd-analyze verify: the installed units are clean"
fi
[ -L "$ROOT/etc/systemd/system/multi-user.target.wants/secrets-delegate.service" ] ||
    fail "secrets-delegate.service is not enabled"
[ -L "$ROOT/etc/systemd/system/sockets.target.wants/secrets-delegate.socket" ] ||
    fail "secrets-delegate.socket is not enabled"
pass "secrets-delegate.service and .socket are enabled"

# The daemon itself: started as secrets-delegate (as the unit does), it opens its spool and
# socket, answers a status query, and stops with status 0 on SIGTERM.
step "the daemon runs as secrets-delegate and answers on its socket"
SMOKE=/tmp/smoke
mkdir -p "$ROOT$SMOKE"
cat >"$ROOT$SMOKE/delegate.toml" <<TOML
[delegate]
name = "package-test"
[queue]
spool_dir = "$SMOKE/spool"
socket_path = "$SMOKE/delegate.sock"
[identity]
sources = ["environment"]
TOML
chmod 0644 "$ROOT$SMOKE/delegate.toml"
in_root chown secrets-delegate:secrets-delegate "$SMOKE"
uid=$(in_root id -u secrets-delegate)
gid=$(in_root id -g secrets-delegate)
chroot --userspec="$uid:$gid" "$ROOT" /usr/bin/env -i PATH=/usr/bin:/bin \
    secrets-delegate run --config "$SMOKE/delegate.toml" 2>"$CACHE_DIR/daemon.log" &
daemon=$!
for _ in $(seq 100); do [ -S "$ROOT$SMOKE/delegate.sock" ] && break; sleep 0.1; done
if ! status=$(in_root secrets-delegate status --socket "$SMOKE/delegate.sock" 2>&1); then
    kill "$daemon" 2>/dev/null || true
    cat "$CACHE_DIR/daemon.log" >&2
    fail "the daemon does not answer on its socket: $status"
fi
grep -q '"name" : "package-test"' <<<"$status" || { kill "$daemon" 2>/dev/null || true; fail "unexpected status: $status"; }
pass "status over the socket: $(tr -d ' \n' <<<"$status" | cut -c1-100)..."
kill -TERM "$daemon"
daemon_status=0
wait "$daemon" || daemon_status=$?
[ "$daemon_status" = 0 ] || { cat "$CACHE_DIR/daemon.log" >&2; fail "the daemon exited with $daemon_status on SIGTERM"; }
pass "SIGTERM: the daemon stops with status 0"

# --- 5. Upgrade/reinstall keeps the operator's configuration; purge cleans up -------------------
step "reinstall with an edited configuration, then purge"
echo '# edited by the operator' >>"$ROOT/etc/secrets-delegate/delegate.toml"
in_root sh -c "cd /tmp && apt-get install -y --reinstall -o Dpkg::Options::=--force-confold ./$(basename "$DEB")" \
    >"$CACHE_DIR/apt-reinstall.log" 2>&1 || { tail -n 30 "$CACHE_DIR/apt-reinstall.log" >&2; fail "reinstall failed"; }
tail -n 1 "$ROOT/etc/secrets-delegate/delegate.toml" | grep -q 'edited by the operator' ||
    fail "reinstalling lost the operator's edit of delegate.toml"
expect_stat /etc/secrets-delegate/delegate.toml "640 root:secrets-delegate"
pass "reinstall keeps the edited conffile and its permissions"

in_root apt-get purge -y "$PACKAGE" >"$CACHE_DIR/apt-purge.log" 2>&1 ||
    { tail -n 30 "$CACHE_DIR/apt-purge.log" >&2; fail "apt-get purge failed"; }
for path in /usr/bin/secrets-delegate /etc/secrets-delegate /var/lib/secrets-delegate \
    /etc/systemd/system/multi-user.target.wants/secrets-delegate.service; do
    if [ -e "$ROOT$path" ] || [ -L "$ROOT$path" ]; then fail "$path is left after purge"; fi
done
in_root dpkg-statoverride --list | grep -q secrets-delegate && fail "statoverrides are left after purge"
pass "purge removes the binary, the configuration, the spool and the overrides"

printf '\nPACKAGE TEST PASSED: %s installs, works and purges on a fresh Debian %s.\n' "$(basename "$DEB")" "$SUITE"
