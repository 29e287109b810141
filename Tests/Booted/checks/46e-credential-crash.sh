# A delegate killed while a unit's LoadCredential= request is open (SIGKILL here; the OOM killer, a
# watchdog abort or a crash alike) answers nothing: the kernel closes the connection, and systemd
# takes the EOF as an empty credential and starts the unit with it. README's guard, an ExecStart=
# that tests the credential is not empty before it runs the program, fails such a start instead.
cleanup() {
    systemctl stop boot-crash-guarded.service boot-crash-unguarded.service 2>/dev/null
    rm -f /etc/systemd/system/boot-crash-guarded.service /etc/systemd/system/boot-crash-unguarded.service
    systemctl stop boot-sm-stall.socket boot-sm-stall.service 2>/dev/null
    systemctl daemon-reload
    write_config "$IMDS_GOOD" '"boot"'
    restart_delegate
}
trap cleanup EXIT
trap 'exit 1' TERM
# Secrets Manager that takes the connection and never answers: the reads stay open.
blackhole_socket boot-sm-stall ListenStream=127.0.0.12:45991
write_config "$IMDS_GOOD" '"boot"'
cat >>/etc/secrets-delegate/delegate.toml <<TOML
[connectors.boot-crash]
region = "us-east-1"
secret_name_prefix = "boot"
credentials = { type = "instanceRole" }
operations = ["getSecretValue"]
allowed_units = ["boot-crash-unguarded.service", "boot-crash-guarded.service"]

[[credential]]
unit = "*"
id = "db-password"
connector = "boot-crash"
secret = "db#password"
TOML
sed -i 's|^secretsmanager_endpoint = .*|secretsmanager_endpoint = "http://127.0.0.12:45991"|' /etc/secrets-delegate/delegate.toml
grep -q '^secretsmanager_endpoint = "http://127.0.0.12:45991"$' /etc/secrets-delegate/delegate.toml ||
    fail "the stalled endpoint was not written"
restart_delegate
wait_until 30 systemctl --quiet is-active secrets-delegate.service
sock=/run/secrets-delegate/credentials.sock
# crash_unit NAME [GUARD]: boot-crash-NAME.service, which writes the size of its credential to
# $LOGS/crash-NAME-size, after GUARD (README's test in its ExecStart= line) if given.
crash_unit() {
    printf '[Service]\nType=oneshot\nRemainAfterExit=yes\nLoadCredential=db-password:%s\n' "$sock" \
        >"/etc/systemd/system/boot-crash-$1.service"
    printf '%s\n' "ExecStart=/bin/sh -c '${2:-}wc -c <\"\$CREDENTIALS_DIRECTORY/db-password\" >$LOGS/crash-$1-size'" \
        >>"/etc/systemd/system/boot-crash-$1.service"
}
crash_unit unguarded
crash_unit guarded 'test -s "$CREDENTIALS_DIRECTORY/db-password" && '
systemctl daemon-reload
rm -f "$LOGS/crash-unguarded-size" "$LOGS/crash-guarded-size"
systemctl start --no-block boot-crash-unguarded.service boot-crash-guarded.service
# Both requests are in the delegate's hands once its reads have reached the stalled endpoint.
wait_until 30 sh -c '[ "$(systemctl is-active boot-sm-stall.service)" = active ]'
expect_eq "a read reached the stalled Secrets Manager" "$(systemctl is-active boot-sm-stall.service)" active
sleep 2
expect_eq "the unguarded unit waits for its credential" "$(systemctl is-active boot-crash-unguarded.service)" activating
systemctl kill -s KILL secrets-delegate.service
wait_until 30 sh -c '[ "$(systemctl is-active boot-crash-unguarded.service)" != activating ] &&
    [ "$(systemctl is-active boot-crash-guarded.service)" != activating ]'
expect_eq "the unguarded unit, its delegate killed mid-request (systemd starts it)" \
    "$(unit_prop boot-crash-unguarded.service Result)" success
expect_eq "the credential it started with, in bytes (empty)" "$(cat "$LOGS/crash-unguarded-size" 2>/dev/null)" 0
expect_eq "the unit with README's guard in its ExecStart=" "$(unit_prop boot-crash-guarded.service Result)" exit-code
[ ! -e "$LOGS/crash-guarded-size" ] && ok "the guarded unit's program never ran" ||
    fail "the guarded unit ran with a credential of $(cat "$LOGS/crash-guarded-size") bytes"
