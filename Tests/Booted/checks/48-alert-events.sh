# The events an operator alerts on, from the packaged unit into the real journal, each by its
# MESSAGE_ID (INTERFACE section 7): credentials-refreshed when the instance role is fetched,
# credentials-refresh-failed when the instance metadata service cannot be reached, and
# queue-failing / queue-recovered when an SQS queue's endpoint goes down and comes back.
REFRESHED_ID=MESSAGE_ID=97af3e2c262e498aab7e1f81df88108f
REFRESH_FAILED_ID=MESSAGE_ID=5401fab4a4df40cca4b9d0dccbcbb3f7
FAILING_ID=MESSAGE_ID=dd537e94b0334adeb1d8c24398d08508
RECOVERED_ID=MESSAGE_ID=cf1cc538b5d44238b900d6b7d4064165
read_task() { # read_task ID
    printf '{"id":"%s","connector":%s,"operation":"getSecretValue","params":{"name":"db#password"}}' "$1" "$(connector '["boot"]')"
}
# expect_event WHAT MARK MESSAGE_ID=... PRIORITY=N SECONDS PATTERN...: an entry with that id and
# priority logged since journal_mark MARK, within SECONDS, whose JSON holds every PATTERN.
expect_event() {
    local what=$1 mark=$2 id=$3 priority=$4 seconds=$5 json pattern
    shift 5
    # The entries with that id since the mark (counted with the same id alone), one JSON object
    # per line, of that priority: the patterns are looked for in the newest of them.
    entries() {
        journal_since "$mark" -o json "$id" | grep -F "\"PRIORITY\":\"${priority#PRIORITY=}\""
    }
    logged() { entries | grep -q .; }
    if ! wait_until "$seconds" logged; then
        fail "no $what entry: $(delegate_journal -n 5 | tr '\n' ' ' | head -c 600)"
        return
    fi
    json=$(entries | tail -n 1)
    for pattern in "$@"; do
        grep -q "$pattern" <<<"$json" || { fail "the $what entry lacks $pattern: $(head -c 600 <<<"$json")"; return; }
    done
    ok "a $what entry ($priority, with $*)"
}

# credentials-refreshed: a restarted delegate fetches the instance role at its first task.
write_config "$IMDS_GOOD" '"boot"'
journal_mark refreshed $REFRESHED_ID
restart_delegate
submit alert-refreshed "$(read_task boot-alert-refreshed)" --wait --timeout 50
expect_eq "a read with the instance role, exit status" "$?" 0
expect_event credentials-refreshed refreshed $REFRESHED_ID PRIORITY=6 30 '"CREDENTIAL_SOURCE":"imds' \
    '"EXPIRATION":"[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9]\{3\}Z"'

# credentials-refresh-failed: nothing listens where the instance metadata service should be.
write_config "http://127.0.0.1:1" '"boot"'
journal_mark refresh-failed $REFRESH_FAILED_ID
restart_delegate
submit alert-refresh-failed "$(read_task boot-alert-refresh-failed)" --wait --timeout 50
[ "$?" != 0 ] && ok "a read without a reachable instance metadata service fails" ||
    fail "a read without instance metadata succeeded: $(head -c 300 "$LOGS/alert-refresh-failed.out")"
expect_event credentials-refresh-failed refresh-failed $REFRESH_FAILED_ID PRIORITY=4 30 '"CREDENTIAL_SOURCE":"imds' '"ERROR_CODE":"'

# queue-failing, then queue-recovered: the task queue's SQS endpoint (the proxy in front of moto)
# answers 503 while /root/boot-test/sqs-down exists, then works again.
write_config "$IMDS_GOOD" '"boot"'
printf '[sqs]\nqueue_urls = ["%s"]\nregion = "us-east-1"\nendpoint = "%s"\nwait_seconds = 1\nvisibility_seconds = 30\n' \
    "$SQS_TASK_QUEUE" "$SLOW_PROXY" >>/etc/secrets-delegate/delegate.toml
touch "$HERE/sqs-down"
journal_mark failing $FAILING_ID
journal_mark recovered $RECOVERED_ID
restart_delegate
expect_event queue-failing failing $FAILING_ID PRIORITY=3 60 "\"QUEUE_URL\":\"$SQS_TASK_QUEUE\"" \
    '"OPERATION":"ReceiveMessage"' '"ERROR_CODE":"ServiceUnavailable"'
expect_eq "delegate while its SQS queue fails" "$(systemctl is-active secrets-delegate.service)" active
# Nothing recovered while the endpoint still fails: an alert cleared by a retry that failed again
# would pass the check below. The next failed receives come within seconds (each call's own
# retries, up to about 3 s, then the poll's pause): 8 s hold a few of them. Counted from here,
# then, only once the endpoint works again.
sleep 8
expect_eq "queue-recovered entries while the queue still fails" "$(journal_since recovered $RECOVERED_ID | grep -c .)" 0
journal_mark recovered $RECOVERED_ID
rm -f "$HERE/sqs-down"
# The retry waits 30 s at most (times 0.5-1) after the failures before.
expect_event queue-recovered recovered $RECOVERED_ID PRIORITY=5 60 "\"QUEUE_URL\":\"$SQS_TASK_QUEUE\"" \
    '"OPERATION":"ReceiveMessage"'
submit alert-sqs "$(read_task boot-alert-sqs)" --sqs "$SQS_TASK_QUEUE" --reply-queue "$SQS_REPLY_QUEUE" --wait --timeout 50
expect_eq "an SQS task after the queue recovered, exit status" "$?" 0

write_config "$IMDS_GOOD" '"boot"'
restart_delegate
expect_eq "delegate after this check's restarts" "$(systemctl is-active secrets-delegate.service)" active
