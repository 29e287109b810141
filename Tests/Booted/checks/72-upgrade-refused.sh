# An upgrade whose new version refuses the configuration does not restart the delegate (which
# would then stop with exit 78 and stay down): the running one goes on, the package's
# configuration fails (apt says why and exits non-zero), and dpkg --configure -a finishes the
# upgrade, restarting the delegate, once the file is mended.
upgrade_refused() { # NAME: reinstalls the upgrade package; its apt output in $LOGS/apt-NAME.log; apt's status
    DEBIAN_FRONTEND=noninteractive apt-get install --reinstall -y -o Dpkg::Options::=--force-confold \
        "$HERE/debs/upgrade.deb" >"$LOGS/apt-$1.log" 2>&1
}
cp /etc/secrets-delegate/delegate.toml "$LOGS/delegate.toml.before-refused"
printf '\n[weather]\nsunny = true\n' >>/etc/secrets-delegate/delegate.toml
pid=$(unit_prop secrets-delegate.service MainPID)
if upgrade_refused upgrade-refused; then
    fail "apt-get install --reinstall with a refused configuration exited 0"
else
    ok "apt-get install --reinstall with a refused configuration exits non-zero"
fi
grep -q 'not restarted: the new version .* refuses the configuration' "$LOGS/apt-upgrade-refused.log" &&
    ok "apt's output says the delegate was not restarted" ||
    fail "no 'not restarted' in apt's output: $(tail -n 5 "$LOGS/apt-upgrade-refused.log" | tr '\n' ' ')"
grep -q '\[weather\]: unknown section' "$LOGS/apt-upgrade-refused.log" &&
    ok "and names the configuration error" || fail "the configuration error is not in apt's output"
expect_eq "the package's state after the refused upgrade" "$(dpkg-query -W -f='${Status}' secrets-delegate)" \
    "install ok half-configured"
expect_eq "the delegate's pid after the refused upgrade" "$(unit_prop secrets-delegate.service MainPID)" "$pid"
expect_eq "service after the refused upgrade" "$(systemctl is-active secrets-delegate.service)" active

# Mended: dpkg --configure -a configures the package and restarts the delegate.
cp "$LOGS/delegate.toml.before-refused" /etc/secrets-delegate/delegate.toml
if dpkg --configure -a >"$LOGS/dpkg-configure.log" 2>&1; then ok "dpkg --configure -a after the mend"; else
    fail "dpkg --configure -a after the mend: $(tail -n 5 "$LOGS/dpkg-configure.log" | tr '\n' ' ')"; fi
expect_eq "the package's state after the mend" "$(dpkg-query -W -f='${Status}' secrets-delegate)" "install ok installed"
expect_eq "service after the mend" "$(systemctl is-active secrets-delegate.service)" active
[ "$(unit_prop secrets-delegate.service MainPID)" != "$pid" ] && ok "the delegate was restarted by the mend" ||
    fail "the delegate was not restarted by dpkg --configure -a"
expect_eq "the mended delegate's executable (the unpacked file, not a replaced one)" \
    "$(readlink "/proc/$(unit_prop secrets-delegate.service MainPID)/exe")" /usr/libexec/secrets-delegate/secrets-delegated

# Without systemd running (a chroot, an image build) the check runs too: the unit files say the
# units are enabled, so the configuration fails rather than leave the first boot refusing it.
# (/run/systemd hidden in a mount namespace of its own stands for a system without systemd.)
offline_postinst() { # NAME: the package's postinst as dpkg runs it for an upgrade; output in $LOGS/NAME.log
    unshare -m sh -c 'mount -t tmpfs none /run/systemd && exec sh /var/lib/dpkg/info/secrets-delegate.postinst configure 0.1.0' \
        >"$LOGS/$1.log" 2>&1
}
printf '\n[weather]\nsunny = true\n' >>/etc/secrets-delegate/delegate.toml
pid=$(unit_prop secrets-delegate.service MainPID)
if offline_postinst postinst-offline-refused; then
    fail "postinst without systemd running took a configuration the new version refuses"
else
    ok "postinst without systemd running fails on a configuration the new version refuses"
fi
grep -q 'not restarted: the new version .* refuses the configuration' "$LOGS/postinst-offline-refused.log" &&
    grep -q '\[weather\]: unknown section' "$LOGS/postinst-offline-refused.log" &&
    ok "and says why" || fail "the offline postinst's output: $(tail -n 5 "$LOGS/postinst-offline-refused.log" | tr '\n' ' ')"
