# A named connector declared in connectors.d/ serves a task on the packaged delegate, and its
# operations list is enforced.
cat >/etc/secrets-delegate/connectors.d/boot-named.toml <<TOML
region = "us-east-1"
secret_name_prefix = "boot"
delegate_selectors = ["boot"]
credentials = { type = "instanceRole" }
operations = ["getSecretValue", "describeSecret"]
TOML
chmod 0640 /etc/secrets-delegate/connectors.d/boot-named.toml
chgrp secrets-delegate /etc/secrets-delegate/connectors.d/boot-named.toml
expect_eq "connectors.d mode" "$(stat -c '%a %U:%G' /etc/secrets-delegate/connectors.d)" "750 root:secrets-delegate"
secrets-delegate check-config 2>&1 | grep -q 'boot-named' && ok "check-config lists the connector" || fail "check-config does not list boot-named"
reload_delegate
submit named-read '{"id":"boot-named-read","connector":"boot-named","operation":"getSecretValue","params":{"name":"db#password"}}' --wait
expect_eq "a task naming the connector" "$?" 0
grep -qF "$(canary)" "$LOGS/named-read.out" && ok "it read the secret" || fail "no value: $(head -c 200 "$LOGS/named-read.out")"
submit named-write '{"id":"boot-named-write","connector":"boot-named","operation":"createSecret","params":{"name":"other","secretString":"x"}}' --wait
expect_eq "a write through the read-only connector" "$?" 1
grep -q NotAuthorized "$LOGS/named-write.out" && ok "refused with NotAuthorized" || fail "expected NotAuthorized: $(head -c 200 "$LOGS/named-write.out")"
value=$(timeout 60 secrets-delegate get boot-named 'db#password' 2>"$LOGS/get.err")
expect_eq "secrets-delegate get exit status" "$?" 0
[ "$value" = "$(canary)" ] && ok "secrets-delegate get prints exactly the value" || fail "get printed something else: $(head -c 100 "$LOGS/get.err")"
# With --socket the front binary serves get and exec itself (no configuration read, no full
# binary): a copy of it alone, where no full binary can be found, still answers.
value=$(timeout 60 secrets-delegate get --socket /run/secrets-delegate/delegate.sock boot-named 'db#password' 2>"$LOGS/get-socket.err")
expect_eq "secrets-delegate get --socket exit status" "$?" 0
[ "$value" = "$(canary)" ] && ok "get --socket prints exactly the value" || fail "get --socket printed something else: $(head -c 100 "$LOGS/get-socket.err")"
alone=$(mktemp -d)
cp /usr/bin/secrets-delegate "$alone/"
value=$(timeout 60 "$alone/secrets-delegate" get --socket /run/secrets-delegate/delegate.sock boot-named 'db#password' 2>"$LOGS/get-alone.err")
expect_eq "the front binary alone: get --socket exit status" "$?" 0
[ "$value" = "$(canary)" ] && ok "the front binary alone serves get --socket" || fail "the front binary alone: $(head -c 200 "$LOGS/get-alone.err")"
out=$(timeout 60 "$alone/secrets-delegate" exec --socket /run/secrets-delegate/delegate.sock \
    --env DB_PASSWORD='boot-named:db#password' -- /bin/sh -c 'printf %s "$DB_PASSWORD"' 2>"$LOGS/exec-alone.err")
expect_eq "the front binary alone: exec --socket exit status" "$?" 0
[ "$out" = "$(canary)" ] && ok "the front binary alone serves exec --socket" || fail "exec alone: $(head -c 200 "$LOGS/exec-alone.err")"
timeout 60 "$alone/secrets-delegate" --version >/dev/null 2>"$LOGS/alone-version.err"
expect_eq "the front binary alone, asked for anything else" "$?" 69
grep -q "cannot run $alone/secrets-delegated" "$LOGS/alone-version.err" &&
    ok "it names the full binary it cannot run" || fail "unexpected: $(head -c 200 "$LOGS/alone-version.err")"
rm -rf "$alone"
out=$(timeout 60 secrets-delegate exec --env DB_PASSWORD='boot-named:db#password' -- /bin/sh -c 'printf %s "$DB_PASSWORD"' 2>"$LOGS/exec.err")
[ "$out" = "$(canary)" ] && ok "secrets-delegate exec hands the value to the command" || fail "exec: $(head -c 100 "$LOGS/exec.err")"
# The full binary runs commands on a worker thread that blocks most signals; the command must
# start with the caller's mask (this probe's: none blocked), or it would ignore systemctl stop.
mask=$(timeout 60 secrets-delegate exec --env DB_PASSWORD='boot-named:db#password' -- grep ^SigBlk /proc/self/status 2>"$LOGS/exec-mask.err")
expect_eq "signals blocked in the command exec runs (the probe's own: $(grep ^SigBlk /proc/self/status | cut -f2))" \
    "$mask" "$(grep ^SigBlk /proc/self/status)"

