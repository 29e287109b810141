# Upgrading keeps the operator's edited configuration and restarts the delegate gracefully.
echo '# edited by the operator' >>/etc/secrets-delegate/delegate.toml
pid=$(unit_prop secrets-delegate.service MainPID)
journal_mark upgrade
if DEBIAN_FRONTEND=noninteractive apt-get install -y -o Dpkg::Options::=--force-confold "$HERE/debs/upgrade.deb" >"$LOGS/apt-upgrade.log" 2>&1; then
    ok "apt-get install of $UPGRADE_VERSION over $VERSION"
else
    fail "upgrade failed: $(tail -n 3 "$LOGS/apt-upgrade.log" | tr '\n' ' ')"
fi
expect_eq "installed version" "$(dpkg-query -W -f='${Version}' secrets-delegate)" "$UPGRADE_VERSION"
tail -n 1 /etc/secrets-delegate/delegate.toml | grep -q 'edited by the operator' &&
    ok "the edited conffile is kept" || fail "the upgrade lost the operator's edit"
grep -q 'written by the booted tier' /etc/secrets-delegate/delegate.toml && ok "the configuration is the operator's" || fail "the configuration was replaced"
grep -q 'packaged by the next version' /etc/secrets-delegate/delegate.toml.dpkg-dist 2>/dev/null &&
    ok "the new packaged configuration is beside it as delegate.toml.dpkg-dist" ||
    fail "no delegate.toml.dpkg-dist with the new packaged configuration: $(ls /etc/secrets-delegate)"
expect_eq "service after upgrade" "$(systemctl is-active secrets-delegate.service)" active
newpid=$(unit_prop secrets-delegate.service MainPID)
[ "$newpid" != "$pid" ] && ok "restarted by the upgrade (pid $pid -> $newpid)" || fail "not restarted by the upgrade (pid $pid)"
# The new version's file, not the old one's (dpkg installs a new inode: a process still running the
# replaced file shows it "(deleted)"): a restart before the unpack would pass the pid's check.
expect_eq "the restarted delegate's executable" "$(readlink "/proc/$newpid/exe")" /usr/libexec/secrets-delegate/secrets-delegated
stopped_logged() { journal_since upgrade | grep -q '^stopped'; }
wait_until 30 stopped_logged && ok "the old delegate drained and stopped (graceful)" ||
    fail "no 'stopped' line from the old delegate"
submit after-upgrade "{\"id\":\"boot-after-upgrade\",\"connector\":$(connector '["boot"]'),\"operation\":\"getSecretValue\",\"params\":{\"name\":\"db\"}}" --wait
expect_eq "a task after the upgrade" "$?" 0
