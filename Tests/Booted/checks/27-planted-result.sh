# submit --spool --wait as a producer in the group: another producer's file planted at the
# result's name, which the waiter may not read, is waited past (not an error), and the delegate's
# result, which replaces it, is what the waiter gets.
spool=/var/lib/secrets-delegate/spool
# as_producer_submit ID [ARGS...]: a getRandomPassword task ID queued by boot-producer through
# submit --spool (ARGS: --wait, say); its output in $LOGS/ID.out and ID.err; its exit status.
as_producer_submit() {
    local id=$1; shift
    printf '%s\n' "{\"id\":\"$id\",\"connector\":$(connector '["boot"]'),\"operation\":\"getRandomPassword\"}" |
        setpriv --reuid=boot-producer --regid=boot-producer --init-groups \
            timeout 60 secrets-delegate submit --spool "$spool" "$@" - >"$LOGS/$id.out" 2>"$LOGS/$id.err"
}
for user in boot-producer boot-planter; do
    id "$user" >/dev/null 2>&1 || useradd --system --no-create-home -G secrets-delegate "$user"
done
setpriv --reuid=boot-planter --regid=boot-planter --init-groups sh -c "umask 077; echo forged >$spool/done/boot-planted.json"
expect_eq "the planted file (owner, mode)" "$(stat -c '%U %a' "$spool/done/boot-planted.json")" "boot-planter 600"
as_producer_submit boot-planted --wait
expect_eq "submit --spool --wait past a planted result it may not read (exit status)" "$?" 0
grep -q '"status":"succeeded"' "$LOGS/boot-planted.out" && ok "the waiter got the delegate's result" ||
    fail "no result: $(head -c 300 "$LOGS/boot-planted.out") $(head -c 300 "$LOGS/boot-planted.err")"
rm -f "$spool/done/boot-planted.json"

# A directory a producer moved into new/ (its mkdir under umask 022 gives 0755: the delegate may
# not write it, which moving it to another parent needs) cannot be claimed: the journal says what
# it is and that it is the operator's to remove, rather than pass it over as a race lost.
journal_mark dir-task -p err
setpriv --reuid=boot-producer --regid=boot-producer --init-groups \
    sh -c "umask 022 && mkdir $spool/tmp/boot-dir && mv $spool/tmp/boot-dir $spool/new/boot-dir.json"
dir_refused() { journal_since dir-task -p err | grep -q 'boot-dir.json.*a directory the delegate may not write'; }
wait_until 30 dir_refused && ok "a directory in new/ the delegate may not write is named in an error: $(journal_since dir-task -p err | grep -m1 'boot-dir' | head -c 250)" ||
    fail "no error naming the directory: $(journal_since dir-task -p err | tail -n 2 | tr '\n' '|')"
[ -d "$spool/new/boot-dir.json" ] && ok "the directory stays in new/ for the operator" || fail "the directory left new/"
rm -rf "$spool/new/boot-dir.json"

# Tasks claimed under another delegate's name (a host renamed): each start names them
# (spool-claims-of-another, with DIRECTORY and COUNT) and leaves them; the notice's own hand-over
# loop, run as printed, moves them into this delegate's claims, and the next start runs the one
# for it, gives back to new/ the one for other delegates, and discards as DuplicateTask the one
# whose result already waits in done/ (kept as it was).
old=$spool/cur/boot-old-host
systemctl stop secrets-delegate.service
install -d -o secrets-delegate -g secrets-delegate -m 0750 "$old"
old_task() { # old_task ID SELECTORS: a producer's task file claimed under boot-old-host
    printf '%s\n' "{\"id\":\"$1\",\"connector\":$(connector "$2"),\"operation\":\"getRandomPassword\"}" >"$old/$1.json"
    chown boot-producer:secrets-delegate "$old/$1.json"
    chmod 0640 "$old/$1.json"
}
old_task boot-handed '["boot"]'
old_task boot-handed-others '["elsewhere"]'
old_task boot-handed-done '["boot"]'
printf '%s\n' '{"id":"boot-handed-done","status":"succeeded","note":"the first result"}' >"$spool/done/boot-handed-done.json"
chown secrets-delegate:secrets-delegate "$spool/done/boot-handed-done.json"
chmod 0640 "$spool/done/boot-handed-done.json"
cp "$spool/done/boot-handed-done.json" "$LOGS/handed-done.before"
journal_mark claims-of-another -o json EVENT=spool-claims-of-another "DIRECTORY=$old"
systemctl start secrets-delegate.service
claims_named() { journal_since claims-of-another -o json EVENT=spool-claims-of-another "DIRECTORY=$old" | grep -q .; }
if wait_until 30 claims_named; then
    entry=$(journal_since claims-of-another -o json EVENT=spool-claims-of-another "DIRECTORY=$old" | tail -n 1)
    grep -q '"COUNT":"3"' <<<"$entry" && grep -q '"PRIORITY":"5"' <<<"$entry" &&
        ok "the start names the 3 tasks claimed by boot-old-host (notice, COUNT)" ||
        fail "the spool-claims-of-another entry: $(head -c 600 <<<"$entry")"
else
    fail "no spool-claims-of-another entry for $old within 30 s"
fi
expect_eq "tasks left in $old by the start" "$(ls "$old" | wc -l)" 3
systemctl stop secrets-delegate.service
recipe=$(delegate_journal EVENT=spool-claims-of-another "DIRECTORY=$old" | tail -n 1 |
    sed -n 's/.*to its own claims unless one of its name is there: \(.*\) (at the next start.*/\1/p')
