# README's way to give the delegate a proxy URL with a password (and AWS_SECRET_ACCESS_KEY for the
# environment identity): an EnvironmentFile= only root may read, not Environment=. The delegate
# gets the variables, and another user who asks systemd sees an Environment= value (the unit's
# own) but not them. NO_PROXY=* keeps the dead proxy out of the way of the later checks.
readme=/usr/share/doc/secrets-delegate/README.md
grep -q 'EnvironmentFile=/etc/secrets-delegate/proxy.env' "$readme" && ok "README names the EnvironmentFile= for proxy passwords" ||
    fail "README does not name EnvironmentFile=/etc/secrets-delegate/proxy.env"
mkdir -p /etc/systemd/system/secrets-delegate.service.d
install -m 0600 -o root -g root /dev/null /etc/secrets-delegate/proxy.env
printf 'HTTPS_PROXY=http://boot:CANARYPROXYPW@127.0.0.1:9\nNO_PROXY=*\n' >/etc/secrets-delegate/proxy.env
printf '[Service]\nEnvironmentFile=/etc/secrets-delegate/proxy.env\n' >/etc/systemd/system/secrets-delegate.service.d/boot-proxy.conf
systemctl daemon-reload
restart_delegate
wait_until 60 systemctl --quiet is-active secrets-delegate.service
expect_eq "delegate with the EnvironmentFile=" "$(systemctl is-active secrets-delegate.service)" active
pid=$(unit_prop secrets-delegate.service MainPID)
tr '\0' '\n' <"/proc/$pid/environ" | grep -qx 'HTTPS_PROXY=http://boot:CANARYPROXYPW@127.0.0.1:9' &&
    ok "the delegate has HTTPS_PROXY from the EnvironmentFile=" || fail "HTTPS_PROXY did not reach the delegate (pid $pid)"
shown=$(runuser -u nobody -- systemctl show secrets-delegate.service 2>&1)
grep -q 'GNUTLS_NO_IMPLICIT_INIT=1' <<<"$shown" && ok "another user reads the unit's Environment= with systemctl show" ||
    fail "another user's systemctl show gave no Environment= to compare with: $(head -c 200 <<<"$shown")"
grep -q CANARYPROXYPW <<<"$shown" && fail "another user's systemctl show has the proxy password" ||
    ok "another user's systemctl show has no proxy password"
timeout 30 secrets-delegate status --socket /run/secrets-delegate/delegate.sock >/dev/null 2>&1
expect_eq "status through the task socket with the EnvironmentFile=" "$?" 0
rm -f /etc/systemd/system/secrets-delegate.service.d/boot-proxy.conf /etc/secrets-delegate/proxy.env
systemctl daemon-reload
restart_delegate
wait_until 60 systemctl --quiet is-active secrets-delegate.service
expect_eq "delegate after the EnvironmentFile= went" "$(systemctl is-active secrets-delegate.service)" active

# Configuration variables under systemd: a key the file sets that an Environment= variable
# overrides is warned of at the start (EVENT=keys-overridden, naming both: an edit of the file
# would change nothing), and a variable whose prefix is misspelt (SECRETS_DELEGATED_, after the
# daemon's binary) stops the start for good (78, no restart), naming it, rather than be ignored.
envdrop=/etc/systemd/system/secrets-delegate.service.d/boot-env.conf
printf '[Service]\nEnvironment=SECRETS_DELEGATE_AWS_REQUEST_TIMEOUT_SECONDS=20\n' >"$envdrop"
systemctl daemon-reload
journal_mark keys-overridden EVENT=keys-overridden
restart_delegate
wait_until 60 systemctl --quiet is-active secrets-delegate.service
expect_eq "delegate with a variable overriding a file key" "$(systemctl is-active secrets-delegate.service)" active
overridden() {
    journal_since keys-overridden EVENT=keys-overridden |
        grep -qF '[aws] request_timeout_seconds by SECRETS_DELEGATE_AWS_REQUEST_TIMEOUT_SECONDS'
}
wait_until 20 overridden && ok "a keys-overridden warning names the key and the variable" ||
    fail "no keys-overridden warning: $(delegate_journal -n 5 | tr '\n' '|' | head -c 500)"
printf '[Service]\nEnvironment=SECRETS_DELEGATED_QUEUE_SPOOL_DIR=/srv/elsewhere\n' >"$envdrop"
systemctl daemon-reload
expect_start_refused "with SECRETS_DELEGATED_QUEUE_SPOOL_DIR set" 'SECRETS_DELEGATED_QUEUE_SPOOL_DIR.*is not read'
rm -f "$envdrop"
systemctl daemon-reload
restart_delegate
wait_until 60 systemctl --quiet is-active secrets-delegate.service
expect_eq "delegate without the variables" "$(systemctl is-active secrets-delegate.service)" active
