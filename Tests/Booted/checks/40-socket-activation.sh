# With the service stopped, the socket unit listens; the first client starts the service.
systemctl stop secrets-delegate.service
expect_eq "service after stop" "$(systemctl is-active secrets-delegate.service)" inactive
expect_eq "socket unit while the service is stopped" "$(systemctl is-active secrets-delegate.socket)" active
if status=$(timeout 60 secrets-delegate status 2>&1) && grep -q '"boot-delegate"' <<<"$status"; then
    ok "secrets-delegate status started the service through the socket and got an answer"
else
    fail "status through the socket: $status"
fi
# Socket-activated, it answers before systemd has read its READY=1: active a moment later.
wait_until 30 systemctl is-active --quiet secrets-delegate.service
expect_eq "service after the status query" "$(systemctl is-active secrets-delegate.service)" active
