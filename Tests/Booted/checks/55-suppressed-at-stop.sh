# Warnings a client can provoke are rate-limited (3 per kind per 10 s), and no suppressed count is
# lost at a stop: six spool files rejected at once log three warnings, and the stop that follows,
# inside the window, logs the last with SUPPRESSED=3. A run too slow to stop inside the window
# proves nothing (the window's own summary would come first), so it is tried again, up to three
# times, and fails when it never is.
spool=/var/lib/secrets-delegate/spool
attempt=0
in_window=0
while [ "$in_window" = 0 ] && [ "$attempt" -lt 3 ]; do
    attempt=$((attempt + 1))
    rm -f "$spool"/done/boot-bad-*.json
    systemctl restart secrets-delegate.service  # a fresh limiter: no window left open by earlier checks
    wait_until 30 systemctl --quiet is-active secrets-delegate.service
    journal_mark rejections -p warning
    journal_mark suppressed SUPPRESSED=3
    started=$(date +%s)
    for i in 1 2 3 4 5 6; do
        printf 'not a task %s\n' "$i" >"$spool/tmp/boot-bad-$i.json"
        chmod 0640 "$spool/tmp/boot-bad-$i.json"
        mv "$spool/tmp/boot-bad-$i.json" "$spool/new/boot-bad-$i.json"
    done
    all_rejected() { [ "$(ls "$spool"/done/boot-bad-*.json 2>/dev/null | wc -l)" -eq 6 ]; }
    wait_until 30 all_rejected || break
    before_stop=$(journal_since suppressed SUPPRESSED=3)
    journal_mark at_stop SUPPRESSED=3
    in_window=$(($(date +%s) - started < 8))
    systemctl stop secrets-delegate.service
done
all_rejected && ok "the six bad files were rejected into done/" ||
    fail "not all six bad files were rejected: $(ls "$spool"/done "$spool"/new 2>&1 | tr '\n' ' ')"
expect_eq "a stop inside the rate limit's window, in three tries" "$in_window" 1
expect_eq "Result after the stop" "$(unit_prop secrets-delegate.service Result)" success
expect_eq "summaries logged before the stop, inside the window" "$(grep -c . <<<"$before_stop")" 0
expect_eq "'task rejected' warnings logged for the six, summaries aside" \
    "$(journal_since rejections -p warning | grep -v 'more suppressed)$' | grep -c '^task rejected: ')" 3
summarised() { journal_since at_stop SUPPRESSED=3 | grep -q 'task rejected: .*(3 more suppressed)'; }
wait_until 10 summarised
summary=$(journal_since at_stop SUPPRESSED=3)
grep -q 'task rejected: .*(3 more suppressed)' <<<"$summary" &&
    ok "the suppressed three are summarised by the stop, SUPPRESSED=3: $(head -n 1 <<<"$summary")" ||
    fail "no summary with SUPPRESSED=3 after the stop began: $(journal_since rejections -p warning | tail -n 3 | tr '\n' ' ')"
rm -f "$spool"/done/boot-bad-*.json
systemctl start secrets-delegate.service
wait_until 30 systemctl --quiet is-active secrets-delegate.service
expect_eq "service after the check" "$(systemctl is-active secrets-delegate.service)" active
