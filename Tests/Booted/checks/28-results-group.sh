# done/ with another group than the delegate's, which it joins through a drop-in's
# SupplementaryGroups=: a result is made beside the claims and given done/'s group (fchown passes
# the unit's system call filter), never written in done/ itself, where a producer could take its
# temporary name first; the delegate says so when it has to.
spool=/var/lib/secrets-delegate/spool
getent group boot-results >/dev/null || groupadd boot-results
dropin=/etc/systemd/system/secrets-delegate.service.d/boot-results-group.conf
mkdir -p "$(dirname "$dropin")"
printf '[Service]\nSupplementaryGroups=boot-results\n' >"$dropin"
systemctl daemon-reload
chgrp boot-results "$spool/done" && chmod 2770 "$spool/done"
# What a boot and every package configuration (an upgrade) run: done/'s group stays the operator's.
systemd-tmpfiles --create secrets-delegate.conf >"$LOGS/tmpfiles-results-group.log" 2>&1 ||
    fail "systemd-tmpfiles --create: $(head -c 300 "$LOGS/tmpfiles-results-group.log")"
expect_eq "done/'s group and mode after systemd-tmpfiles --create" "$(stat -c '%G %a' "$spool/done")" "boot-results 2770"
restart_delegate
wait_until 30 systemctl --quiet is-active secrets-delegate.service || fail "the delegate did not start with boot-results"
journal_mark results-group EVENT=results-written-in-done
submit results-group "{\"id\":\"boot-results-group\",\"connector\":$(connector '["boot"]'),\"operation\":\"getRandomPassword\"}" \
    --spool "$spool"
expect_eq "a spool task with done/ in another group (submit)" "$?" 0
wait_until 50 test -f "$spool/done/boot-results-group.json"
expect_eq "its result (group, mode)" "$(stat -c '%G %a' "$spool/done/boot-results-group.json" 2>&1)" "boot-results 640"
grep -q '"status":"succeeded"' "$spool/done/boot-results-group.json" && ok "the result is a success" ||
    fail "the result: $(head -c 300 "$spool/done/boot-results-group.json")"
expect_eq "notices that results went to done/ itself" "$(journal_since results-group EVENT=results-written-in-done | wc -l)" 0
rm -f "$spool/done/boot-results-group.json" "$dropin"
systemctl daemon-reload
chgrp secrets-delegate "$spool/done" && chmod 2770 "$spool/done"
restart_delegate
wait_until 30 systemctl --quiet is-active secrets-delegate.service || fail "the delegate did not start again without boot-results"
