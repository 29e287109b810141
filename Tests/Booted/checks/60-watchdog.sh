# A delegate that stops answering (SIGSTOP) stops its watchdog pings; systemd restarts it.
before=$(unit_prop secrets-delegate.service NRestarts)
pid=$(unit_prop secrets-delegate.service MainPID)
kill -STOP "$pid"
if wait_until 75 sh -c "[ \$(systemctl show -P NRestarts secrets-delegate.service) -gt $before ] && [ \$(systemctl is-active secrets-delegate.service) = active ]"; then
    ok "systemd restarted the stopped delegate (NRestarts $before -> $(unit_prop secrets-delegate.service NRestarts), pid $pid -> $(unit_prop secrets-delegate.service MainPID))"
else
    fail "no watchdog restart within 75 s (NRestarts $(unit_prop secrets-delegate.service NRestarts), state $(systemctl is-active secrets-delegate.service))"
    kill -CONT "$pid" 2>/dev/null
fi
watchdog_logged() { journalctl --sync; journalctl -u secrets-delegate.service -b --no-pager -q | grep -q 'Watchdog timeout'; }
wait_until 30 watchdog_logged &&
    ok "the journal names the watchdog timeout" || fail "no watchdog timeout in the journal"
