# LoadCredential= served by the delegate: a unit named in a [[credential]] entry and admitted by
# its connector's allowed_units starts with the secret in $CREDENTIALS_DIRECTORY; a unit the
# connector does not admit fails to start and the delegate's journal names it.
expect_eq "credentials socket unit" "$(systemctl is-active secrets-delegate-credentials.socket)" active
# systemd creates it root:root 0600; RuntimeDirectory= hands the directory's contents to the
# delegate's user at each start. Either way only root (and the delegate itself) may connect.
case "$(stat -c '%a %U' /run/secrets-delegate/credentials.sock)" in
"600 root" | "600 secrets-delegate") ok "credentials socket is mode 0600, owned by root or the delegate" ;;
*) fail "credentials socket is $(stat -c '%a %U:%G' /run/secrets-delegate/credentials.sock), expected 0600 root or secrets-delegate" ;;
esac
write_config "$IMDS_GOOD" '"boot"'
cat >>/etc/secrets-delegate/delegate.toml <<TOML
[connectors.boot-units]
region = "us-east-1"
secret_name_prefix = "boot"
credentials = { type = "instanceRole" }
operations = ["getSecretValue"]
allowed_units = ["app.service", 'bootapp@inst\x2done.service', "bootdyn.service"]

[[credential]]
unit = "app.service"
id = "db-password"
connector = "boot-units"
secret = "db#password"

# A template's instance, asking by its own (escaped) name, and a transient DynamicUser= unit.
[[credential]]
unit = 'bootapp@inst\x2done.service'
id = "db-password"
connector = "boot-units"
secret = "db#password"

[[credential]]
unit = "bootdyn.service"
id = "db-password"
connector = "boot-units"
secret = "db#password"

# Any other unit asking for db-password matches this entry, and the connector refuses it.
[[credential]]
unit = "*"
id = "db-password"
connector = "boot-units"
secret = "db#password"
TOML
reload_delegate
secrets-delegate check-config 2>&1 | grep -q 'unit = "\*"' && ok "check-config lists the credential entries" || fail "check-config does not list the [[credential]] entries"

for unit in app intruder intruder2 intruder3 intruder4; do credential_unit "$unit.service" "$unit"; done
systemctl daemon-reload

REFUSED_ID=MESSAGE_ID=111c1dbfd96e46589d35c40901d07e07
SERVED_ID=MESSAGE_ID=e55db4e34ab243a295689df89ea6c2ad
journal_mark refused $REFUSED_ID UNIT=intruder.service
journal_mark served $SERVED_ID UNIT=app.service
timeout 60 systemctl start app.service
expect_eq "systemctl start app.service" "$?" 0
expect_credential app "app.service's \$CREDENTIALS_DIRECTORY/db-password"
served() { journal_since served $SERVED_ID UNIT=app.service | grep -q .; }
wait_until 30 served && ok "a credential-served entry (its MESSAGE_ID) names app.service" ||
    fail "no credential-served entry with UNIT=app.service"

timeout 60 systemctl start intruder.service
[ "$?" != 0 ] && ok "intruder.service (not in allowed_units) fails to start" || fail "intruder.service started"
[ ! -e "$LOGS/intruder-credential" ] && ok "intruder.service never ran" ||
    fail "intruder.service ran (with a credential of $(wc -c <"$LOGS/intruder-credential") bytes)"
expect_eq "intruder.service's result" "$(unit_prop intruder.service Result)" exit-code
expect_eq "intruder.service's exit status (243 = CREDENTIALS)" "$(unit_prop intruder.service ExecMainStatus)" 243
refused() { journal_since refused $REFUSED_ID UNIT=intruder.service | grep -q .; }
wait_until 30 refused &&
    ok "a credential-refused entry (its MESSAGE_ID) names intruder.service: $(journal_since refused $REFUSED_ID UNIT=intruder.service | head -n 1)" ||
    fail "no credential-refused entry with UNIT=intruder.service"
