# The spool layout belongs to tmpfiles: a missing directory is recreated by the hardened daemon
# (without the setgid bit it may not set, with a warning); a spool it cannot use stops it with
# exit 78 and the reason in `systemctl status`.
rmdir /var/lib/secrets-delegate/spool/done
journal_mark layout -p warning
systemctl restart secrets-delegate.service
expect_eq "service after restart with done/ missing" "$(systemctl is-active secrets-delegate.service)" active
expect_eq "done/ recreated by the daemon" "$(stat -c '%a %U:%G' /var/lib/secrets-delegate/spool/done 2>&1)" "770 secrets-delegate:secrets-delegate"
setgid_warning() { journal_since layout -p warning | grep -q 'setgid'; }
wait_until 30 setgid_warning &&
    ok "a warning says the setgid bit is missing and how to restore it" || fail "no warning about the missing setgid bit"
systemd-tmpfiles --create secrets-delegate.conf
expect_eq "systemd-tmpfiles restores done/" "$(stat -c '%a' /var/lib/secrets-delegate/spool/done)" 2770

chown root:root /var/lib/secrets-delegate/spool/new
chmod 0755 /var/lib/secrets-delegate/spool/new
systemctl restart secrets-delegate.service 2>/dev/null
expect_stopped_for_good "with new/ owned by root 0755"
status_text=$(systemctl status secrets-delegate.service --no-pager -l 2>&1)
echo "$status_text" >"$LOGS/layout-status.txt"
grep -q 'cannot use the spool.*/var/lib/secrets-delegate/spool/new' <<<"$status_text" &&
    ok "systemctl status names the path and the reason" || fail "systemctl status lacks the reason: $(head -n 12 <<<"$status_text" | tr '\n' '|')"
systemd-tmpfiles --create secrets-delegate.conf
systemctl reset-failed secrets-delegate.service
systemctl start secrets-delegate.service
expect_eq "service after systemd-tmpfiles repaired the layout" "$(systemctl is-active secrets-delegate.service)" active

# The configuration's directories are the administrator's once made: tmpfiles creates them but
# keeps a later mode or owner (":" in the tmpfiles line), where it puts the spool's back.
chmod 0710 /etc/secrets-delegate/credentials /etc/secrets-delegate/connectors.d
chgrp root /etc/secrets-delegate/connectors.d
chmod 0700 /var/lib/secrets-delegate/spool/cur
systemd-tmpfiles --create secrets-delegate.conf
expect_eq "credentials/ keeps the administrator's mode" "$(stat -c '%a %U:%G' /etc/secrets-delegate/credentials)" "710 root:secrets-delegate"
expect_eq "connectors.d keeps the administrator's mode and group" "$(stat -c '%a %U:%G' /etc/secrets-delegate/connectors.d)" "710 root:root"
expect_eq "the spool's cur/ is put back" "$(stat -c '%a' /var/lib/secrets-delegate/spool/cur)" 750
rmdir /etc/secrets-delegate/connectors.d
systemd-tmpfiles --create secrets-delegate.conf
expect_eq "a missing connectors.d is made as packaged" "$(stat -c '%a %U:%G' /etc/secrets-delegate/connectors.d)" "750 root:secrets-delegate"
chmod 0750 /etc/secrets-delegate/credentials

# Root starting a delegate by hand on the packaged spool (its delegates run as secrets-delegate)
# is refused before it claims anything: producers would take none of its results for a
# delegate's.
printf '[delegate]\nname = "by-hand"\n[queue]\nsocket_path = ""\ncredentials_socket_path = ""\n' >/root/by-hand.toml
by_hand=$(timeout 30 secrets-delegate run --config /root/by-hand.toml 2>&1)
by_hand_status=$?
echo "$by_hand" >"$LOGS/by-hand-run.txt"
expect_eq "a root delegate on the packaged spool exits" "$by_hand_status" 78
grep -q 'belongs to uid [0-9]*, the spool.s delegates. user, and this delegate runs as uid 0' <<<"$by_hand" &&
    ok "it says whose spool it is and who it runs as" || fail "no owner in: $(head -c 400 <<<"$by_hand")"
expect_eq "no claims directory made for it" "$(ls -d /var/lib/secrets-delegate/spool/cur/by-hand 2>&1 | grep -c 'No such')" 1
rm -f /root/by-hand.toml

# A spool_dir outside /var/lib/secrets-delegate, as README's row says: under the unit's
# ProtectSystem=strict the delegate stops (78, not restarted) and `systemctl status` names the
# path and ReadWritePaths=; with that drop-in it runs from there.
cp /etc/secrets-delegate/delegate.toml "$LOGS/delegate.toml.before-spool-elsewhere"
install -d -o secrets-delegate -g secrets-delegate -m 2770 /srv/boot-spool
# Under the packaged file's own [queue] (a second [queue] table is no TOML), and parsed, so that
# the stop below is the spool's, not a configuration error's.
sed -i 's|^\[queue\]$|[queue]\nspool_dir = "/srv/boot-spool"|' /etc/secrets-delegate/delegate.toml
secrets-delegate check-config >"$LOGS/spool-elsewhere-check.out" 2>&1
expect_eq "check-config of the spool elsewhere ($(grep -m 1 -i error "$LOGS/spool-elsewhere-check.out"))" "$(grep -c '^spool_dir = "/srv/boot-spool"' "$LOGS/spool-elsewhere-check.out")" 1
systemctl reset-failed secrets-delegate.service
systemctl restart secrets-delegate.service 2>/dev/null
expect_stopped_for_good "with a spool outside /var/lib and no ReadWritePaths="
status_text=$(systemctl status secrets-delegate.service --no-pager -l 2>&1)
echo "$status_text" >"$LOGS/spool-elsewhere-status.txt"
grep -q '/srv/boot-spool' <<<"$status_text" && grep -q 'ReadWritePaths=' <<<"$status_text" &&
    ok "systemctl status names the spool's path and ReadWritePaths=" ||
    fail "systemctl status lacks the path or ReadWritePaths=: $(grep -m 3 -e 'spool' <<<"$status_text" | tr '\n' '|')"
