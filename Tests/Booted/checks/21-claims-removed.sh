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
