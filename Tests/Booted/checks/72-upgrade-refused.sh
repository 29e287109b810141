# An upgrade whose new version refuses the configuration does not restart the delegate (which
# would then stop with exit 78 and stay down): the running one goes on, and apt's output says why.
cp /etc/secrets-delegate/delegate.toml "$LOGS/delegate.toml.before-refused"
printf '\n[weather]\nsunny = true\n' >>/etc/secrets-delegate/delegate.toml
pid=$(unit_prop secrets-delegate.service MainPID)
DEBIAN_FRONTEND=noninteractive apt-get install --reinstall -y -o Dpkg::Options::=--force-confold \
    "$HERE/debs/upgrade.deb" >"$LOGS/apt-upgrade-refused.log" 2>&1
expect_eq "apt-get install --reinstall with a refused configuration" "$?" 0
grep -q 'not restarted: the new version .* refuses the configuration' "$LOGS/apt-upgrade-refused.log" &&
    ok "apt's output says the delegate was not restarted" ||
    fail "no 'not restarted' in apt's output: $(tail -n 5 "$LOGS/apt-upgrade-refused.log" | tr '\n' ' ')"
grep -q '\[weather\]: unknown section' "$LOGS/apt-upgrade-refused.log" &&
    ok "and names the configuration error" || fail "the configuration error is not in apt's output"
expect_eq "the delegate's pid after the refused upgrade" "$(unit_prop secrets-delegate.service MainPID)" "$pid"
expect_eq "service after the refused upgrade" "$(systemctl is-active secrets-delegate.service)" active
cp "$LOGS/delegate.toml.before-refused" /etc/secrets-delegate/delegate.toml
systemctl restart secrets-delegate.service
expect_eq "service restarted with the configuration mended" "$(systemctl is-active secrets-delegate.service)" active
