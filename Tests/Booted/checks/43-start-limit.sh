# README's row on a socket failed with "service-start-limit-hit": a delegate that keeps exiting at
# start (a bad configuration, 78, which systemd does not restart by itself) while clients keep
# connecting is started by each connection until systemd's start limit fails the socket; the
# row's reset-failed, then starting the sockets, brings everything back.
readme=/usr/share/doc/secrets-delegate/README.md
cp /etc/secrets-delegate/delegate.toml "$LOGS/delegate.toml.before-start-limit"
printf '[delegate\n' >>/etc/secrets-delegate/delegate.toml
systemctl stop secrets-delegate.service
systemctl reset-failed secrets-delegate.service
for attempt in 1 2 3 4 5 6 7 8; do
    timeout 3 secrets-delegate status --socket /run/secrets-delegate/delegate.sock >/dev/null 2>&1
    [ "$(unit_prop secrets-delegate.socket Result)" = service-start-limit-hit ] && break
    sleep 0.5
done
wait_until 30 sh -c '[ "$(systemctl show -P Result secrets-delegate.socket)" = service-start-limit-hit ]'
expect_eq "the task socket's result after the delegate kept failing at start" "$(unit_prop secrets-delegate.socket Result)" service-start-limit-hit
expect_eq "the task socket's state" "$(systemctl is-active secrets-delegate.socket)" failed
expect_eq "the delegate's exit status" "$(unit_prop secrets-delegate.service ExecMainStatus)" 78
echo "43-start-limit: the credentials socket after the task socket hit the limit: $(systemctl is-active secrets-delegate-credentials.socket) ($(unit_prop secrets-delegate-credentials.socket Result))" >>"$LOGS/notes"

cp "$LOGS/delegate.toml.before-start-limit" /etc/secrets-delegate/delegate.toml
reset=$(tr '\n' ' ' <"$readme" | grep -o 'service-start-limit-hit" | [^|]*then `systemctl reset-failed [^`]*`' | grep -o '`systemctl reset-failed [^`]*`' | tr -d '`')
[ -n "$reset" ] && ok "README's reset: $reset" || fail "README's service-start-limit-hit row has no reset-failed command"
bash -c "$reset"
expect_eq "README's reset, exit status" "$?" 0
systemctl start secrets-delegate.socket secrets-delegate-credentials.socket
expect_eq "the task socket, started again" "$(systemctl is-active secrets-delegate.socket)" active
expect_eq "the credentials socket, started again" "$(systemctl is-active secrets-delegate-credentials.socket)" active
timeout 30 secrets-delegate status --socket /run/secrets-delegate/delegate.sock >/dev/null 2>&1
expect_eq "status through the socket, which starts the delegate" "$?" 0
wait_until 30 systemctl --quiet is-active secrets-delegate.service
expect_eq "the delegate after the recovery" "$(systemctl is-active secrets-delegate.service)" active
