# The boot after 65-reboot: nothing was started by hand. The delegate and its sockets came up
# enabled, once (no restart: a first boot of the package once crash-looped), tmpfiles made the
# run directory and put the spool's mode back before the delegate started, the task queued while
# it was stopped ran, and a unit that loads its credential from the delegate at boot has it.
[ -f "$HERE/rebooted" ] && ok "this is the boot after the reboot 65-reboot asked for ($(cat /proc/sys/kernel/random/boot_id))" ||
    fail "no reboot happened: the probe did not resume"
expect_eq "secrets-delegate.service at boot" "$(systemctl is-active secrets-delegate.service)" active
expect_eq "restarts at boot" "$(unit_prop secrets-delegate.service NRestarts)" 0
expect_eq "started events in this boot" "$(delegate_journal MESSAGE_ID=1382b608f94f42d0b0db0c186a2e0e75 | wc -l)" 1
expect_eq "ready events in this boot" "$(delegate_journal MESSAGE_ID=b20d32c7a798457797805155f571e76b | wc -l)" 1
for unit in secrets-delegate.socket secrets-delegate-credentials.socket; do
    expect_eq "$unit at boot" "$(systemctl is-active "$unit")" active
done
expect_eq "/run/secrets-delegate before the delegate started (tmpfiles')" "$(cat "$LOGS/run-dir-before-delegate" 2>&1)" "750 secrets-delegate:secrets-delegate"
expect_eq "spool new/ before the delegate started (put back by tmpfiles)" "$(cat "$LOGS/new-before-delegate" 2>&1)" 2770
expect_eq "spool new/ now" "$(stat -c '%a' /var/lib/secrets-delegate/spool/new)" 2770
expect_eq "warnings about the spool's modes in this boot" "$(delegate_journal | grep -c 'spool directory has mode')" 0
result=/var/lib/secrets-delegate/spool/done/boot-across-reboot.json
wait_until 60 test -f "$result" && ok "the task queued before the reboot has its result" || fail "no result for the task queued before the reboot"
grep -q '"status":"succeeded"' "$result" 2>/dev/null && grep -qF "$(canary)" "$result" &&
    ok "it succeeded with the secret" || fail "its result: $(grep -oE '"(status|code|message)":"[^"]*"' "$result" 2>&1 | tr '\n' ' ')"
expect_eq "bootcred.service at boot" "$(systemctl is-active bootcred.service)" active
expect_credential bootcred "bootcred.service's credential, loaded at boot"
expect_eq "credential-served entries for bootcred.service in this boot" \
    "$(delegate_journal MESSAGE_ID=e55db4e34ab243a295689df89ea6c2ad UNIT=bootcred.service | wc -l)" 1

expect_eq "journal entries (any field) of this boot holding the secret value" "$(journal_leaks boot "$(canary)")" 0

systemctl disable --now bootcred.service boot-before-delegate.service 2>/dev/null
rm -f /etc/systemd/system/bootcred.service /etc/systemd/system/boot-before-delegate.service "$result"
systemctl daemon-reload
write_config "$IMDS_GOOD" '"boot"'
restart_delegate
expect_eq "delegate after this check's cleanup" "$(systemctl is-active secrets-delegate.service)" active
