# Turning the credentials socket off, as README says, stays off: a restart of the delegate (an
# upgrade's, a reboot's) does not start it again, and no unit's LoadCredential= is served. The
# service lists the socket in Sockets=, which pulls it in (Wants=): `disable` alone does not keep
# it off; `mask` does. (What `disable` alone does is noted, not asserted.)
sock=/run/secrets-delegate/credentials.sock
systemctl disable --now secrets-delegate-credentials.socket 2>/dev/null
systemctl restart secrets-delegate.service
wait_until 30 systemctl --quiet is-active secrets-delegate.service
echo "46-credentials-off: after disable --now and a restart of the delegate the credentials socket is $(systemctl is-active secrets-delegate-credentials.socket)" >>"$LOGS/notes"

systemctl mask --now secrets-delegate-credentials.socket
systemctl restart secrets-delegate.service
wait_until 30 systemctl --quiet is-active secrets-delegate.service
expect_eq "delegate after a restart with the credentials socket masked" "$(systemctl is-active secrets-delegate.service)" active
expect_eq "credentials socket after the restart" "$(systemctl is-active secrets-delegate-credentials.socket)" inactive
# A unit asking for a credential through it fails to start (the socket file systemd left answers
# nothing).
cat >/etc/systemd/system/boot-cred-off.service <<UNIT
[Service]
Type=oneshot
LoadCredential=db:$sock
ExecStart=/bin/true
UNIT
systemctl daemon-reload
systemctl start boot-cred-off.service 2>/dev/null
expect_eq "a unit's LoadCredential= through the socket turned off" "$(unit_prop boot-cred-off.service Result)" exit-code
rm -f /etc/systemd/system/boot-cred-off.service

# And back on.
systemctl unmask secrets-delegate-credentials.socket
systemctl enable --now secrets-delegate-credentials.socket
systemctl restart secrets-delegate.service
wait_until 30 systemctl --quiet is-active secrets-delegate.service
expect_eq "credentials socket turned on again" "$(systemctl is-active secrets-delegate-credentials.socket)" active
systemctl daemon-reload
