# A connector with access keys by reference (credentials.type = "accessKey"): the hardened unit
# reads the files in /etc/secrets-delegate/credentials, refuses one another user could read, and
# uses a rotated file from the next task on, whether renamed into place or rewritten in place
# with a key of the same length while the old value is cached (a value is kept once its file has
# been unchanged for 2 s). The keys are the instance role's temporary ones (BOOT_KEY_*), so moto
# checks every signature.
dir=/etc/secrets-delegate/credentials
cleanup() {
    rm -f /etc/secrets-delegate/connectors.d/boot-keys.toml "$dir"/boot-key-* "$dir"/.boot-key-*.new
}
# (Operator's files: purge keeps them, so the purge check would find /etc/secrets-delegate.)
trap 'cleanup; systemctl reload secrets-delegate.service' EXIT
trap 'exit 1' TERM
# put NAME VALUE: a credential file as an operator writes one, renamed into place (a new inode).
put() {
    (umask 077 && printf '%s' "$2" >"$dir/.$1.new") && chown secrets-delegate: "$dir/.$1.new" && mv "$dir/.$1.new" "$dir/$1"
}
# A wrong secret key of the right length (rot13 of the right one).
WRONG_SECRET=$(printf '%s' "$BOOT_KEY_SECRET" | tr 'A-Za-z' 'N-ZA-Mn-za-m')
put boot-key-id "$BOOT_KEY_ID"
put boot-key-secret "$BOOT_KEY_SECRET"
put boot-key-token "$BOOT_KEY_TOKEN"
key_connector boot-keys boot-key
journal_mark keys-reload MESSAGE_ID=8504d030612a442580f8182de5daf1d7
systemctl reload secrets-delegate.service
keys_reloaded() { journal_since keys-reload MESSAGE_ID=8504d030612a442580f8182de5daf1d7 | grep -q .; }
wait_until 30 keys_reloaded || fail "no reloaded event after adding the boot-keys connector"
journal_mark keys
read_task() { # read_task NAME: a read through the connector; its exit status
    submit "$1" "{\"id\":\"boot-keys-$1\",\"connector\":\"boot-keys\",\"operation\":\"getSecretValue\",\"params\":{\"name\":\"db#password\"}}" --wait
}
signature_refused() { grep -qE 'Signature|InvalidClientTokenId|UnrecognizedClient' "$LOGS/$1.out"; }
# outcome NAME: a result's status and error code, never its value (for failure messages).
outcome() { grep -oE '"(status|code)":"[A-Za-z]*"' "$LOGS/$1.out" | tr '\n' ' '; }

sleep 3 # the files settle: the values read next are kept
read_task first
expect_eq "a read signed with the access keys from files" "$?" 0
grep -qF "$(canary)" "$LOGS/first.out" && ok "it read the secret" || fail "no value: $(outcome first)"
read_task cached
expect_eq "a second read (the keys kept)" "$?" 0
# The unit's GNUTLS_NO_IMPLICIT_INIT=1 reaches the daemon, whose libcurl has loaded GnuTLS by now:
# the reads above ran with GnuTLS left uninitialized.
pid=$(unit_prop secrets-delegate.service MainPID)
if grep -qxzF GNUTLS_NO_IMPLICIT_INIT=1 "/proc/$pid/environ" && grep -q libgnutls "/proc/$pid/maps"; then
    ok "the daemon has GNUTLS_NO_IMPLICIT_INIT=1 and GnuTLS loaded, and its reads succeeded"
else
    fail "GNUTLS_NO_IMPLICIT_INIT=1 not in the daemon's environment, or GnuTLS not loaded (MainPID $pid)"
fi

printf '%s' "$WRONG_SECRET" >"$dir/boot-key-secret"
expect_eq "rewritten in place" "$(stat -c '%a %U %s' "$dir/boot-key-secret")" "600 secrets-delegate ${#BOOT_KEY_SECRET}"
read_task in-place-wrong
expect_eq "a read right after the kept key was rewritten in place with a wrong one of its length" "$?" 1
signature_refused in-place-wrong && ok "AWS refused the signature" || fail "expected a signature refusal: $(outcome in-place-wrong)"
sleep 3
read_task wrong-kept
expect_eq "a read with the wrong key kept" "$?" 1
printf '%s' "$BOOT_KEY_SECRET" >"$dir/boot-key-secret"
read_task in-place-right
expect_eq "a read right after the right key was rewritten in place" "$?" 0

put boot-key-secret "$WRONG_SECRET"
read_task renamed-wrong
expect_eq "a read right after a wrong key was renamed into place" "$?" 1
signature_refused renamed-wrong && ok "AWS refused the signature" || fail "expected a signature refusal: $(outcome renamed-wrong)"
put boot-key-secret "$BOOT_KEY_SECRET"
read_task renamed-right
expect_eq "a read right after the right key was renamed into place" "$?" 0

chmod 0640 "$dir/boot-key-secret"
read_task group-readable
expect_eq "a read with a secret key file its group may read" "$?" 1
grep -q 'only its owner may read it' "$LOGS/group-readable.out" &&
    ok "refused: the message names the mode" || fail "expected the mode refusal: $(outcome group-readable)"

expect_eq "journal entries holding a secret key or token" \
    "$(journal_leaks delegate "$BOOT_KEY_SECRET" "$BOOT_KEY_TOKEN" "$WRONG_SECRET")" 0
outs=("$LOGS"/{first,cached,in-place-wrong,wrong-kept,in-place-right,renamed-wrong,renamed-right,group-readable}.out)
expect_eq "result files" "$(ls "${outs[@]}" 2>/dev/null | wc -l)" "${#outs[@]}"
if grep -lF -e "$BOOT_KEY_SECRET" -e "$BOOT_KEY_TOKEN" -e "$WRONG_SECRET" "${outs[@]}"; then
    fail "a result holds a secret key or token"
else
    ok "no result holds a secret key or token"
fi
