# A delegate that stops answering (SIGSTOP) stops its watchdog pings; systemd restarts it.
before=$(unit_prop secrets-delegate.service NRestarts)
pid=$(unit_prop secrets-delegate.service MainPID)
# The manager's lines about the unit since now (not an earlier timeout in this boot).
manager_lines() { journalctl --sync; journalctl -u secrets-delegate.service -b --no-pager -q; }
manager_lines | wc -l >"$LOGS/watchdog.mark"
kill -STOP "$pid"
if wait_until 75 sh -c "[ \$(systemctl show -P NRestarts secrets-delegate.service) -gt $before ] && [ \$(systemctl is-active secrets-delegate.service) = active ]"; then
    ok "systemd restarted the stopped delegate (NRestarts $before -> $(unit_prop secrets-delegate.service NRestarts), pid $pid -> $(unit_prop secrets-delegate.service MainPID))"
else
    fail "no watchdog restart within 75 s (NRestarts $(unit_prop secrets-delegate.service NRestarts), state $(systemctl is-active secrets-delegate.service))"
    kill -CONT "$pid" 2>/dev/null
fi
watchdog_logged() { manager_lines | tail -n +"$(($(cat "$LOGS/watchdog.mark") + 1))" | grep -q 'Watchdog timeout'; }
wait_until 30 watchdog_logged &&
    ok "the journal names the watchdog timeout, since the SIGSTOP" || fail "no watchdog timeout in the journal since the SIGSTOP"
kill -0 "$pid" 2>/dev/null && fail "the stopped delegate (pid $pid) is still there" || ok "the stopped delegate (pid $pid) is gone"
