# The SQS intake under the packaged unit: a task sent with `submit --sqs --wait` (signed with the
# instance role from IMDS) runs and its result comes back on the reply queue; a stop while the
# delegate waits in a 20 s long poll ends within TimeoutStopSec, Result=success.
# sqs_config QUEUE_URL WAIT_SECONDS VISIBILITY_SECONDS: the delegate's configuration with one task queue.
sqs_config() {
    write_config "$IMDS_GOOD" '"boot"'
    printf '[sqs]\nqueue_urls = ["%s"]\nregion = "us-east-1"\nwait_seconds = %s\nvisibility_seconds = %s\n' "$1" "$2" "$3" \
        >>/etc/secrets-delegate/delegate.toml
}
sqs_config "$SQS_TASK_QUEUE" 20 30
systemctl restart secrets-delegate.service
expect_eq "delegate with [sqs]" "$(systemctl is-active secrets-delegate.service)" active
submit sqs-read "{\"id\":\"boot-sqs-read\",\"connector\":$(connector '["boot"]'),\"operation\":\"getSecretValue\",\"params\":{\"name\":\"db#password\"}}" \
    --sqs "$SQS_TASK_QUEUE" --reply-queue "$SQS_REPLY_QUEUE" --wait --timeout 50
expect_eq "submit --sqs --wait exit status" "$?" 0
grep -q "\"value\":\"$(canary)\"" "$LOGS/sqs-read.out" && ok "the SQS task's result holds the secret" ||
    fail "the SQS task's result is not the secret: $(head -c 300 "$LOGS/sqs-read.out") $(head -c 300 "$LOGS/sqs-read.err")"
queue_url_logged() {
    delegate_journal -o json TASK_ID=boot-sqs-read | grep -q "\"QUEUE_URL\":\"$SQS_TASK_QUEUE\""
}
wait_until 30 queue_url_logged && ok "the task's journal entries carry QUEUE_URL" || fail "no journal entry with QUEUE_URL for boot-sqs-read"

# Stop while a long poll is waiting: within TimeoutStopSec, cleanly.
sleep 2
started=$(date +%s)
systemctl stop secrets-delegate.service
took=$(($(date +%s) - started))
expect_eq "Result after a stop during a long poll" "$(unit_prop secrets-delegate.service Result)" success
[ "$took" -lt 60 ] && ok "the stop took ${took} s (long poll 20 s, TimeoutStopSec 90 s)" || fail "the stop took ${took} s"

# A message whose delete is refused (the role may not delete on the nodelete queue) comes back
# after its 3 s lease to the delegate that answered it: deleted again (refused again), not run
# again, and logged as task-redelivered with its fields.
sqs_config "$SQS_NODELETE_QUEUE" 1 3
REDELIVERED_ID=MESSAGE_ID=81dffc40a9384cffb16b5b8f27024208
CLAIMED_ID=MESSAGE_ID=06f8c20a07774abe9e88099b5a8d06fc
systemctl start secrets-delegate.service
journal_mark redelivered $REDELIVERED_ID
submit sqs-redelivered "{\"id\":\"boot-sqs-redelivered\",\"connector\":$(connector '["boot"]'),\"operation\":\"getSecretValue\",\"params\":{\"name\":\"db#password\"}}" \
    --sqs "$SQS_NODELETE_QUEUE" --reply-queue "$SQS_REPLY_QUEUE" --wait --timeout 50
expect_eq "submit --sqs --wait to the nodelete queue, exit status" "$?" 0
redelivered() { [ -n "$(journal_since redelivered $REDELIVERED_ID PRIORITY=6)" ]; }
if wait_until 40 redelivered; then
    entry=$(journalctl _SYSTEMD_UNIT=secrets-delegate.service -b --no-pager -q -o json $REDELIVERED_ID | tail -n 1)
    grep -q "\"QUEUE_URL\":\"$SQS_NODELETE_QUEUE\"" <<<"$entry" && grep -q '"SQS_MESSAGE_ID":"' <<<"$entry" &&
        grep -q '"RECEIVE_COUNT":"' <<<"$entry" &&
        ok "a message whose delete was refused came back and was logged as task-redelivered (info, QUEUE_URL, SQS_MESSAGE_ID, RECEIVE_COUNT)" ||
        fail "the task-redelivered entry lacks its fields: $(head -c 600 <<<"$entry")"
else
    fail "no task-redelivered entry within 40 s of the answer: $(delegate_journal -n 5 | tr '\n' ' ' | head -c 600)"
fi
claims=$(journalctl _SYSTEMD_UNIT=secrets-delegate.service -b --no-pager -q -o cat $CLAIMED_ID TASK_ID=boot-sqs-redelivered | wc -l)
expect_eq "times boot-sqs-redelivered was claimed (run)" "$claims" 1
systemctl stop secrets-delegate.service

