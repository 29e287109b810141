# Turning the credentials socket off, as README says, stays off: a restart of the delegate (an
# upgrade's, a reboot's) does not start it again, and no unit's LoadCredential= is served. The
# service lists the socket in Sockets=, which pulls it in (Wants=): `disable` alone does not keep
# it off; `mask` does.
sock=/run/secrets-delegate/credentials.sock
systemctl disable --now secrets-delegate-credentials.socket 2>/dev/null
expect_eq "credentials socket after disable --now" "$(systemctl is-enabled secrets-delegate-credentials.socket)" disabled
systemctl restart secrets-delegate.service
wait_until 30 systemctl --quiet is-active secrets-delegate.service
wait_until 30 systemctl --quiet is-active secrets-delegate-credentials.socket
expect_eq "credentials socket, disabled, after a restart of the delegate (Sockets= pulls it in: disable is not enough)" \
    "$(systemctl is-active secrets-delegate-credentials.socket)" active

# Stopped, then masked, as README says: a masked unit's configuration is gone, so `mask --now`
# would stop it without its RemoveOnStop= and leave the socket file behind.
systemctl stop secrets-delegate-credentials.socket
systemctl mask secrets-delegate-credentials.socket
systemctl restart secrets-delegate.service
wait_until 30 systemctl --quiet is-active secrets-delegate.service
expect_eq "delegate after a restart with the credentials socket masked" "$(systemctl is-active secrets-delegate.service)" active
expect_eq "credentials socket after the restart" "$(systemctl is-active secrets-delegate-credentials.socket)" inactive
[ ! -e "$sock" ] && ok "no credentials socket file is left (RemoveOnStop=yes)" || fail "the masked socket left $(ls -l "$sock")"
# A unit asking for a credential through it fails to start, for want of the socket (not refused
# by a delegate still serving it: that would be E2BIG, "Argument list too long").
cat >/etc/systemd/system/boot-cred-off.service <<UNIT
[Service]
Type=oneshot
LoadCredential=db-password:$sock
ExecStart=/bin/true
UNIT
systemctl daemon-reload
systemctl start boot-cred-off.service 2>/dev/null
expect_eq "a unit's LoadCredential= through the socket turned off" "$(unit_prop boot-cred-off.service Result)" exit-code
journalctl --sync 2>/dev/null
why=$(journalctl -b -u boot-cred-off.service --no-pager -q -o cat | grep -i 'credential' | head -n 3)
echo "46-credentials-off: the unit's own words: $why" >>"$LOGS/notes"
if [ -n "$why" ] && ! grep -q 'Argument list too long' <<<"$why"; then
    ok "the unit failed for want of the socket, not refused by the delegate"
else
    fail "the unit was not failed for want of the socket: ${why:-its journal says nothing about credentials}"
fi
# With SetCredential= for the same id, as README says, the unit starts with that value instead.
cat >/etc/systemd/system/boot-cred-off.service <<UNIT
[Service]
Type=oneshot
LoadCredential=db-password:$sock
SetCredential=db-password:boot-fallback-value
ExecStart=/bin/sh -c 'cat "\$CREDENTIALS_DIRECTORY/db-password" >$LOGS/cred-off-fallback.out'
UNIT
systemctl daemon-reload
rm -f "$LOGS/cred-off-fallback.out"
systemctl start boot-cred-off.service 2>/dev/null
expect_eq "a unit with SetCredential= beside LoadCredential= through the socket turned off" \
    "$(unit_prop boot-cred-off.service Result)" success
expect_eq "the credential it got (SetCredential='s value)" "$(cat "$LOGS/cred-off-fallback.out" 2>/dev/null)" boot-fallback-value
rm -f /etc/systemd/system/boot-cred-off.service

# Without socket activation (the socket unit masked), a delegate whose credentials_socket_path is
# set binds the socket itself: mode 0600, its own; it serves a unit's LoadCredential= byte for
# byte, and removes its file at its stop.
cp /etc/secrets-delegate/delegate.toml "$LOGS/delegate.toml.before-self-bound"
printf '[queue]\ncredentials_socket_path = "%s"\n' "$sock" >>/etc/secrets-delegate/delegate.toml
# Another user's socket at the path (root's, left behind here by systemd-socket-activate, killed):
# the delegate, which may not connect to it to tell whether a server listens there, leaves it
# alone and stops for good (78, the reason named), not in a loop of restarts.
rm -f "$sock"
timeout 2 systemd-socket-activate -l "$sock" /bin/true >/dev/null 2>&1
expect_eq "the socket file left behind" "$(stat -c '%F %U' "$sock" 2>&1)" "socket root"
expect_start_refused "with another user's socket left at credentials_socket_path" "may not connect to is there"
rm -f "$sock"
restart_delegate
wait_until 30 systemctl --quiet is-active secrets-delegate.service
wait_until 30 test -S "$sock"
expect_eq "the credentials socket the delegate bound itself" "$(stat -c '%a %U' "$sock" 2>&1)" "600 secrets-delegate"
credential_unit app.service self-bound "$sock"
systemctl daemon-reload
timeout 60 systemctl start app.service
expect_eq "app.service through the socket the delegate bound itself, exit status" "$?" 0
expect_credential self-bound "the credential served through the self-bound socket"
systemctl stop app.service secrets-delegate.service
[ ! -e "$sock" ] && ok "the delegate removed its credentials socket at its stop" || fail "the stopped delegate left $(ls -l "$sock")"
rm -f /etc/systemd/system/app.service
cp "$LOGS/delegate.toml.before-self-bound" /etc/secrets-delegate/delegate.toml

# And back on.
systemctl unmask secrets-delegate-credentials.socket
systemctl enable --now secrets-delegate-credentials.socket
systemctl restart secrets-delegate.service
wait_until 30 systemctl --quiet is-active secrets-delegate.service
expect_eq "credentials socket turned on again" "$(systemctl is-active secrets-delegate-credentials.socket)" active
systemctl daemon-reload
