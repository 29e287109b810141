# systemctl reload applies the whole configuration: a new tag and a new instance metadata
# endpoint are used by the next task; the journal shows the reload. (The delegate starts on the
# loopback IMDS before any task runs, so no reload bug can send a request to 169.254.169.254.)
write_config "$IMDS_GOOD" ''
systemctl restart secrets-delegate.service
journal_mark reload MESSAGE_ID=8504d030612a442580f8182de5daf1d7
pid=$(unit_prop secrets-delegate.service MainPID)
write_config "$IMDS_GOOD" '"boot"'
systemctl reload secrets-delegate.service
# The reload job ends once SIGHUP is sent (README), so the re-read may still be under way: its
# RELOADING=1 shows as "reloading" until its READY=1 (waited for below); never anything else.
state=$(systemctl is-active secrets-delegate.service)
case "$state" in
    active | reloading) ok "state after reload: $state" ;;
    *) fail "state after reload is '$state', expected 'active' (or 'reloading' for a moment)" ;;
esac
expect_eq "MainPID after reload (no restart)" "$(unit_prop secrets-delegate.service MainPID)" "$pid"
reloaded_event() { journal_since reload MESSAGE_ID=8504d030612a442580f8182de5daf1d7 | grep -q .; }
wait_until 30 reloaded_event && ok "the reloaded event (MESSAGE_ID 8504d030...) is in the journal" || fail "no reloaded event in the journal"
# systemd took the reload's RELOADING=1 and READY=1 as one reload: the unit is back to running
# (a RELOADING=1 it took for a new, job-less reload would hold it in "reloading").
unit_state() { systemctl show -P ActiveState,SubState secrets-delegate.service | tr '\n' ' '; }
running_again() { [ "$(unit_state)" = "active running " ]; }
wait_until 10 running_again && ok "the unit is active (running) again after the reload" ||
    fail "the unit is '$(unit_state)' 10 s after the reload"
# The delegate's STATUS= as systemd shows it: its counts.
status_text=$(unit_prop secrets-delegate.service StatusText)
grep -Eq '[0-9]+ in flight, [0-9]+ done' <<<"$status_text" && ok "StatusText: $status_text" ||
    fail "StatusText without the counts: '$status_text'"

CANARY="boot-canary-$(cat /proc/sys/kernel/random/uuid)"
echo "$CANARY" >"$LOGS/canary"
submit create "{\"id\":\"boot-create\",\"connector\":$(connector '["boot"]'),\"operation\":\"createSecret\",\"params\":{\"name\":\"db\",\"secretString\":\"{\\\"password\\\":\\\"$CANARY\\\"}\"}}" --wait
expect_eq "createSecret through submit --wait after the reload (new tag, IMDS $IMDS_GOOD)" "$?" 0
submit read "{\"id\":\"boot-read\",\"connector\":$(connector '["boot"]'),\"operation\":\"getSecretValue\",\"params\":{\"name\":\"db#password\"}}" --wait
expect_eq "getSecretValue exit status" "$?" 0
grep -q "$CANARY" "$LOGS/read.out" && ok "getSecretValue returns the value written" || fail "value not returned: $(head -c 300 "$LOGS/read.out")"

# A second reload to an instance metadata service whose keys AWS does not know: the next task
# must be signed with those (and fail); back on the good one, it succeeds again.
write_config "$IMDS_BOGUS" '"boot"'
reload_delegate
submit read-bogus "{\"id\":\"boot-read-bogus\",\"connector\":$(connector '["boot"]'),\"operation\":\"getSecretValue\",\"params\":{\"name\":\"db\"}}" --wait
expect_eq "a task after reloading to another IMDS endpoint (keys AWS does not know)" "$?" 1
# AWS (moto) refuses the unknown key: the refusal, not any failure (a broken reload, an
# unreachable endpoint), is what shows the new endpoint's keys signed the request.
grep -q '"failed"' "$LOGS/read-bogus.out" && grep -Eq '"code" *: *"(InvalidClientTokenId|UnrecognizedClientException)"' "$LOGS/read-bogus.out" &&
    ok "it failed as AWS refused the unknown key: $(grep -o '"code" *: *"[A-Za-z]*"' "$LOGS/read-bogus.out" | head -n 1)" ||
    fail "expected a result failed by AWS's refusal of the key: $(head -c 300 "$LOGS/read-bogus.out")"
