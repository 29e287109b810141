# A new version's changes to the socket units, applied as the installed README says, with the
# delegate running: the command exits 0, the three units come back active with the change in
# force (a drop-in's Backlog=), the sockets bound anew, and the delegate answers through its
# socket. systemd refuses to start a socket unit whose service still runs ("already active,
# refusing"): `systemctl restart` of the three, which README said at first, fails the sockets' jobs
# (exit 1, "Job failed"), though the service's start brings them up in the end.
readme=/usr/share/doc/secrets-delegate/README.md
command=$(tr '\n' ' ' <"$readme" | grep -o 'take effect when the sockets are next started (`[^`]*`' | sed -e 's/.*(`//' -e 's/`$//' -e 's/sudo //g')
[ -n "$command" ] && ok "README's command for socket unit changes: $command" || fail "README's command for socket unit changes not found"
wait_until 30 systemctl --quiet is-active secrets-delegate.service
expect_eq "delegate before" "$(systemctl is-active secrets-delegate.service)" active
pid=$(unit_prop secrets-delegate.service MainPID)
task_inode=$(stat -c %i /run/secrets-delegate/delegate.sock)
credentials_inode=$(stat -c %i /run/secrets-delegate/credentials.sock)
for unit in secrets-delegate.socket secrets-delegate-credentials.socket; do
    mkdir -p "/etc/systemd/system/$unit.d"
    printf '[Socket]\nBacklog=77\n' >"/etc/systemd/system/$unit.d/boot-backlog.conf"
done
systemctl daemon-reload
since=$(date +%s)
timeout 120 bash -c "$command" >"$LOGS/socket-restart.out" 2>&1
status=$?
expect_eq "README's command, exit status ($(head -c 300 "$LOGS/socket-restart.out"))" "$status" 0
for unit in secrets-delegate.socket secrets-delegate-credentials.socket secrets-delegate.service; do
    wait_until 30 systemctl --quiet is-active "$unit"
    expect_eq "$unit after the command" "$(systemctl is-active "$unit")" active
done
expect_eq "task socket's Backlog= after the command" "$(unit_prop secrets-delegate.socket Backlog)" 77
expect_eq "credentials socket's Backlog= after the command" "$(unit_prop secrets-delegate-credentials.socket Backlog)" 77
[ "$(unit_prop secrets-delegate.service MainPID)" != "$pid" ] && ok "the delegate was restarted" || fail "the delegate kept its process $pid"
[ "$(stat -c %i /run/secrets-delegate/delegate.sock)" != "$task_inode" ] && ok "the task socket was bound anew" ||
    fail "the task socket is the old one"
[ "$(stat -c %i /run/secrets-delegate/credentials.sock)" != "$credentials_inode" ] && ok "the credentials socket was bound anew" ||
    fail "the credentials socket is the old one"
refusals=$(journalctl -b --since "@$since" -u secrets-delegate.socket -u secrets-delegate-credentials.socket | grep -c "already active, refusing")
expect_eq "socket units refused for a running delegate" "$refusals" 0
timeout 30 secrets-delegate status --socket /run/secrets-delegate/delegate.sock >/dev/null 2>&1
expect_eq "status through the task socket after the command" "$?" 0

rm -rf /etc/systemd/system/secrets-delegate.socket.d/boot-backlog.conf /etc/systemd/system/secrets-delegate-credentials.socket.d/boot-backlog.conf
systemctl daemon-reload
systemctl stop secrets-delegate.service
systemctl restart secrets-delegate.socket secrets-delegate-credentials.socket
systemctl start secrets-delegate.service
expect_eq "delegate with the socket units as packaged" "$(systemctl is-active secrets-delegate.service)" active
