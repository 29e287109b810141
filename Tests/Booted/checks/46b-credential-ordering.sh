# README's advice on ordering, proven: a unit ordered Before=secrets-delegate.service whose start
# waits for its process (here Type=exec) waits for a secret from a delegate whose start waits for
# it, until the unit's start timeout; a Type=simple one is served. Both ask the credentials socket
# while the delegate is stopped, as at boot (units of names 45's connector admits; 46 leaves 45's configuration, and this check runs before or after it as the locale sorts).
systemctl stop secrets-delegate.service
ordered_unit() { # NAME TYPE COPY
    cat >"/etc/systemd/system/$1" <<UNIT
[Unit]
Before=secrets-delegate.service
[Service]
Type=$2
TimeoutStartSec=10s
LoadCredential=db-password:/run/secrets-delegate/credentials.sock
ExecStart=/bin/sh -c 'cp "\$CREDENTIALS_DIRECTORY/db-password" $LOGS/$3; sleep 5'
UNIT
}
ordered_unit app.service exec ordered-exec-credential
ordered_unit bootdyn.service simple ordered-simple-credential
systemctl daemon-reload

timeout 120 systemctl start app.service 2>/dev/null
expect_eq "a Type=exec unit ordered Before= the delegate, its result" "$(unit_prop app.service Result)" timeout
[ ! -e "$LOGS/ordered-exec-credential" ] && ok "it never ran with its secret" || fail "it ran with a credential of $(wc -c <"$LOGS/ordered-exec-credential") bytes"
systemctl stop app.service secrets-delegate.service 2>/dev/null
systemctl reset-failed app.service secrets-delegate.service

timeout 120 systemctl start bootdyn.service
expect_eq "a Type=simple unit ordered Before= the delegate, systemctl start" "$?" 0
wait_until 30 test -s "$LOGS/ordered-simple-credential"
cmp -s "$LOGS/ordered-simple-credential" <(printf %s "$(canary)") &&
    ok "the Type=simple unit is served its secret, byte for byte" ||
    fail "the Type=simple unit's credential is not the secret ($(wc -c <"$LOGS/ordered-simple-credential" 2>/dev/null) bytes)"

systemctl stop app.service bootdyn.service 2>/dev/null
systemctl reset-failed app.service bootdyn.service 2>/dev/null
rm -f /etc/systemd/system/app.service /etc/systemd/system/bootdyn.service
systemctl daemon-reload
restart_delegate
wait_until 30 systemctl --quiet is-active secrets-delegate.service
expect_eq "the delegate after the ordering check" "$(systemctl is-active secrets-delegate.service)" active
