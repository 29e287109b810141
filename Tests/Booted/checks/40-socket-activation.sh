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

# A drop-in adds a second task socket and a datagram socket: the delegate serves the first task
# socket only, and its start names each descriptor it does not serve.
mkdir -p /etc/systemd/system/secrets-delegate.socket.d
printf '[Socket]\nListenStream=/run/secrets-delegate/extra.sock\nListenDatagram=/run/secrets-delegate/extra.dgram\n' \
    >/etc/systemd/system/secrets-delegate.socket.d/extra.conf
systemctl daemon-reload
systemctl stop secrets-delegate.service secrets-delegate.socket
systemctl start secrets-delegate.socket secrets-delegate.service
pid=$(unit_prop secrets-delegate.service MainPID)
# The warnings precede READY=1, but journald may file them a moment later.
wait_until 30 sh -c "journalctl _PID=$pid EVENT=socket-not-served --no-pager -q -o json | grep -q extra.dgram" ||
    fail "no socket-not-served entry for extra.dgram within 30 s"
unserved=$(journalctl _PID="$pid" EVENT=socket-not-served --no-pager -q -o json)
grep -q '"SOCKET":"/run/secrets-delegate/extra.sock"' <<<"$unserved" &&
    ok "the second task socket is named as not served (EVENT=socket-not-served)" ||
    fail "no socket-not-served for extra.sock: $(head -c 400 <<<"$unserved")"
grep -q '"SOCKET":"/run/secrets-delegate/extra.dgram"' <<<"$unserved" &&
    ok "the datagram socket is named as not served" ||
    fail "no socket-not-served for extra.dgram: $(head -c 400 <<<"$unserved")"
grep -q '/run/secrets-delegate/delegate.sock' <<<"$unserved" &&
    fail "the served task socket is named as not served" || ok "the first task socket is not among those not served"
if status=$(timeout 60 secrets-delegate status 2>&1) && grep -q '"boot-delegate"' <<<"$status"; then
    ok "the first task socket still answers with the extra sockets passed"
else
    fail "status through the first task socket with the extra sockets passed: $status"
fi
rm -r /etc/systemd/system/secrets-delegate.socket.d
systemctl daemon-reload
systemctl stop secrets-delegate.service secrets-delegate.socket
rm -f /run/secrets-delegate/extra.sock /run/secrets-delegate/extra.dgram
systemctl start secrets-delegate.socket secrets-delegate.service
expect_eq "service after the drop-in is gone" "$(systemctl is-active secrets-delegate.service)" active
# The packaged socket_path is the socket unit's path: no socket-path-differs (counted once the
# start's lines are stored: its ready event is there).
pid=$(unit_prop secrets-delegate.service MainPID)
ready_stored() { journalctl --sync 2>/dev/null; journalctl _PID="$pid" MESSAGE_ID=b20d32c7a798457797805155f571e76b --no-pager -q | grep -q .; }
wait_until 30 ready_stored || fail "no ready event from PID $pid to count its start's warnings by"
expect_eq "socket-path-differs entries with the packaged socket_path" \
    "$(journalctl _PID="$pid" EVENT=socket-path-differs --no-pager -q | grep -c .)" 0

# socket_path = "" turns off only a socket the delegate would bind: the one systemd passes is
# served, and the start says so.
cp /etc/secrets-delegate/delegate.toml "$LOGS/delegate.toml.before-socket-path"
printf '[queue]\nsocket_path = ""\n' >>/etc/secrets-delegate/delegate.toml
systemctl restart secrets-delegate.service
pid=$(unit_prop secrets-delegate.service MainPID)
# A line of the start before the daemon's own logger, with the delegate's name as its others.
differs() {
    journalctl _PID="$pid" EVENT=socket-path-differs --no-pager -q -o json |
        grep '"SOCKET":"/run/secrets-delegate/delegate.sock"' | grep -q '"DELEGATE_NAME":"boot-delegate"'
}
wait_until 30 differs && ok "socket_path = \"\" with the socket passed: a socket-path-differs warning names the served socket and the delegate" ||
    fail "no socket-path-differs entry: $(journalctl _PID="$pid" -p warning --no-pager -q | head -n 3 | tr '\n' '|')"
if status=$(timeout 60 secrets-delegate status --socket /run/secrets-delegate/delegate.sock 2>&1) && grep -q '"boot-delegate"' <<<"$status"; then
    ok "the passed task socket is served with socket_path = \"\""
else
    fail "status through the passed socket with socket_path = \"\": $status"
fi
cp "$LOGS/delegate.toml.before-socket-path" /etc/secrets-delegate/delegate.toml
systemctl restart secrets-delegate.service
expect_eq "service with socket_path back" "$(systemctl is-active secrets-delegate.service)" active

# A client service that holds the group only through its unit's SupplementaryGroups= (a dynamic
# user, whom no group file lists in it) is admitted: the delegate takes the groups the kernel
# reports for the peer (SO_PEERGROUPS), as the kernel did for its connect, not the user database's.
if out=$(timeout 60 systemd-run --quiet --wait --pipe -p DynamicUser=yes -p SupplementaryGroups=secrets-delegate \
    secrets-delegate status --socket /run/secrets-delegate/delegate.sock 2>&1) && grep -q '"boot-delegate"' <<<"$out"; then
    ok "a client unit with SupplementaryGroups=secrets-delegate is served"
else
    fail "a client unit with SupplementaryGroups=secrets-delegate: $(head -c 400 <<<"$out")"
fi

# A task socket the delegate must bind itself (its socket unit masked) at a path it cannot use
# stops it with exit 78, as a spool it cannot use does: no restart every 2 s, and the reason in
# `systemctl status`. /srv is read-only under ProtectSystem=strict (EROFS at bind); /root is
# hidden by ProtectHome=yes (EACCES at the path's lookup).
cp /etc/secrets-delegate/delegate.toml "$LOGS/delegate.toml.before-socket-unusable"
systemctl stop secrets-delegate.service secrets-delegate.socket
systemctl mask --runtime secrets-delegate.socket
for case in "/srv/delegate.sock ReadWritePaths=" "/root/delegate.sock ProtectHome="; do
    read -r path hint <<<"$case"
    cp "$LOGS/delegate.toml.before-socket-unusable" /etc/secrets-delegate/delegate.toml
    printf '[queue]\nsocket_path = "%s"\n' "$path" >>/etc/secrets-delegate/delegate.toml
    systemctl reset-failed secrets-delegate.service 2>/dev/null
    systemctl start secrets-delegate.service 2>/dev/null
    expect_stopped_for_good "with socket_path $path"
    status_text=$(systemctl status secrets-delegate.service --no-pager -l 2>&1)
    echo "$status_text" >"$LOGS/socket-unusable-status-$(basename "$(dirname "$path")").txt"
    grep -q "cannot bind the socket.*$path" <<<"$status_text" && grep -q "$hint" <<<"$status_text" &&
        ok "systemctl status names $path and what to change ($hint)" ||
        fail "systemctl status lacks the socket's reason for $path: $(head -n 12 <<<"$status_text" | tr '\n' '|')"
done
cp "$LOGS/delegate.toml.before-socket-unusable" /etc/secrets-delegate/delegate.toml
systemctl unmask --runtime secrets-delegate.socket
systemctl reset-failed secrets-delegate.service
systemctl start secrets-delegate.socket secrets-delegate.service
expect_eq "service with the socket unit back" "$(systemctl is-active secrets-delegate.service)" active
