# Turning the task socket off, as README says: socket_path = "", the socket unit stopped and
# masked, the delegate restarted: no task socket is served. (With socket_path still set, the
# delegate would bind that path itself once systemd hands it no socket: noted, as README warns.)
cp /etc/secrets-delegate/delegate.toml "$LOGS/delegate.toml.before-socket-off"
write_config "$IMDS_GOOD" '"boot"'
printf '[queue]\nsocket_path = ""\n' >>/etc/secrets-delegate/delegate.toml
systemctl stop secrets-delegate.socket
systemctl mask secrets-delegate.socket
restart_delegate
expect_eq "delegate with the task socket turned off" "$(systemctl is-active secrets-delegate.service)" active
timeout 30 secrets-delegate status --socket /run/secrets-delegate/delegate.sock >"$LOGS/socket-off.out" 2>"$LOGS/socket-off.err"
expect_eq "status through the task socket turned off, exit status" "$?" 69
write_config "$IMDS_GOOD" '"boot"'
restart_delegate
timeout 30 secrets-delegate status --socket /run/secrets-delegate/delegate.sock >/dev/null 2>&1
echo "41-socket-off: with the unit masked and socket_path left set, status through the path exits $? (the delegate binds it itself)" >>"$LOGS/notes"

cp "$LOGS/delegate.toml.before-socket-off" /etc/secrets-delegate/delegate.toml
systemctl unmask secrets-delegate.socket
systemctl stop secrets-delegate.service
systemctl reset-failed secrets-delegate.service
systemctl start secrets-delegate.socket secrets-delegate.service
expect_eq "service with the socket unit back" "$(systemctl is-active secrets-delegate.service)" active
expect_eq "socket unit back" "$(systemctl is-active secrets-delegate.socket)" active
