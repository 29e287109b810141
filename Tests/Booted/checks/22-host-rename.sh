# The packaged unit leaves the host's name visible (no ProtectHostname=): a delegate whose
# configuration sets no name goes by the host's, and a reload after a rename says that the new
# name takes effect at the next start, and what that means for its tasks (README).
config=/etc/secrets-delegate/delegate.toml
spool=/var/lib/secrets-delegate/spool
cp "$config" "$LOGS/delegate.toml.before-rename"
old_host=$(cat /proc/sys/kernel/hostname)
sed -i '/^name = "boot-delegate"$/d' "$config"
restart_delegate
wait_until 30 systemctl --quiet is-active secrets-delegate.service ||
    fail "the delegate did not start with no [delegate] name"
journal_mark rename -p warning
if hostnamectl hostname boot-renamed; then
    reload_delegate
    renamed_line() { journal_since rename -p warning | grep -q "delegate.name follows the host's name, boot-renamed now, at the next start"; }
    wait_until 30 renamed_line && ok "a reload after the host's rename says the new name comes at the next start" ||
        fail "no warning of the host's new name at the reload: $(journal_since rename -p warning | head -n 3 | tr '\n' '|')"
    hostnamectl hostname "$old_host" || fail "cannot give the host its name $old_host back"
else
    fail "hostnamectl cannot rename the host"
fi
cp "$LOGS/delegate.toml.before-rename" "$config"
restart_delegate
wait_until 30 systemctl --quiet is-active secrets-delegate.service || fail "the delegate did not start again as boot-delegate"
# The claims directory the host-named run made (empty) goes, so that later starts see no other delegate's.
rm -f "$spool/cur/$old_host/.lock"
rmdir "$spool/cur/$old_host" || fail "cur/$old_host is not empty: $(ls -A "$spool/cur/$old_host" | tr '\n' ' ')"
