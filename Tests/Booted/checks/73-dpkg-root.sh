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
run_scripts() { # run_scripts DPKG_ROOT_VALUE
    : >"$calls"
    for step in "postinst configure 0.0.1" "prerm remove" "postrm remove"; do
        set -- $step
        PATH="$stubs:$PATH" DPKG_ROOT="$DPKG" sh "$info.$1" "$2" ${3:+"$3"} >/dev/null 2>&1 ||
            echo "status $? from $step" >>"$calls"
    done
    grep -cE '^(systemctl|deb-systemd-invoke|secrets-delegate) ' "$calls"
}
DPKG=""
host=$(run_scripts)
[ "$host" -gt 0 ] && ok "without DPKG_ROOT the scripts act on the host's units ($host calls, stubbed)" ||
    fail "the stubs saw no unit calls without DPKG_ROOT: $(tr '\n' ';' <"$calls")"
DPKG=/tmp/dpkg-root-check
mkdir -p "$DPKG"
expect_eq "calls on the host's units with DPKG_ROOT set" "$(run_scripts)" 0
grep -q '^status' "$calls" && fail "a script failed with DPKG_ROOT: $(tr '\n' ';' <"$calls")" ||
    ok "the scripts ran with DPKG_ROOT set"
rm -rf "$stubs" "$DPKG"
