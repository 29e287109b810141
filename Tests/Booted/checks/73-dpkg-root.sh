# A chrootless install (dpkg with DPKG_ROOT, as mmdebstrap uses) on a host that runs systemd must
# not touch the host's units: the maintainer scripts act on the host's systemd only without
# DPKG_ROOT. Every command the scripts run is a stub here that records its call; the same run
# without DPKG_ROOT records the unit calls, so the stubs are seen to catch them.
stubs=$(mktemp -d)
calls="$stubs/calls"
for command in systemd-sysusers systemd-tmpfiles dpkg-statoverride deb-systemd-helper deb-systemd-invoke \
    systemctl secrets-delegate setpriv runuser; do
    printf '#!/bin/sh\necho "%s $*" >>"%s"\nexit 0\n' "$command" "$calls" >"$stubs/$command"
    chmod 0755 "$stubs/$command"
done
info=/var/lib/dpkg/info/secrets-delegate
run_scripts() { # run_scripts STEP... (DPKG_ROOT from $DPKG)
    : >"$calls"
    for step in "$@"; do
        set -- $step
        PATH="$stubs:$PATH" DPKG_ROOT="$DPKG" sh "$info.$1" "$2" ${3:+"$3"} >/dev/null 2>&1 ||
            echo "status $? from $step" >>"$calls"
    done
    grep -cE '^(systemctl|deb-systemd-invoke|secrets-delegate) ' "$calls"
}
DPKG=""
host=$(run_scripts "postinst configure 0.0.1" "prerm remove" "postrm remove")
[ "$host" -gt 0 ] && ok "without DPKG_ROOT the scripts act on the host's units ($host calls, stubbed)" ||
    fail "the stubs saw no unit calls without DPKG_ROOT: $(tr '\n' ';' <"$calls")"
DPKG=/tmp/dpkg-root-check
mkdir -p "$DPKG/var/lib/secrets-delegate/spool/new"
# A purge too (not run on the host above: it would delete the host's spool): it removes the
# target's state and leaves the host's.
touch "$DPKG/var/lib/secrets-delegate/spool/new/target-marker" /var/lib/secrets-delegate/spool/host-marker
expect_eq "calls on the host's units with DPKG_ROOT set" \
    "$(run_scripts "postinst configure 0.0.1" "prerm remove" "postrm remove" "postrm purge")" 0
[ -e /var/lib/secrets-delegate/spool/host-marker ] && ok "a purge with DPKG_ROOT left the host's spool" ||
    fail "a purge with DPKG_ROOT deleted the host's /var/lib/secrets-delegate"
[ -e "$DPKG/var/lib/secrets-delegate" ] && fail "a purge with DPKG_ROOT left the target's /var/lib/secrets-delegate" ||
    ok "a purge with DPKG_ROOT removed the target's state"
rm -f /var/lib/secrets-delegate/spool/host-marker
grep -q '^status' "$calls" && fail "a script failed with DPKG_ROOT: $(tr '\n' ';' <"$calls")" ||
    ok "the scripts ran with DPKG_ROOT set"
rm -rf "$DPKG"

# The configuration's group under DPKG_ROOT is the target's, by its number: dpkg-statoverride (the
# real one now) looks names up on the machine it runs on, where the group has another number.
DPKG=/tmp/dpkg-root-group
mkdir -p "$DPKG/var/lib/dpkg" "$DPKG/etc/secrets-delegate"
: >"$DPKG/var/lib/dpkg/statoverride"
target_gid=$(($(getent group secrets-delegate | cut -d: -f3) + 1))
printf 'root:x:0:\nsecrets-delegate:x:%s:\n' "$target_gid" >"$DPKG/etc/group"
printf '# the target\n' >"$DPKG/etc/secrets-delegate/delegate.toml"
rm "$stubs/dpkg-statoverride"
run_scripts "postinst configure" >/dev/null
grep -q '^status' "$calls" && fail "postinst configure with DPKG_ROOT and the real dpkg-statoverride failed: $(tr '\n' ';' <"$calls")" ||
    ok "postinst configure with DPKG_ROOT and the real dpkg-statoverride"
expect_eq "the target's delegate.toml (owner:group mode)" "$(stat -c '%u:%g %a' "$DPKG/etc/secrets-delegate/delegate.toml")" "0:$target_gid 640"
expect_eq "the target's /etc/secrets-delegate (owner:group mode)" "$(stat -c '%u:%g %a' "$DPKG/etc/secrets-delegate")" "0:$target_gid 750"
rm -rf "$stubs" "$DPKG"
