# A first installation over a delegate.toml already in place (an image build or configuration
# management wrote it first) is checked as an upgrade is: a file the delegate refuses fails the
# package's configuration, with the reason, instead of the delegate's first start (exit 78, not
# restarted); dpkg --configure -a finishes once the file is mended.
install -d -m 0755 /etc/secrets-delegate
printf '[weather]\nsunny = true\n' >/etc/secrets-delegate/delegate.toml
chgrp secrets-delegate /etc/secrets-delegate/delegate.toml
chmod 0640 /etc/secrets-delegate/delegate.toml
if DEBIAN_FRONTEND=noninteractive apt-get install -y -o Dpkg::Options::=--force-confold "$HERE/debs/current.deb" \
    >"$LOGS/apt-first-refused.log" 2>&1; then
    fail "a first installation over a refused delegate.toml exited 0"
else
    ok "a first installation over a refused delegate.toml exits non-zero"
fi
grep -q 'not started: this version .* refuses the configuration already in' "$LOGS/apt-first-refused.log" &&
    ok "apt's output says the delegate was not started" ||
    fail "no 'not started' in apt's output: $(tail -n 5 "$LOGS/apt-first-refused.log" | tr '\n' ' ')"
grep -q '\[weather\]: unknown section' "$LOGS/apt-first-refused.log" &&
    ok "and names the configuration error" || fail "the configuration error is not in apt's output"
expect_eq "the package's state after the refused first installation" "$(dpkg-query -W -f='${Status}' secrets-delegate)" \
    "install ok half-configured"
expect_eq "the service after the refused first installation" "$(systemctl is-active secrets-delegate.service)" inactive
[ -f /etc/secrets-delegate/delegate.toml.dpkg-dist ] && ok "the packaged file is beside the kept one" ||
    fail "no delegate.toml.dpkg-dist: $(ls -A /etc/secrets-delegate | tr '\n' ' ')"

# Mended (the packaged file taken): configured, and the delegate starts.
mv /etc/secrets-delegate/delegate.toml.dpkg-dist /etc/secrets-delegate/delegate.toml
if dpkg --configure -a >"$LOGS/dpkg-configure-first.log" 2>&1; then ok "dpkg --configure -a after the mend"; else
    fail "dpkg --configure -a after the mend: $(tail -n 5 "$LOGS/dpkg-configure-first.log" | tr '\n' ' ')"; fi
expect_eq "the package's state after the mend" "$(dpkg-query -W -f='${Status}' secrets-delegate)" "install ok installed"
expect_eq "the service after the mend" "$(systemctl is-active secrets-delegate.service)" active