mkdir -p /etc/systemd/system/secrets-delegate.service.d
printf '[Service]\nReadWritePaths=/srv/boot-spool\n' >/etc/systemd/system/secrets-delegate.service.d/boot-spool.conf
systemctl daemon-reload
systemctl reset-failed secrets-delegate.service
systemctl start secrets-delegate.service
wait_until 30 systemctl --quiet is-active secrets-delegate.service
expect_eq "service with the spool elsewhere and its ReadWritePaths= drop-in" "$(systemctl is-active secrets-delegate.service)" active
expect_eq "the spool's done/ made there" "$(stat -c '%U' /srv/boot-spool/done 2>&1)" secrets-delegate
rm -f /etc/systemd/system/secrets-delegate.service.d/boot-spool.conf
cp "$LOGS/delegate.toml.before-spool-elsewhere" /etc/secrets-delegate/delegate.toml
systemctl daemon-reload
restart_delegate
wait_until 30 systemctl --quiet is-active secrets-delegate.service
expect_eq "service with the spool back in /var/lib" "$(systemctl is-active secrets-delegate.service)" active
rm -rf /srv/boot-spool

# A spool_dir under /root, which ProtectHome=yes hides: stopped for good (78) with a status naming
# ProtectHome, not restarted as a passing I/O failure. One under /tmp: the service's own (its
# PrivateTmp=yes), which producers do not see: it runs, and the start warns of it.
for spool in /root/boot-spool /tmp/boot-spool; do
    sed -i "s|^\[queue\]\$|[queue]\nspool_dir = \"$spool\"|" /etc/secrets-delegate/delegate.toml
    journal_mark "spool-${spool//\//-}" -p warning
    systemctl reset-failed secrets-delegate.service
    systemctl restart secrets-delegate.service 2>/dev/null
    if [ "$spool" = /root/boot-spool ]; then
        expect_stopped_for_good "with a spool under /root"
        status_text=$(systemctl status secrets-delegate.service --no-pager -l 2>&1)
        grep -q 'cannot be reached' <<<"$status_text" && grep -q 'ProtectHome=yes' <<<"$status_text" &&
            ok "systemctl status says a spool under /root cannot be reached, naming ProtectHome=yes" ||
            fail "systemctl status of a spool under /root: $(grep -m 3 -e 'spool' <<<"$status_text" | tr '\n' '|')"
    else
        wait_until 30 systemctl --quiet is-active secrets-delegate.service
        private_tmp() { journal_since "spool-${spool//\//-}" -p warning | grep -q "spool_dir $spool is under /tmp or /var/tmp"; }
        wait_until 30 private_tmp && ok "a spool under /tmp runs, and the start warns it is the service's own /tmp" ||
            fail "no PrivateTmp warning for $spool: $(journal_since "spool-${spool//\//-}" -p warning | tr '\n' ' ' | head -c 600); the service's /tmp mounts: $(awk '$5 == "/tmp"' "/proc/$(unit_prop secrets-delegate.service MainPID)/mountinfo" | head -c 400)"
        # Running: active after the warning, its spool made in its own /tmp (seen through its
        # root, /proc/PID/root, which is in its mount namespace), and not in the host's.
        expect_eq "the delegate with a spool under /tmp, after the warning" \
            "$(systemctl is-active secrets-delegate.service)" active
        main_pid=$(unit_prop secrets-delegate.service MainPID)
        [ -d "/proc/$main_pid/root$spool/new" ] && ok "its spool $spool/new is in the service's own /tmp" ||
            fail "no $spool/new in the /tmp of the delegate's process $main_pid"
        [ ! -e "$spool" ] && ok "the host's /tmp has no $spool: the delegate's is private" ||
            fail "$spool is in the host's /tmp"
    fi
    cp "$LOGS/delegate.toml.before-spool-elsewhere" /etc/secrets-delegate/delegate.toml
done
systemctl reset-failed secrets-delegate.service
restart_delegate
wait_until 30 systemctl --quiet is-active secrets-delegate.service
expect_eq "service with the spool back in /var/lib again" "$(systemctl is-active secrets-delegate.service)" active

# A reload that moves [credentials] directory under /tmp warns of it at that reload (the usual way
# to change it); the file is put back, and reloaded, after. (Under the packaged file's bare
# [credentials] header, whose `directory` is commented out: one set there would be a duplicate key.)
sed -i 's|^\[credentials\]$|[credentials]\ndirectory = "/tmp/boot-keys"|' /etc/secrets-delegate/delegate.toml
journal_mark reload-private-tmp -p warning
reload_delegate
reload_tmp() { journal_since reload-private-tmp -p warning | grep -q 'directory /tmp/boot-keys is under /tmp or /var/tmp'; }
wait_until 10 reload_tmp && ok "a reload that moves [credentials] directory under /tmp warns of it" ||
    fail "no PrivateTmp warning at the reload: $(journal_since reload-private-tmp -p warning | tr '\n' ' ' | head -c 600)"
cp "$LOGS/delegate.toml.before-spool-elsewhere" /etc/secrets-delegate/delegate.toml
reload_delegate
