# systemctl stop lets a task in flight finish (the slow proxy holds it for 6 s) and ends with
# Result=success.
systemctl start secrets-delegate.service
submit slow "{\"id\":\"boot-slow\",\"connector\":$(connector '["boot"]'),\"operation\":\"getRandomPassword\"}" --spool /var/lib/secrets-delegate/spool
expect_eq "submit --spool exit status" "$?" 0
if wait_until 20 sh -c 'ls /var/lib/secrets-delegate/spool/cur/*/boot-slow.json'; then
    ok "the spool task was claimed"
else
    fail "the spool task was not claimed"
fi
sleep 1
# Still in flight when the stop begins: claimed, and no result yet (else the stop proves nothing).
in_flight=$(ls /var/lib/secrets-delegate/spool/cur/*/boot-slow.json 2>/dev/null | wc -l)
[ -e /var/lib/secrets-delegate/spool/done/boot-slow.json ] && in_flight=0
expect_eq "tasks in flight (claimed, no result) as the stop begins" "$in_flight" 1
systemctl stop secrets-delegate.service secrets-delegate.socket
expect_eq "Result after stop" "$(unit_prop secrets-delegate.service Result)" success
expect_eq "ExecMainStatus after stop" "$(unit_prop secrets-delegate.service ExecMainStatus)" 0
result=/var/lib/secrets-delegate/spool/done/boot-slow.json
if grep -q '"succeeded"' "$result" 2>/dev/null; then ok "the task in flight at stop finished: succeeded"; else fail "no succeeded result for the task in flight: $(cat "$result" 2>&1 | head -c 300)"; fi
rm -f "$result"
systemctl start secrets-delegate.socket secrets-delegate.service