task_failed_event() {
    journalctl --sync
    journalctl _SYSTEMD_UNIT=secrets-delegate.service -b --no-pager -q -o json TASK_ID=boot-read-bogus |
        grep -q '"MESSAGE_ID":"189a55ceed6b498885209e0bd5176b88"'
}
wait_until 30 task_failed_event && ok "the failed task's journal entry has the task-failed MESSAGE_ID (189a55ce...)" ||
    fail "no task-failed entry (MESSAGE_ID 189a55ce...) for boot-read-bogus"
write_config "$IMDS_GOOD" '"boot"'
reload_delegate
# A configuration the delegate refuses fails the reload job; the delegate keeps running the old one.
pid=$(unit_prop secrets-delegate.service MainPID)
cp /etc/secrets-delegate/delegate.toml "$LOGS/delegate.toml.good"
printf '[delegate]
concurrency = "many"
' >>/etc/secrets-delegate/delegate.toml
journal_mark bad-reload
systemctl reload secrets-delegate.service 2>"$LOGS/bad-reload.err"
bad_reload=$?
[ "$bad_reload" -ne 0 ] && ok "systemctl reload of an invalid configuration fails (exit $bad_reload)" ||
    fail "systemctl reload of an invalid configuration succeeded"
expect_eq "MainPID after the refused reload" "$(unit_prop secrets-delegate.service MainPID)" "$pid"
expect_eq "state after the refused reload" "$(systemctl is-active secrets-delegate.service)" active
# The unit's journal says why (ExecReload's check-config, on stderr: the second [delegate] table),
# and the old configuration still serves tasks while the bad file is in place (sent with
# --socket: a submit that reads the configuration would stop at the bad file itself).
refused_reason() { journal_since bad-reload | grep -q 'configuration error: /etc/secrets-delegate/delegate.toml'; }
wait_until 30 refused_reason && ok "the unit's journal says why: $(journal_since bad-reload | grep -m1 'configuration error' | head -c 200)" ||
    fail "no configuration error in the unit's journal after the refused reload: $(journal_since bad-reload | tail -n 3 | tr '\n' '|')"
submit read-during-bad "{\"id\":\"boot-read-during-bad\",\"connector\":$(connector '["boot"]'),\"operation\":\"getSecretValue\",\"params\":{\"name\":\"db\"}}" --wait \
    --socket /run/secrets-delegate/delegate.sock
expect_eq "a task while the refused configuration is on disk (the old one serves it)" "$?" 0
# A SIGHUP that skips ExecReload's check (kill -HUP, or a file changed in between) is refused by
# the delegate itself: same process, still active, no reloaded event, tasks still served.
journal_mark hup-reloaded MESSAGE_ID=8504d030612a442580f8182de5daf1d7
journal_mark hup-warning -p warning
kill -HUP "$pid"
hup_refused() { journal_since hup-warning -p warning | grep -q 'reload refused, the running configuration stays'; }
wait_until 30 hup_refused && ok "a direct SIGHUP with the invalid configuration is refused and logged" ||
    fail "no 'reload refused' error after a direct SIGHUP: $(journal_since hup-warning -p warning | tail -n 3 | tr '\n' '|')"
expect_eq "MainPID after the refused SIGHUP" "$(unit_prop secrets-delegate.service MainPID)" "$pid"
wait_until 10 running_again && ok "the unit is active (running) again after the refused SIGHUP" ||
    fail "the unit is '$(unit_state)' 10 s after the refused SIGHUP"
expect_eq "reloaded events after the refused SIGHUP" "$(journal_since hup-reloaded MESSAGE_ID=8504d030612a442580f8182de5daf1d7 | grep -c .)" 0
submit read-after-hup "{\"id\":\"boot-read-after-hup\",\"connector\":$(connector '["boot"]'),\"operation\":\"getSecretValue\",\"params\":{\"name\":\"db\"}}" --wait \
    --socket /run/secrets-delegate/delegate.sock