[ -n "$recipe" ] && ok "the notice prints its hand-over loop: $(head -c 200 <<<"$recipe")" || fail "no loop in the notice"
(eval "$recipe")
expect_eq "the hand-over loop, exit status" "$?" 0
expect_eq "tasks left in $old after the loop" "$(ls "$old" | wc -l)" 0
journal_mark handed-dupe MESSAGE_ID=87ec36711a9247dcbe10c3f37320cc26 TASK_ID=boot-handed-done ERROR_CODE=DuplicateTask
systemctl start secrets-delegate.service
handed_ran() { grep -q '"status":"succeeded"' "$spool/done/boot-handed.json"; }
wait_until 30 handed_ran && ok "the handed-over task for this delegate ran (its result in done/)" ||
    fail "no result for boot-handed: $(ls -la "$spool/done" "$spool/cur/boot-delegate" 2>&1 | head -c 600)"
handed_back() { [ -f "$spool/new/boot-handed-others.json" ]; }
wait_until 30 handed_back && ok "the handed-over task for other delegates went back to new/" ||
    fail "boot-handed-others is not in new/: $(ls -la "$spool/new" "$spool/cur/boot-delegate" 2>&1 | head -c 600)"
dupe_rejected() { journal_since handed-dupe MESSAGE_ID=87ec36711a9247dcbe10c3f37320cc26 TASK_ID=boot-handed-done ERROR_CODE=DuplicateTask | grep -q .; }
wait_until 30 dupe_rejected && ok "the handed-over task whose result waits is rejected as DuplicateTask (task-rejected)" ||
    fail "no DuplicateTask rejection for boot-handed-done: $(delegate_journal -n 5 | tr '\n' ' ' | head -c 600)"
cmp -s "$spool/done/boot-handed-done.json" "$LOGS/handed-done.before" && ok "the waiting result is kept as it was" ||
    fail "the waiting result changed: $(head -c 300 "$spool/done/boot-handed-done.json")"
expect_eq "boot-handed-done's task file in the delegate's claims" "$(ls "$spool/cur/boot-delegate" | grep -c boot-handed-done)" 0
rm -f "$spool/done/boot-handed.json" "$spool/done/boot-handed-done.json" "$spool/new/boot-handed-others.json"
rmdir "$old"

# done/ the delegate may not write (as a full or read-only disk refuses it): the result waits,
# systemd's status text leads with it, and once done/ takes files again the result is written and
# the status text no longer says so.
done_mode=$(stat -c '%a' "$spool/done")
chmod 0550 "$spool/done"
# (Put back however this check ends, so that a check killed here leaves the checks after it a spool.)
trap 'chmod "$done_mode" "$spool/done"' EXIT
as_producer_submit boot-paused
expect_eq "submit --spool with done/ unwritable (exit status)" "$?" 0
paused() { unit_prop secrets-delegate.service StatusText | grep -q '^spool paused: 1 result(s) cannot be written to done/'; }
wait_until 30 paused && ok "the status text leads with the paused spool: $(unit_prop secrets-delegate.service StatusText | head -c 120)" ||
    fail "the status text does not say the spool is paused: $(unit_prop secrets-delegate.service StatusText | head -c 200)"
chmod "$done_mode" "$spool/done"
trap - EXIT
wait_until 60 test -f "$spool/done/boot-paused.json" && ok "once done/ takes files again, the result is written" ||
    fail "no result for boot-paused: $(ls -la "$spool/done" 2>&1 | head -c 300)"
unpaused() { ! unit_prop secrets-delegate.service StatusText | grep -q 'spool paused'; }
wait_until 30 unpaused && ok "the status text no longer says the spool is paused" ||
    fail "the status text still says: $(unit_prop secrets-delegate.service StatusText | head -c 200)"
rm -f "$spool/done/boot-paused.json"

# A task that cannot be claimed (cur/<delegate>/ the delegate may not write, as a spool remounted
# read-only refuses it): systemd's status text and `status` say so, until its file leaves new/.
claims_mode=$(stat -c '%a' "$spool/cur/boot-delegate")
chmod 0550 "$spool/cur/boot-delegate"
trap 'chmod "$claims_mode" "$spool/cur/boot-delegate"' EXIT
as_producer_submit boot-unclaimable
expect_eq "submit --spool with the claims unwritable (exit status)" "$?" 0
unclaimable() { unit_prop secrets-delegate.service StatusText | grep -q '^spool: a task cannot be claimed: new/boot-unclaimable.json: '; }
wait_until 30 unclaimable && ok "the status text leads with the task that cannot be claimed: $(unit_prop secrets-delegate.service StatusText | head -c 160)" ||
    fail "the status text does not say a task cannot be claimed: $(unit_prop secrets-delegate.service StatusText | head -c 200)"
claim_error=$(timeout 30 secrets-delegate status | jq -r '.spoolClaimError // empty')
case "$claim_error" in
new/boot-unclaimable.json:*) ok "status shows spoolClaimError: $(head -c 120 <<<"$claim_error")" ;;
*) fail "status has no spoolClaimError for boot-unclaimable: $(head -c 200 <<<"$claim_error")" ;;
esac
rm -f "$spool/new/boot-unclaimable.json"
claimable() { ! unit_prop secrets-delegate.service StatusText | grep -q 'a task cannot be claimed'; }
wait_until 30 claimable && ok "once the file left new/, the status text no longer says so" ||
    fail "the status text still says: $(unit_prop secrets-delegate.service StatusText | head -c 200)"
expect_eq "spoolClaimError once the file left new/" "$(timeout 30 secrets-delegate status | jq -r '.spoolClaimError // empty')" ""
chmod "$claims_mode" "$spool/cur/boot-delegate"
trap - EXIT
