# A hand-written credentials socket unit without FileDescriptorName= whose ListenStream= and
# credentials_socket_path say /var/run/... (systemd binds it at /run/...): the delegate still takes
# the passed socket for the credentials socket, by its file, and serves a unit's LoadCredential=
# through it byte for byte; nothing is left unserved and the start does not try to bind it again.
varrun=/var/run/secrets-delegate/credentials.sock
cp /etc/secrets-delegate/delegate.toml "$LOGS/delegate.toml.before-var-run"
mkdir -p /etc/systemd/system/secrets-delegate-credentials.socket.d
cat >/etc/systemd/system/secrets-delegate-credentials.socket.d/boot-var-run.conf <<UNIT
[Socket]
ListenStream=
ListenStream=$varrun
FileDescriptorName=
UNIT
printf '[queue]\ncredentials_socket_path = "%s"\n' "$varrun" >>/etc/secrets-delegate/delegate.toml
systemctl daemon-reload
expect_eq "the socket unit's name for its descriptor (none given: the unit's)" \
    "$(unit_prop secrets-delegate-credentials.socket FileDescriptorName)" secrets-delegate-credentials.socket
journal_mark var-run-unserved EVENT=socket-not-served
systemctl stop secrets-delegate.service
systemctl restart secrets-delegate.socket secrets-delegate-credentials.socket
restart_delegate
wait_until 30 systemctl --quiet is-active secrets-delegate.service
expect_eq "delegate with the credentials socket at a /var/run path and no descriptor name" \
    "$(systemctl is-active secrets-delegate.service)" active
credential_unit app.service var-run
systemctl daemon-reload
timeout 60 systemctl start app.service
expect_eq "app.service through the /var/run-configured credentials socket, exit status" "$?" 0
expect_credential var-run "the credential served through it"
expect_eq "socket-not-served entries since the restart" "$(journal_since var-run-unserved EVENT=socket-not-served | wc -l)" 0
expect_eq "restarts of the delegate" "$(unit_prop secrets-delegate.service NRestarts)" 0
timeout 30 secrets-delegate status --socket /run/secrets-delegate/delegate.sock >/dev/null 2>&1
expect_eq "status through the task socket beside it" "$?" 0

systemctl stop app.service 2>/dev/null
rm -f /etc/systemd/system/app.service /etc/systemd/system/secrets-delegate-credentials.socket.d/boot-var-run.conf
cp "$LOGS/delegate.toml.before-var-run" /etc/secrets-delegate/delegate.toml
systemctl daemon-reload
systemctl stop secrets-delegate.service
systemctl restart secrets-delegate.socket secrets-delegate-credentials.socket
restart_delegate
wait_until 30 systemctl --quiet is-active secrets-delegate.service
expect_eq "delegate with the credentials socket as packaged again" "$(systemctl is-active secrets-delegate.service)" active
expect_eq "the credentials socket's descriptor name as packaged" \
    "$(unit_prop secrets-delegate-credentials.socket FileDescriptorName)" credentials
