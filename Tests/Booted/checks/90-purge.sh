# apt purge removes what the README says it removes, and keeps the system user and the files an
# operator put in connectors.d (not the package's to delete).
echo "# an operator's own" >/etc/secrets-delegate/connectors.d/operator.toml
# The README's proxy recipe: a file that may hold a password, which purge keeps and names.
install -m 0600 /dev/null /etc/secrets-delegate/proxy.env
echo 'HTTPS_PROXY=http://u:boot-purge-canary@proxy.invalid:3128' >/etc/secrets-delegate/proxy.env

# apt remove first (README): the units stopped and gone, the configuration and the spool kept.
systemctl start secrets-delegate.service
expect_eq "the service before apt remove" "$(systemctl is-active secrets-delegate.service)" active
touch /var/lib/secrets-delegate/spool/done/boot-remove-kept.json
if DEBIAN_FRONTEND=noninteractive apt-get remove -y secrets-delegate >"$LOGS/apt-remove.log" 2>&1; then
    ok "apt-get remove"
else
    fail "apt-get remove failed: $(tail -n 3 "$LOGS/apt-remove.log" | tr '\n' ' ')"
fi
expect_eq "package state after remove" "$(dpkg-query -W -f='${db:Status-Abbrev}' secrets-delegate 2>&1 | tr -d ' ')" rc
for unit in secrets-delegate.service secrets-delegate.socket secrets-delegate-credentials.socket; do
    expect_eq "$unit after remove (active, load state)" \
        "$(systemctl is-active "$unit")/$(unit_prop "$unit" LoadState)" inactive/not-found
done
expect_eq "the credentials socket's file after remove (RemoveOnStop=yes)" "$(ls /run/secrets-delegate/credentials.sock 2>/dev/null)" ""
[ -e /usr/libexec/secrets-delegate/secrets-delegated ] && fail "the full binary is left after remove" || ok "the binaries are gone after remove"
expect_eq "delegate.toml kept by remove (a conffile)" "$(stat -c '%a %U:%G' /etc/secrets-delegate/delegate.toml 2>&1)" "640 root:secrets-delegate"
[ -f /var/lib/secrets-delegate/spool/done/boot-remove-kept.json ] && ok "the spool is kept by remove" ||
    fail "remove deleted the spool's files"