# Units refused at once (a boot) each get their line, though they are more than the 3 a kind of
# warning may log in 10 s: refusals are rate-limited per code and unit.
for n in 2 3 4; do journal_mark refused-$n $REFUSED_ID UNIT=intruder$n.service; done
for n in 2 3 4; do timeout 60 systemctl start intruder$n.service 2>/dev/null; done
for n in 2 3 4; do
    refused_n() { journal_since refused-$n $REFUSED_ID UNIT=intruder$n.service | grep -q .; }
    wait_until 30 refused_n && ok "intruder$n.service, refused with the others, has its own credential-refused entry" ||
        fail "no credential-refused entry with UNIT=intruder$n.service"
done
expect_eq "delegate after the refusal" "$(systemctl is-active secrets-delegate.service)" active

# An instance of a template asks by its instance's name as systemd escapes it (`\x2d` for `-`),
# and is served by an entry of that exact name; a DynamicUser= unit (a transient one, its user
# made up for it) is served as any unit: the peer is systemd, root, whatever the unit runs as.
credential_unit bootapp@.service bootapp
systemctl daemon-reload
journal_mark served-instance $SERVED_ID 'UNIT=bootapp@inst\x2done.service'
timeout 60 systemctl start 'bootapp@inst\x2done.service'
expect_eq "systemctl start of the template instance bootapp@inst\\x2done.service" "$?" 0
expect_credential bootapp "the template instance's credential"
served_instance() { journal_since served-instance $SERVED_ID 'UNIT=bootapp@inst\x2done.service' | grep -q .; }
wait_until 30 served_instance && ok "a credential-served entry names the instance by its escaped name" ||
    fail "no credential-served entry with UNIT=bootapp@inst\\x2done.service"
dynamic=$(timeout 60 systemd-run --quiet --wait --pipe -p DynamicUser=yes \
    -p LoadCredential=db-password:/run/secrets-delegate/credentials.sock --unit=bootdyn.service \
    /bin/sh -c 'cat "$CREDENTIALS_DIRECTORY/db-password"' 2>"$LOGS/bootdyn.err")
expect_eq "systemd-run of a DynamicUser= unit with the credential, exit status" "$?" 0
[ "$dynamic" = "$(canary)" ] && ok "the DynamicUser= unit's credential holds exactly the secret" ||
    fail "the DynamicUser= unit's credential is not the secret: $(head -c 300 "$LOGS/bootdyn.err")"
systemctl stop 'bootapp@inst\x2done.service' 2>/dev/null
rm -f /etc/systemd/system/bootapp@.service
systemctl daemon-reload
expect_eq "journal entries (any field) holding the secret value" "$(journal_leaks boot "$(canary)")" 0

# A binary secret is handed over as its bytes (NUL, 0xff, a trailing newline kept); a JSON field
# holding "" is served as an empty credential, and its unit starts (as documented).
printf 'bin\000ary\377\n' >"$LOGS/binary-secret"
submit create-binary "{\"id\":\"boot-create-binary\",\"connector\":$(connector '["boot"]'),\"operation\":\"createSecret\",\"params\":{\"name\":\"blob\",\"secretBinary\":\"$(base64 -w0 "$LOGS/binary-secret")\"}}" --wait
expect_eq "createSecret of a binary secret, exit status" "$?" 0
submit create-fields "{\"id\":\"boot-create-fields\",\"connector\":$(connector '["boot"]'),\"operation\":\"createSecret\",\"params\":{\"name\":\"fields\",\"secretString\":\"{\\\"empty\\\":\\\"\\\"}\"}}" --wait
expect_eq "createSecret of a JSON secret with an empty field, exit status" "$?" 0
cat >>/etc/secrets-delegate/delegate.toml <<TOML

[[credential]]
unit = "bootdyn.service"
id = "blob"
connector = "boot-units"
secret = "blob"

[[credential]]
unit = "bootdyn.service"
id = "nothing"
connector = "boot-units"
secret = "fields#empty"
TOML
reload_delegate
timeout 60 systemd-run --quiet --wait -p LoadCredential=blob:/run/secrets-delegate/credentials.sock --unit=bootdyn.service \
    /bin/sh -c "cp \"\$CREDENTIALS_DIRECTORY/blob\" $LOGS/blob-credential" 2>"$LOGS/blob.err"
