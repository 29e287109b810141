# A connector with access keys by reference (credentials.type = "accessKey"): the hardened unit
# reads the files in /etc/secrets-delegate/credentials, refuses one another user could read, and
# uses a rotated file from the next task on, whether renamed into place or rewritten in place.
# The keys are the instance role's temporary ones (BOOT_KEY_*), so moto checks every signature.
dir=/etc/secrets-delegate/credentials
# put NAME VALUE: a credential file as an operator writes one, renamed into place (a new inode).
put() {
    (umask 077 && printf '%s' "$2" >"$dir/.$1.new") && chown secrets-delegate: "$dir/.$1.new" && mv "$dir/.$1.new" "$dir/$1"
}
put boot-key-id "$BOOT_KEY_ID"
put boot-key-secret "$BOOT_KEY_SECRET"
put boot-key-token "$BOOT_KEY_TOKEN"
cat >/etc/secrets-delegate/connectors.d/boot-keys.toml <<TOML
region = "us-east-1"
secret_name_prefix = "boot"
delegate_selectors = ["boot"]
credentials = { type = "accessKey", access_key_id_ref = "boot-key-id", secret_access_key_ref = "boot-key-secret", session_token_ref = "boot-key-token" }
operations = ["getSecretValue"]
TOML
chmod 0640 /etc/secrets-delegate/connectors.d/boot-keys.toml
chgrp secrets-delegate /etc/secrets-delegate/connectors.d/boot-keys.toml
systemctl reload secrets-delegate.service
read_task() { # read_task NAME: a read through the connector; its exit status
    submit "$1" "{\"id\":\"boot-keys-$1\",\"connector\":\"boot-keys\",\"operation\":\"getSecretValue\",\"params\":{\"name\":\"db#password\"}}" --wait
}
journal_mark keys

read_task first
expect_eq "a read signed with the access keys from files" "$?" 0
grep -qF "$(cat "$LOGS/canary")" "$LOGS/first.out" && ok "it read the secret" || fail "no value: $(head -c 300 "$LOGS/first.out")"

put boot-key-secret "not-the-secret-key-$(cat /proc/sys/kernel/random/uuid)"
read_task rotated-away
expect_eq "a read right after the secret key file was replaced by a wrong key" "$?" 1
grep -qF "$(cat "$LOGS/canary")" "$LOGS/rotated-away.out" && fail "the replaced key was not used" || ok "the replaced key was used at once (the read failed)"

# Back to the right key, rewritten in place (same inode, other size).
printf '%s' "$BOOT_KEY_SECRET" >"$dir/boot-key-secret"
expect_eq "rewritten in place" "$(stat -c '%a %U' "$dir/boot-key-secret")" "600 secrets-delegate"
read_task rotated-back
expect_eq "a read right after the file was rewritten in place" "$?" 0

chmod 0640 "$dir/boot-key-secret"
read_task group-readable
expect_eq "a read with a secret key file its group may read" "$?" 1
grep -q 'only its owner may read it' "$LOGS/group-readable.out" &&
    ok "refused: the message names the mode" || fail "expected the mode refusal: $(head -c 300 "$LOGS/group-readable.out")"
chmod 0600 "$dir/boot-key-secret"

leaked=$(journal_since keys | grep -cF -e "$BOOT_KEY_SECRET" -e "$BOOT_KEY_TOKEN" -e "not-the-secret-key")
expect_eq "journal lines holding a secret key or token" "$leaked" 0
grep -lF -e "$BOOT_KEY_SECRET" -e "$BOOT_KEY_TOKEN" "$LOGS"/{first,rotated-away,rotated-back,group-readable}.out &&
    fail "a result holds a secret key or token" || ok "no result holds a secret key or token"
# (An operator's files: purge keeps them, so the purge check would find /etc/secrets-delegate.)
rm -f /etc/secrets-delegate/connectors.d/boot-keys.toml "$dir"/boot-key-*
systemctl reload secrets-delegate.service
