# cur/<delegate>/ removed while the delegate runs: no spool task can be claimed until a start
# makes it again, so the delegate stops with 69 (a critical line says why) and systemd's
# Restart=on-failure starts it again; a task dropped meanwhile then runs.
spool=/var/lib/secrets-delegate/spool
wait_until 30 systemctl --quiet is-active secrets-delegate.service
restarts=$(unit_prop secrets-delegate.service NRestarts)
pid=$(unit_prop secrets-delegate.service MainPID)
journal_mark claims -p crit
rm -rf "$spool/cur/boot-delegate"
submit claims-removed "{\"id\":\"boot-claims-removed\",\"connector\":$(connector '["boot"]'),\"operation\":\"getSecretValue\",\"params\":{\"name\":\"db\"}}" \
    --wait --timeout 50 --spool "$spool"
expect_eq "a spool task dropped after cur/boot-delegate was removed, run after the restart" "$?" 0
expect_eq "restarts after cur/boot-delegate was removed" "$(unit_prop secrets-delegate.service NRestarts)" "$((restarts + 1))"
[ "$(unit_prop secrets-delegate.service MainPID)" != "$pid" ] && ok "another process serves" || fail "the same process $pid serves"
expect_eq "cur/boot-delegate made again" "$(stat -c '%U %a' "$spool/cur/boot-delegate" 2>&1)" "secrets-delegate 750"
claims_line() { journal_since claims -p crit | grep -q "claims directory was removed while it ran; .*stopping, so that systemd starts the delegate again"; }
wait_until 30 claims_line && ok "a critical line says the claims directory was removed and the delegate stops for a start" ||
    fail "no critical line about the removed claims directory: $(journal_since claims -p crit | head -n 3 | tr '\n' '|')"

# A file system mounted over the spool after the start (a late NFS mount) shows at the path no
# cur/boot-delegate/, or another than the one this process locked: the delegate's look (every
# rescan interval) finds it with no task coming, says so (not "removed"), and stops for a start
# that takes the spool as it now is; so does the unmount (lazy: the delegate still holds the
# mount's directories open). A tmpfs stands in for the share.
wait_until 30 systemctl --quiet is-active secrets-delegate.service
restarts=$(unit_prop secrets-delegate.service NRestarts)
journal_mark mounted -p crit
replaced_line() { journal_since mounted -p crit | grep -c "is no longer the one it locked at the start"; }
if mount -t tmpfs -o "mode=0750,uid=$(id -u secrets-delegate),gid=$(id -g secrets-delegate)" boot-late-spool "$spool"; then
    wait_until 60 sh -c "[ \"\$(systemctl show -P NRestarts secrets-delegate.service)\" -gt $restarts ]" &&
        wait_until 30 systemctl --quiet is-active secrets-delegate.service &&
        ok "a file system mounted over the spool restarts the delegate" ||
        fail "no restart after a mount over the spool: NRestarts $(unit_prop secrets-delegate.service NRestarts), was $restarts"
    wait_until 30 sh -c "[ -d $spool/cur/boot-delegate ]"
    expect_eq "the spool made again on the mount" "$(findmnt -n -o SOURCE --target "$spool/cur/boot-delegate")" boot-late-spool
    # The delegate made the layout on the empty mount without the setgid bits (RestrictSUIDSGID=,
    # as check 15 shows), so a root-written task would not be readable by it: the packaged
    # layout's modes first, as an operator preparing a share would.
    systemd-tmpfiles --create secrets-delegate.conf ||
        fail "systemd-tmpfiles cannot lay the spool out on the mount"
    submit late-mount "{\"id\":\"boot-late-mount\",\"connector\":$(connector '["boot"]'),\"operation\":\"getSecretValue\",\"params\":{\"name\":\"db\"}}" \
        --wait --timeout 50 --spool "$spool"
    expect_eq "a spool task on the mounted spool" "$?" 0
    restarts=$(unit_prop secrets-delegate.service NRestarts)
    umount -l "$spool" || fail "cannot unmount the tmpfs at $spool"
    wait_until 60 sh -c "[ \"\$(systemctl show -P NRestarts secrets-delegate.service)\" -gt $restarts ]" &&
        wait_until 30 systemctl --quiet is-active secrets-delegate.service &&
        ok "the spool's file system unmounted from under the delegate restarts it" ||
        fail "no restart after the unmount: NRestarts $(unit_prop secrets-delegate.service NRestarts), was $restarts"
    both_lines() { [ "$(replaced_line)" -ge 2 ]; }
    wait_until 30 both_lines
    expect_eq "critical lines saying the claims directory is no longer the one locked" "$(replaced_line)" 2
    submit after-unmount "{\"id\":\"boot-after-unmount\",\"connector\":$(connector '["boot"]'),\"operation\":\"getSecretValue\",\"params\":{\"name\":\"db\"}}" \
        --wait --timeout 50 --spool "$spool"
    expect_eq "a spool task after the unmount" "$?" 0
else
    fail "cannot mount a tmpfs at $spool to stand in for a late mount"
fi
# (Three restarts in this check: the later checks start from a clean start-limit count.)
systemctl reset-failed secrets-delegate.service