expect_eq "systemd-run with the binary credential, exit status" "$?" 0
cmp -s "$LOGS/blob-credential" "$LOGS/binary-secret" &&
    ok "a binary secret's credential holds its bytes exactly (NUL, 0xff, trailing newline)" ||
    fail "the binary credential differs: $(od -c "$LOGS/blob-credential" 2>&1 | head -c 200) $(head -c 300 "$LOGS/blob.err")"
timeout 60 systemd-run --quiet --wait -p LoadCredential=nothing:/run/secrets-delegate/credentials.sock --unit=bootdyn.service \
    /bin/sh -c "wc -c <\"\$CREDENTIALS_DIRECTORY/nothing\" >$LOGS/nothing-credential-size" 2>"$LOGS/nothing.err"
expect_eq "systemd-run with a credential from an empty field, exit status" "$?" 0
expect_eq "bytes in the credential from an empty field" "$(tr -d ' ' <"$LOGS/nothing-credential-size" 2>/dev/null)" 0

# A LoadCredential= line naming the task socket instead: systemd's helper is refused there as on
# the credentials socket (the unit fails rather than start with an empty credential at the idle
# timeout), and the delegate's error line names the unit.
credential_unit wrongsock.service wrongsock /run/secrets-delegate/delegate.sock
systemctl daemon-reload
journal_mark wrongsock MESSAGE_ID=111c1dbfd96e46589d35c40901d07e07 ERROR_CODE=WrongSocket UNIT=wrongsock.service CREDENTIAL_ID=db-password
timeout 60 systemctl start wrongsock.service
[ "$?" != 0 ] && ok "a unit whose LoadCredential= names the task socket fails to start" ||
    fail "wrongsock.service started ($(wc -c <"$LOGS/wrongsock-credential" 2>/dev/null) bytes of credential)"
[ ! -e "$LOGS/wrongsock-credential" ] && ok "wrongsock.service never ran" || fail "wrongsock.service ran"
expect_eq "wrongsock.service's exit status (243 = CREDENTIALS)" "$(unit_prop wrongsock.service ExecMainStatus)" 243
wrongsock() { journal_since wrongsock MESSAGE_ID=111c1dbfd96e46589d35c40901d07e07 ERROR_CODE=WrongSocket UNIT=wrongsock.service CREDENTIAL_ID=db-password | grep -q "came to the task socket"; }
wait_until 30 wrongsock && ok "the delegate says a LoadCredential= request came to the task socket, naming the unit, as the credential-refused event the refusal points to" ||
    fail "no 'came to the task socket' entry with UNIT=wrongsock.service and CREDENTIAL_ID=db-password"
rm -f /etc/systemd/system/wrongsock.service
systemctl daemon-reload

# Socket activation through the credentials socket: with the delegate stopped, a unit's start
# starts it.
systemctl stop app.service secrets-delegate.service
rm -f "$LOGS/app-credential"
expect_eq "credentials socket while the delegate is stopped" "$(systemctl is-active secrets-delegate-credentials.socket)" active
timeout 60 systemctl start app.service
expect_eq "systemctl start app.service with the delegate stopped" "$?" 0
# Socket-activated, it serves before systemd has read its READY=1: active a moment later.
wait_until 30 systemctl is-active --quiet secrets-delegate.service
expect_eq "delegate started by the credentials socket" "$(systemctl is-active secrets-delegate.service)" active
[ "$(cat "$LOGS/app-credential" 2>/dev/null)" = "$(canary)" ] &&
    ok "the socket-activated delegate served the credential" || fail "no credential after socket activation"
systemctl stop app.service intruder.service intruder2.service intruder3.service intruder4.service 2>/dev/null
rm -f /etc/systemd/system/app.service /etc/systemd/system/intruder.service /etc/systemd/system/intruder[234].service
systemctl daemon-reload
