# Warnings a client can provoke are rate-limited (3 per kind per 10 s), and no suppressed count is
# lost at a stop: six spool files rejected at once log three warnings, and the stop that follows
# logs the last with SUPPRESSED=3.
spool=/var/lib/secrets-delegate/spool
systemctl restart secrets-delegate.service  # a fresh limiter: no window left open by earlier checks
journal_mark rejections -p warning
journal_mark suppressed SUPPRESSED=3
started=$(date +%s)
for i in 1 2 3 4 5 6; do
    printf 'not a task %s\n' "$i" >"$spool/tmp/boot-bad-$i.json"
    chmod 0640 "$spool/tmp/boot-bad-$i.json"
    mv "$spool/tmp/boot-bad-$i.json" "$spool/new/boot-bad-$i.json"
done
all_rejected() { [ "$(ls "$spool"/done/boot-bad-*.json 2>/dev/null | wc -l)" -eq 6 ]; }
wait_until 30 all_rejected && ok "the six bad files were rejected into done/" ||
    fail "not all six bad files were rejected: $(ls "$spool"/done "$spool"/new 2>&1 | tr '\n' ' ')"
# Inside the 10 s window nothing has summarised the three yet: the summary must come from the stop.
before_stop=$(journal_since suppressed SUPPRESSED=3)
in_window=$(($(date +%s) - started < 9))
systemctl stop secrets-delegate.service
expect_eq "Result after the stop" "$(unit_prop secrets-delegate.service Result)" success
if [ "$in_window" = 1 ]; then
    expect_eq "summaries logged before the stop, inside the window" "$(grep -c . <<<"$before_stop")" 0
else
    # Not a pass: what this check is for went untested on this (slow) run.
    echo "55-suppressed-at-stop: the stop came after the window (a slow machine); the summary may be the window's, not the stop's" >>"$LOGS/notes"
fi
expect_eq "'task rejected' warnings logged for the six, summaries aside" \
    "$(journal_since rejections -p warning | grep -v 'more suppressed)$' | grep -c '^task rejected: ')" 3
summarised() { journal_since suppressed SUPPRESSED=3 | grep -q 'task rejected: .*(3 more suppressed)'; }
wait_until 10 summarised
summary=$(journal_since suppressed SUPPRESSED=3)
grep -q 'task rejected: .*(3 more suppressed)' <<<"$summary" &&
    ok "the suppressed three are summarised, SUPPRESSED=3: $(head -n 1 <<<"$summary")" ||
    fail "no summary with SUPPRESSED=3: $(journal_since rejections -p warning | tail -n 3 | tr '\n' ' ')"
rm -f "$spool"/done/boot-bad-*.json
systemctl start secrets-delegate.service
wait_until 30 systemctl --quiet is-active secrets-delegate.service
expect_eq "service after the check" "$(systemctl is-active secrets-delegate.service)" active
