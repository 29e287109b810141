# A second boot: what the package set up must come back by itself (the first boot installed it
# into a running system, so only a reboot proves its units enabled, their order at boot and
# tmpfiles' work there). This check leaves a state behind and asks the probe for a reboot
# (`$HERE/reboot`); 66-after-reboot looks at it in the next boot:
# - the delegate stopped, a spool task waiting in new/ (it runs at the next start, the boot's);
# - a unit enabled for multi-user.target that loads its credential from the delegate at boot;
# - the spool's new/ without its setgid bit (systemd-tmpfiles puts it back at boot, before the
#   delegate starts);
# - a oneshot ordered after the sockets and before the delegate, which records what
#   /run/secrets-delegate and new/ are then (tmpfiles' work, not the delegate's own
#   RuntimeDirectory=, which would make the run directory its own as well).
unit_credential_config boot-at-boot bootcred.service
restart_delegate
expect_eq "delegate before the reboot" "$(systemctl is-active secrets-delegate.service)" active
credential_unit bootcred.service bootcred
printf '\n[Install]\nWantedBy=multi-user.target\n' >>/etc/systemd/system/bootcred.service
systemctl daemon-reload
systemctl enable bootcred.service 2>"$LOGS/bootcred-enable.err"
expect_eq "bootcred.service enabled" "$(systemctl is-enabled bootcred.service)" enabled
# Its setup works in this boot; the copy is removed so that the next boot's is its own.
timeout 60 systemctl start bootcred.service
expect_credential bootcred "bootcred.service's credential before the reboot"
rm -f "$LOGS/bootcred-credential"

cat >/etc/systemd/system/boot-before-delegate.service <<UNIT
[Unit]
After=sockets.target
Before=secrets-delegate.service
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'stat -c "%%a %%U:%%G" /run/secrets-delegate >$LOGS/run-dir-before-delegate; stat -c %%a /var/lib/secrets-delegate/spool/new >$LOGS/new-before-delegate'
[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable boot-before-delegate.service 2>>"$LOGS/bootcred-enable.err"
expect_eq "boot-before-delegate.service enabled" "$(systemctl is-enabled boot-before-delegate.service)" enabled

systemctl stop secrets-delegate.service
expect_eq "delegate stopped for the reboot" "$(systemctl is-active secrets-delegate.service)" inactive
submit reboot-task "{\"id\":\"boot-across-reboot\",\"connector\":$(connector '["boot"]'),\"operation\":\"getSecretValue\",\"params\":{\"name\":\"db#password\"}}" --spool /var/lib/secrets-delegate/spool
expect_eq "a spool task queued while the delegate is stopped (submit's status)" "$?" 0
[ -f /var/lib/secrets-delegate/spool/new/boot-across-reboot.json ] && ok "it waits in new/" ||
    fail "it is not in new/: $(ls /var/lib/secrets-delegate/spool/new | head -c 200)"
chmod g-s /var/lib/secrets-delegate/spool/new  # (a numeric mode keeps a directory's setgid bit)
expect_eq "new/ without its setgid bit" "$(stat -c '%a' /var/lib/secrets-delegate/spool/new)" 770
date +%s >"$HERE/reboot"
ok "a reboot asked for"
