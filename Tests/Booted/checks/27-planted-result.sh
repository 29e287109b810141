# submit --spool --wait as a producer in the group: another producer's file planted at the
# result's name, which the waiter may not read, is waited past (not an error), and the delegate's
# result, which replaces it, is what the waiter gets.
spool=/var/lib/secrets-delegate/spool
for user in boot-producer boot-planter; do
    id "$user" >/dev/null 2>&1 || useradd --system --no-create-home -G secrets-delegate "$user"
done
setpriv --reuid=boot-planter --regid=boot-planter --init-groups sh -c "umask 077; echo forged >$spool/done/boot-planted.json"
expect_eq "the planted file (owner, mode)" "$(stat -c '%U %a' "$spool/done/boot-planted.json")" "boot-planter 600"
printf '%s\n' "{\"id\":\"boot-planted\",\"connector\":$(connector '["boot"]'),\"operation\":\"getRandomPassword\"}" |
    setpriv --reuid=boot-producer --regid=boot-producer --init-groups \
        timeout 60 secrets-delegate submit --spool "$spool" --wait - >"$LOGS/planted.out" 2>"$LOGS/planted.err"
expect_eq "submit --spool --wait past a planted result it may not read (exit status)" "$?" 0
grep -q '"status":"succeeded"' "$LOGS/planted.out" && ok "the waiter got the delegate's result" ||
    fail "no result: $(head -c 300 "$LOGS/planted.out") $(head -c 300 "$LOGS/planted.err")"
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