# A result queue that does not exist: the result's SendMessage fails, logged as queue-failing with
# RESULT_QUEUE_URL (the task queue is QUEUE_URL) and named in STATUS=; fixed by a reload, the
# task's message (never deleted) is answered and the send's recovery logged: nothing lost.
missing_results="${SQS_TASK_QUEUE%/*}/boot-no-such-results"
FAILING_ID=MESSAGE_ID=dd537e94b0334adeb1d8c24398d08508
RECOVERED_ID=MESSAGE_ID=cf1cc538b5d44238b900d6b7d4064165
sqs_config "$SQS_TASK_QUEUE" 1 3
printf 'result_queue_url = "%s"\n' "$missing_results" >>/etc/secrets-delegate/delegate.toml
journal_mark orphan-failing -o json $FAILING_ID OPERATION=SendMessage
journal_mark orphan-recovered -o json $RECOVERED_ID OPERATION=SendMessage
systemctl start secrets-delegate.service
submit sqs-orphan "{\"id\":\"boot-sqs-orphan\",\"connector\":$(connector '["boot"]'),\"operation\":\"getSecretValue\",\"params\":{\"name\":\"db#password\"}}" \
    --sqs "$SQS_TASK_QUEUE"
expect_eq "submit --sqs (no wait) of a task whose result queue is missing, exit status" "$?" 0
send_failed() { journal_since orphan-failing -o json $FAILING_ID OPERATION=SendMessage | grep -q .; }
if wait_until 30 send_failed; then
    entry=$(journal_since orphan-failing -o json $FAILING_ID OPERATION=SendMessage | tail -n 1)
    grep -qF "\"RESULT_QUEUE_URL\":\"$missing_results\"" <<<"$entry" && grep -qF "\"QUEUE_URL\":\"$SQS_TASK_QUEUE\"" <<<"$entry" &&
        grep -qF "(to $missing_results)" <<<"$entry" &&
        ok "a result that could not be sent is logged as queue-failing with RESULT_QUEUE_URL, the task queue as QUEUE_URL" ||
        fail "the failed send's entry lacks RESULT_QUEUE_URL/QUEUE_URL: $(head -c 700 <<<"$entry")"
else
    fail "no queue-failing entry for SendMessage within 30 s: $(delegate_journal -n 5 | tr '\n' ' ' | head -c 600)"
fi
status_names_results() {
    systemctl show -p StatusText --value secrets-delegate.service | grep -qF "SendMessage: " &&
        systemctl show -p StatusText --value secrets-delegate.service | grep -qF "(to $missing_results)"
}
wait_until 20 status_names_results && ok "STATUS= names the result queue a send failed to: $(systemctl show -p StatusText --value secrets-delegate.service | head -c 200)" ||
    fail "STATUS= does not name the failing result queue: $(systemctl show -p StatusText --value secrets-delegate.service | head -c 300)"
sed -i "s|^result_queue_url = .*|result_queue_url = \"$SQS_REPLY_QUEUE\"|" /etc/secrets-delegate/delegate.toml
reload_delegate
send_recovered() { journal_since orphan-recovered -o json $RECOVERED_ID OPERATION=SendMessage | grep -q .; }
wait_until 40 send_recovered && ok "after the reload the task's message was answered on the fixed result queue (queue-recovered, SendMessage)" ||
    fail "no queue-recovered for SendMessage within 40 s of the fix: $(delegate_journal -n 5 | tr '\n' ' ' | head -c 600)"
systemctl stop secrets-delegate.service

# A queue that does not exist leads systemctl status's line (STATUS=), as systemd shows it.
missing_queue="${SQS_TASK_QUEUE%/*}/boot-no-such-queue"
sqs_config "$missing_queue" 1 5
systemctl start secrets-delegate.service
status_names_queue() {
    systemctl show -p StatusText --value secrets-delegate.service | grep -qF "SQS queue failing: $missing_queue ("
}
wait_until 30 status_names_queue && ok "STATUS= leads with the failing queue: $(systemctl show -p StatusText --value secrets-delegate.service | head -c 160)" ||
    fail "STATUS= does not name the failing queue: $(systemctl show -p StatusText --value secrets-delegate.service | head -c 300)"
systemctl stop secrets-delegate.service

write_config "$IMDS_GOOD" '"boot"'
systemctl start secrets-delegate.service
# Results carried the secret through SQS, and a result's send failed: none of it in the journal.
expect_eq "journal entries (any field) holding the secret value, after the SQS checks" "$(journal_leaks boot "$(canary)")" 0
