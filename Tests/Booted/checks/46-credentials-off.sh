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
rm -f /etc/systemd/system/boot-cred-off.service

# And back on.
systemctl unmask secrets-delegate-credentials.socket
systemctl enable --now secrets-delegate-credentials.socket
systemctl restart secrets-delegate.service
wait_until 30 systemctl --quiet is-active secrets-delegate.service
expect_eq "credentials socket turned on again" "$(systemctl is-active secrets-delegate-credentials.socket)" active
systemctl daemon-reload
