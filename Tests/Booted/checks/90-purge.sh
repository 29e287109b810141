# apt purge removes what the README says it removes, and keeps the system user.
if DEBIAN_FRONTEND=noninteractive apt-get purge -y secrets-delegate >"$LOGS/apt-purge.log" 2>&1; then ok "apt-get purge"; else fail "purge failed"; fi
for path in /usr/bin/secrets-delegate /usr/libexec/secrets-delegate /etc/secrets-delegate /var/lib/secrets-delegate /run/secrets-delegate \
    /lib/systemd/system/secrets-delegate.service /etc/systemd/system/multi-user.target.wants/secrets-delegate.service \
    /etc/systemd/system/sockets.target.wants/secrets-delegate.socket; do
    if [ -e "$path" ] || [ -L "$path" ]; then fail "$path is left after purge"; else ok "$path removed"; fi
done
expect_eq "service state after purge" "$(systemctl is-active secrets-delegate.service)" inactive
if overrides=$(dpkg-statoverride --list 2>&1); then
    grep -q secrets-delegate <<<"$overrides" && fail "statoverrides left: $overrides" || ok "no statoverrides left"
else
    fail "dpkg-statoverride --list failed: $overrides"
fi
getent passwd secrets-delegate >/dev/null && ok "the system user stays (Debian policy)" || fail "the system user was removed"