cp "$LOGS/delegate.toml.before-refused" /etc/secrets-delegate/delegate.toml
if offline_postinst postinst-offline; then ok "postinst without systemd running takes a good configuration"; else
    fail "postinst without systemd running on a good configuration: $(tail -n 5 "$LOGS/postinst-offline.log" | tr '\n' ' ')"; fi
expect_eq "the delegate's pid after the postinst without systemd (nothing restarted)" \
    "$(unit_prop secrets-delegate.service MainPID)" "$pid"

# The check runs as the daemon's user: a drop-in only root can read (which the daemon could not
# read either) is refused too, though root's check-config reads it.
install -d -m 0750 -o root -g secrets-delegate /etc/secrets-delegate/connectors.d
printf 'region = "us-east-1"\ncredentials = { type = "instanceRole" }\n' >/etc/secrets-delegate/connectors.d/rootonly.toml
chmod 0600 /etc/secrets-delegate/connectors.d/rootonly.toml
secrets-delegate check-config >/dev/null 2>&1 && ok "root's check-config takes the root-only drop-in" ||
    fail "root's check-config refuses the root-only drop-in"
pid=$(unit_prop secrets-delegate.service MainPID)
if upgrade_refused upgrade-unreadable; then
    fail "an upgrade with a drop-in the daemon cannot read exited 0"
else
    ok "an upgrade with a drop-in the daemon cannot read fails"
fi
grep -q 'rootonly.toml' "$LOGS/apt-upgrade-unreadable.log" && ok "and names the drop-in" ||
    fail "the unreadable drop-in is not named: $(tail -n 5 "$LOGS/apt-upgrade-unreadable.log" | tr '\n' ' ')"
expect_eq "the delegate's pid after the unreadable drop-in" "$(unit_prop secrets-delegate.service MainPID)" "$pid"
rm /etc/secrets-delegate/connectors.d/rootonly.toml
dpkg --configure -a >"$LOGS/dpkg-configure-2.log" 2>&1 && ok "dpkg --configure -a after removing the drop-in" ||
    fail "dpkg --configure -a after removing the drop-in: $(tail -n 5 "$LOGS/dpkg-configure-2.log" | tr '\n' ' ')"

# With no unit enabled or running, nothing is left refusing at the next boot: the refused
# configuration is reported, and the package is configured anyway.
units="secrets-delegate.socket secrets-delegate-credentials.socket secrets-delegate.service"
systemctl disable --now $units >"$LOGS/disable-units.log" 2>&1
expect_eq "units active after disable --now" "$(systemctl is-active $units | grep -cx active)" 0
printf '\n[weather]\nsunny = true\n' >>/etc/secrets-delegate/delegate.toml
if upgrade_refused upgrade-disabled; then ok "an upgrade refusing the configuration of disabled units exits 0"; else
    fail "an upgrade refusing the configuration of disabled units failed: $(tail -n 5 "$LOGS/apt-upgrade-disabled.log" | tr '\n' ' ')"; fi
grep -q 'no unit is enabled or running, so the package is configured anyway' "$LOGS/apt-upgrade-disabled.log" &&
    ok "apt's output says the package was configured anyway" ||
    fail "no 'configured anyway' in apt's output: $(tail -n 5 "$LOGS/apt-upgrade-disabled.log" | tr '\n' ' ')"
grep -q '\[weather\]: unknown section' "$LOGS/apt-upgrade-disabled.log" &&
    ok "and still names the configuration error" || fail "the configuration error is not in apt's output"
expect_eq "the package's state with disabled units" "$(dpkg-query -W -f='${Status}' secrets-delegate)" "install ok installed"
expect_eq "units active after that upgrade" "$(systemctl is-active $units | grep -cx active)" 0
expect_eq "units enabled after that upgrade (the operator's disable is kept)" \
    "$(systemctl is-enabled $units 2>/dev/null | grep -cx enabled)" 0
cp "$LOGS/delegate.toml.before-refused" /etc/secrets-delegate/delegate.toml
systemctl enable --now $units >"$LOGS/enable-units.log" 2>&1 || fail "systemctl enable --now: $(cat "$LOGS/enable-units.log")"
wait_until 30 systemctl --quiet is-active secrets-delegate.service
expect_eq "service at the end" "$(systemctl is-active secrets-delegate.service)" active