# A connector for a group of 12,000 members (its /etc/group entry is 84 KB, more than the first
# buffer getgrnam_r is given): the group is found, and a member is served.
groupadd boot-big
big_gid=$(getent group boot-big | cut -d: -f3)
grep -v '^boot-big:' /etc/group >"$LOGS/group.new"
{ printf 'boot-big:x:%s:' "$big_gid"; seq -f 'm%05g' 1 12000 | paste -sd, | tr -d '\n'; printf ',boot-producer\n'; } >>"$LOGS/group.new"
cp /etc/group "$LOGS/group.before-big"
cat "$LOGS/group.new" >/etc/group
expect_eq "bytes of the boot-big entry over 64 KiB" "$(( $(grep '^boot-big:' /etc/group | wc -c) > 65536 ))" 1
sed 's/^operations = .*/operations = ["getSecretValue"]\nallowed_groups = ["boot-big"]/' \
    /etc/secrets-delegate/connectors.d/boot-named.toml >/etc/secrets-delegate/connectors.d/boot-big.toml
chmod 0640 /etc/secrets-delegate/connectors.d/boot-big.toml
chgrp secrets-delegate /etc/secrets-delegate/connectors.d/boot-big.toml
journal_mark big-group
reload_delegate
value=$(timeout 60 setpriv --reuid=boot-producer --regid=boot-producer --init-groups \
    secrets-delegate get boot-big 'db#password' 2>"$LOGS/get-big.err")
expect_eq "get through a connector of a 12,000-member group, as a member" "$?" 0
[ "$value" = "$(canary)" ] && ok "a member of the large group is served" || fail "large group: $(head -c 300 "$LOGS/get-big.err")"
# (The journal read holds the reload's own line, so an empty or failed read does not pass.)
journal_since big-group >"$LOGS/big-group.journal"
if ! grep -q 'configuration reloaded' "$LOGS/big-group.journal"; then
    fail "the journal since the reload has no 'configuration reloaded' line"
elif grep -q 'no group boot-big' "$LOGS/big-group.journal"; then
    fail "the delegate says there is no group boot-big"
else
    ok "no 'there is no group' warning for the large group"
fi
rm /etc/secrets-delegate/connectors.d/boot-big.toml
cat "$LOGS/group.before-big" >/etc/group
groupdel boot-big 2>/dev/null || true
systemctl reload secrets-delegate.service

# connectors.d that root may list and the delegate's user may not (0700): root's check-config
# passes, so the start is what fails, for good (78), and its journal says why.
chmod 0700 /etc/secrets-delegate/connectors.d
secrets-delegate check-config >/dev/null 2>&1
expect_eq "root's check-config with connectors.d 0700, exit status" "$?" 0
journal_mark unlistable-err -p err
journal_mark unlistable-code ERROR_CODE=ConfigurationError
expect_start_refused "with connectors.d 0700 root:secrets-delegate" "cannot list /etc/secrets-delegate/connectors\.d: Permission denied"
# Said as the other fatal start errors are: at a priority `journalctl -p err` shows, with its
# ERROR_CODE, and in the unit's status text (not a plain stderr line the journal files at info).
journal_since unlistable-err -p err | grep -q "configuration error: .*cannot list /etc/secrets-delegate/connectors.d" &&
    ok "journalctl -p err shows the configuration error" ||
    fail "journalctl -p err lacks the configuration error: $(journal_since unlistable-err -p err | tail -n 2 | tr '\n' '|' | head -c 300)"
journal_since unlistable-code ERROR_CODE=ConfigurationError | grep -q "configuration error: " &&
    ok "the line carries ERROR_CODE=ConfigurationError" || fail "no ERROR_CODE=ConfigurationError on the start's line"
# The status text, which any local user may read, names the key and where the reason is, not
# the reason (it quotes the value refused).
status_text=$(unit_prop secrets-delegate.service StatusText)
grep -q '^configuration error in \[delegate\] connectors_dir (journalctl -u secrets-delegate -p err' <<<"$status_text" &&
    ! grep -q 'cannot list' <<<"$status_text" && ok "StatusText: $status_text" ||
    fail "StatusText does not name the key alone: '$(head -c 200 <<<"$status_text")'"
prevented=$(unit_prop secrets-delegate.service RestartPreventExitStatus)
grep -qw 64 <<<"$prevented" && grep -qw 78 <<<"$prevented" && ok "no restart after 64 or 78: $prevented" ||
    fail "RestartPreventExitStatus is '$prevented'"
chmod 0750 /etc/secrets-delegate/connectors.d
restart_delegate
expect_eq "delegate with connectors.d 0750 again" "$(systemctl is-active secrets-delegate.service)" active

# A directory service's group name (a space: `Domain Users`) in allowed_groups is refused, at
# check-config and at the start, saying to give its number.
key_connector boot-ad boot-ad
printf 'allowed_groups = ["Domain Users"]\n' >>/etc/secrets-delegate/connectors.d/boot-ad.toml
secrets-delegate check-config >"$LOGS/ad-check.out" 2>&1
expect_eq "check-config with allowed_groups = [\"Domain Users\"], exit status" "$?" 78
grep -q 'by its number' "$LOGS/ad-check.out" && ok "check-config says to give the group by its number" ||
    fail "check-config did not say to give its number: $(head -c 300 "$LOGS/ad-check.out")"
expect_start_refused "with allowed_groups = [\"Domain Users\"]" 'boot-ad\.toml allowed_groups: entry 1 "Domain Users".*by its number'
rm /etc/secrets-delegate/connectors.d/boot-ad.toml
restart_delegate
expect_eq "delegate without the directory-service name" "$(systemctl is-active secrets-delegate.service)" active

# (An operator's file: purge keeps it, so the purge check later would find /etc/secrets-delegate.)
rm /etc/secrets-delegate/connectors.d/boot-named.toml