# done/ on a disk of its own (or a results share over NFS, holding other hosts' results): purge
# leaves the mount as it is and names it, and deletes the rest of the spool around it (a tmpfs
# stands in for the disk). (What done/ held is gone first: the mount would hide it.)
shared=/var/lib/secrets-delegate/spool/done
rm -rf "${shared:?}"/*
if mount -t tmpfs -o mode=2770 boot-shared-done "$shared"; then
    echo '{"id":"another-host"}' >"$shared/another-host.json"
else
    fail "cannot mount a tmpfs at $shared to stand in for a disk of results"
fi
# A results directory bind-mounted from the same file system (a container's volume, say): rm's
# --one-file-system and find's -xdev cannot tell it (the same device); purge leaves it whole too.
bound=/var/lib/secrets-delegate/spool/shared-results
mkdir -p /srv/boot-bound-results "$bound"
echo '{"id":"bound-host"}' >/srv/boot-bound-results/bound-host.json
mount --bind /srv/boot-bound-results "$bound" || fail "cannot bind-mount /srv/boot-bound-results at $bound"
echo '{"id":"left-queued"}' >/var/lib/secrets-delegate/spool/new/left-queued.json
# Unit settings of an operator's (systemctl edit's drop-in of a socket, --full's copy of a unit,
# here a stand-in: the package's files are gone after remove): purge keeps them and names them.
mkdir -p /etc/systemd/system/secrets-delegate.socket.d
printf '[Socket]\n# boot-purge drop-in\n' >/etc/systemd/system/secrets-delegate.socket.d/boot-purge.conf
printf '[Socket]\nListenStream=/run/boot-purge.sock\n' >/etc/systemd/system/secrets-delegate-credentials.socket
if DEBIAN_FRONTEND=noninteractive apt-get purge -y secrets-delegate >"$LOGS/apt-purge.log" 2>&1; then ok "apt-get purge"; else fail "purge failed: $(tail -n 5 "$LOGS/apt-purge.log" | tr '\n' ' ')"; fi
[ -f "$shared/another-host.json" ] && ok "purge leaves a done/ mounted at $shared whole" ||
    fail "purge went into the mount at $shared"
grep -q "purge leaves $shared, a mount" "$LOGS/apt-purge.log" && ok "purge's output names the mount it leaves" ||
    fail "purge's output does not name the mount: $(grep -a secrets-delegate: "$LOGS/apt-purge.log" | tr '\n' ' ')"
[ -f /srv/boot-bound-results/bound-host.json ] && ok "purge leaves a directory bind-mounted at $bound whole" ||
    fail "purge went into the bind mount at $bound"
grep -q "purge leaves $bound, a mount" "$LOGS/apt-purge.log" && ok "purge's output names the bind mount it leaves" ||
    fail "purge's output does not name the bind mount: $(grep -a secrets-delegate: "$LOGS/apt-purge.log" | tr '\n' ' ')"
expect_eq "what purge left beside the mounts" "$(cd /var/lib/secrets-delegate && find . -mindepth 1 -xdev | sort | tr '\n' ' ')" \
    "./spool ./spool/done ./spool/shared-results ./spool/shared-results/bound-host.json "
umount "$bound" && rmdir "$bound" && rm -rf /srv/boot-bound-results ||
    fail "the bind mount cannot be taken away: $(findmnt -n "$bound" 2>&1)"
umount "$shared" && rmdir "$shared" /var/lib/secrets-delegate/spool /var/lib/secrets-delegate ||
    fail "the mount or the directories holding it cannot be taken away: $(ls -AR /var/lib/secrets-delegate 2>&1 | tr '\n' ' ')"
[ -f /etc/secrets-delegate/connectors.d/operator.toml ] && ok "an operator's connector drop-in stays" ||
    fail "purge deleted an operator's connectors.d/operator.toml"
[ -f /etc/secrets-delegate/proxy.env ] && ok "an operator's proxy.env stays" || fail "purge deleted an operator's proxy.env"
grep -q 'purge leaves what an operator put in /etc/secrets-delegate.*connectors.d/operator.toml proxy.env' \
    "$LOGS/apt-purge.log" && ok "purge's output names the files it leaves" ||
    fail "purge's output does not name what it leaves: $(grep -a secrets-delegate: "$LOGS/apt-purge.log" | tr '\n' ' ')"
grep -q 'purge leaves the unit drop-ins in /etc/systemd/system/secrets-delegate.socket.d' "$LOGS/apt-purge.log" &&
    grep -q 'purge leaves the unit /etc/systemd/system/secrets-delegate-credentials.socket (systemctl edit --full' \
        "$LOGS/apt-purge.log" && ok "purge's output names an operator's unit drop-ins and unit copies" ||
    fail "purge's output does not name the unit settings it leaves: $(grep -a secrets-delegate: "$LOGS/apt-purge.log" | tr '\n' ' ')"
[ -f /etc/systemd/system/secrets-delegate.socket.d/boot-purge.conf ] &&
    [ -f /etc/systemd/system/secrets-delegate-credentials.socket ] && ok "purge keeps an operator's unit settings" ||
    fail "purge deleted an operator's unit drop-in or unit copy"
rm -rf /etc/systemd/system/secrets-delegate.socket.d /etc/systemd/system/secrets-delegate-credentials.socket
systemctl daemon-reload
grep -q boot-purge-canary "$LOGS/apt-purge.log" && fail "purge's output shows a file's contents" ||
    ok "purge's output names files, not their contents"
rm -rf /etc/secrets-delegate/connectors.d /etc/secrets-delegate/credentials /etc/secrets-delegate/proxy.env
rmdir /etc/secrets-delegate 2>/dev/null && ok "nothing else is left in /etc/secrets-delegate" ||
    fail "purge left in /etc/secrets-delegate: $(ls -A /etc/secrets-delegate | tr '\n' ' ')"
for path in /usr/bin/secrets-delegate /usr/libexec/secrets-delegate /var/lib/secrets-delegate /run/secrets-delegate \
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