expect_eq "a task after the refused SIGHUP" "$?" 0
cp "$LOGS/delegate.toml.good" /etc/secrets-delegate/delegate.toml
reload_delegate
expect_eq "reload after restoring the configuration" "$?" 0
submit read-again "{\"id\":\"boot-read-again\",\"connector\":$(connector '["boot"]'),\"operation\":\"getSecretValue\",\"params\":{\"name\":\"db\"}}" --wait
expect_eq "the same task after reloading back" "$?" 0

# A key that applies only at a restart is named in the reload's warning and keeps its value.
journal_mark restart-keys -p warning
printf '[queue]\nspool_dir = "/var/lib/secrets-delegate/elsewhere"\n' >>/etc/secrets-delegate/delegate.toml
systemctl reload secrets-delegate.service
restart_warning() { journal_since restart-keys -p warning | grep -q 'restart.*queue.spool_dir'; }
wait_until 30 restart_warning && ok "the reload's warning names queue.spool_dir as waiting for a restart" ||
    fail "no warning naming queue.spool_dir"
# ... and the spool stays where it was: a task written there is still run.
submit kept-spool "{\"id\":\"boot-kept-spool\",\"connector\":$(connector '["boot"]'),\"operation\":\"getSecretValue\",\"params\":{\"name\":\"db\"}}" --wait --timeout 30 --spool /var/lib/secrets-delegate/spool
expect_eq "a spool task after a reload that named another spool_dir" "$?" 0
write_config "$IMDS_GOOD" '"boot"'
systemctl reload secrets-delegate.service

# [delegate] log_level applies at a reload, to every logger: at debug the socket's debug records (a
# peer connecting) reach the journal; back at the default, info, none do. (Waited for by the
# reloaded event that names the key: the reload above was not waited for.)
log_level_reloaded() { journal_since log-level MESSAGE_ID=8504d030612a442580f8182de5daf1d7 CHANGED=delegate.log_level | grep -q .; }
journal_mark log-level MESSAGE_ID=8504d030612a442580f8182de5daf1d7 CHANGED=delegate.log_level
journal_mark debug-on PRIORITY=7
sed -i '/^\[delegate\]/a log_level = "debug"' /etc/secrets-delegate/delegate.toml
systemctl reload secrets-delegate.service
wait_until 30 log_level_reloaded || fail "no reloaded event naming delegate.log_level"
debug_record() {
    timeout 30 secrets-delegate status >/dev/null 2>&1
    journal_since debug-on PRIORITY=7 | grep -q 'socket peer connected'
}
wait_until 30 debug_record && ok "log_level = \"debug\" after a reload: the socket's debug records are in the journal" ||
    fail "no debug record in the journal after reloading with log_level = \"debug\""
# At notice the reload's own line is still written (a notice: scripts wait for it), a task's are not.
journal_mark log-level MESSAGE_ID=8504d030612a442580f8182de5daf1d7 CHANGED=delegate.log_level
sed -i 's/^log_level = "debug"$/log_level = "notice"/' /etc/secrets-delegate/delegate.toml
systemctl reload secrets-delegate.service
wait_until 30 log_level_reloaded && ok "log_level = \"notice\": the reloaded event is still in the journal" ||
    fail "no reloaded event after reloading with log_level = \"notice\""
journal_mark notice-task TASK_ID=boot-at-notice
submit at-notice "{\"id\":\"boot-at-notice\",\"connector\":$(connector '["boot"]'),\"operation\":\"getSecretValue\",\"params\":{\"name\":\"db\"}}" --wait \
    --socket /run/secrets-delegate/delegate.sock
expect_eq "a task at log_level = \"notice\"" "$?" 0
expect_eq "journal records of a task that succeeded at log_level = \"notice\"" "$(journal_since notice-task TASK_ID=boot-at-notice | grep -c .)" 0
journal_mark log-level MESSAGE_ID=8504d030612a442580f8182de5daf1d7 CHANGED=delegate.log_level
write_config "$IMDS_GOOD" '"boot"'
systemctl reload secrets-delegate.service
wait_until 30 log_level_reloaded || fail "no reloaded event naming delegate.log_level on the way back"
journal_mark debug-off PRIORITY=7
timeout 30 secrets-delegate status >/dev/null 2>&1
expect_eq "debug records after reloading back to the default level, info" "$(journal_since debug-off PRIORITY=7 | grep -c .)" 0
