# A stop while an SQS receive hangs (an endpoint that takes the connection and never answers,
# request_timeout_seconds at its 3600 s) ends within TimeoutStopSec=90s, as the contract's 73 s
# budget for the SQS loops promises: Result=success, not a kill by systemd's stop timer.
# The endpoint: a stream socket nobody accepts on (its service sleeps), so requests wait unanswered.
blackhole_socket boot-tcp-blackhole ListenStream=127.0.0.10:8080
expect_eq "the silent SQS endpoint's socket" "$(systemctl is-active boot-tcp-blackhole.socket)" active

write_config "$IMDS_GOOD" '"boot"'
sed -i 's/^request_timeout_seconds = .*/request_timeout_seconds = 3600/' /etc/secrets-delegate/delegate.toml
printf '[sqs]\nqueue_urls = ["http://127.0.0.10:8080/123456789012/blackhole"]\nregion = "us-east-1"\nendpoint = "http://127.0.0.10:8080"\nwait_seconds = 20\n' \
    >>/etc/secrets-delegate/delegate.toml
restart_delegate
expect_eq "delegate with an SQS endpoint that never answers" "$(systemctl is-active secrets-delegate.service)" active
# The receive is under way: a connection to the endpoint, established (state 01 in /proc/net/tcp;
# 127.0.0.10:8080 is 0A00007F:1F90).
receiving() { grep -q ' 0A00007F:1F90 01 ' /proc/net/tcp; }
wait_until 30 receiving && ok "the delegate's receive waits on the silent endpoint" ||
    fail "no connection to 127.0.0.10:8080: $(delegate_journal -n 3 | tr '\n' '|' | head -c 400)"
# Marked here, after the restart above (whose stop logged a stopped line of its own).
journal_mark hung-sqs-stop
started=$(date +%s)
systemctl stop secrets-delegate.service
took=$(($(date +%s) - started))
expect_eq "Result after a stop with an SQS receive hung" "$(unit_prop secrets-delegate.service Result)" success
[ "$took" -lt 85 ] && ok "the stop took ${took} s (the SQS loops' budget: 73 s after SIGTERM; TimeoutStopSec 90 s)" ||
    fail "the stop took ${took} s"
journal_since hung-sqs-stop >"$LOGS/hung-sqs-stop.journal"
grep -q '^stopped' "$LOGS/hung-sqs-stop.journal" && ok "the delegate logged its stopped line" ||
    fail "no stopped line: $(tail -n 3 "$LOGS/hung-sqs-stop.journal" | tr '\n' '|' | head -c 400)"

systemctl stop boot-tcp-blackhole.socket boot-tcp-blackhole.service
write_config "$IMDS_GOOD" '"boot"'
restart_delegate
expect_eq "delegate after the check" "$(systemctl is-active secrets-delegate.service)" active
