# The delegate's own access keys through systemd's LoadCredential= (README's recommended way): the
# packaged unit with a drop-in loading three root-owned files reads them from
# $CREDENTIALS_DIRECTORY as refs, whoever systemd made owner of the copies (the service user on
# ramfs; root with an ACL on a file system that has ACLs), and signs a read with them.
src=/etc/secrets-delegate/credentials
dropin=/etc/systemd/system/secrets-delegate.service.d/boot-load-credential.conf
cleanup() {
    rm -f "$dropin" /etc/secrets-delegate/connectors.d/boot-lc.toml "$src"/boot-lc-src-*
    rmdir --ignore-fail-on-non-empty "${dropin%/*}"
    systemctl daemon-reload
    systemctl restart secrets-delegate.service
}
trap cleanup EXIT
trap 'exit 1' TERM
for part in id:"$BOOT_KEY_ID" secret:"$BOOT_KEY_SECRET" token:"$BOOT_KEY_TOKEN"; do
    (umask 077 && printf '%s' "${part#*:}" >"$src/boot-lc-src-${part%%:*}")  # root's, 0600
done
mkdir -p "${dropin%/*}"
cat >"$dropin" <<UNIT
[Service]
LoadCredential=boot-lc-id:$src/boot-lc-src-id
LoadCredential=boot-lc-secret:$src/boot-lc-src-secret
LoadCredential=boot-lc-token:$src/boot-lc-src-token
UNIT
key_connector boot-lc boot-lc
systemctl daemon-reload
systemctl restart secrets-delegate.service
expect_eq "service with LoadCredential=" "$(systemctl is-active secrets-delegate.service)" active
copy=/run/credentials/secrets-delegate.service/boot-lc-secret
# systemd 252 puts credentials on ramfs and chowns them (the service user's, 0400); where the
# file system has ACLs they stay root's, 0440 (unit-tested: CredentialRefStoreTests).
case "$(stat -c '%U %a' "$copy" 2>&1)" in
    "secrets-delegate 400" | "root 440") ok "systemd's copy: $(stat -c '%U %a' "$copy"), on $(stat -f -c %T "${copy%/*}" 2>&1)" ;;
    *) fail "systemd's copy is $(stat -c '%U %a' "$copy" 2>&1), expected secrets-delegate 400 or root 440" ;;
esac
submit lc-read '{"id":"boot-lc-read","connector":"boot-lc","operation":"getSecretValue","params":{"name":"db#password"}}' --wait
expect_eq "a read signed with keys from \$CREDENTIALS_DIRECTORY" "$?" 0
grep -qF "$(canary)" "$LOGS/lc-read.out" && ok "it read the secret" ||
    fail "no value: $(grep -oE '"(status|code|message)":"[^"]*"' "$LOGS/lc-read.out" | tr '\n' ' ')"
expect_eq "journal entries holding the loaded secret key or token" \
    "$(journal_leaks delegate "$BOOT_KEY_SECRET" "$BOOT_KEY_TOKEN")" 0
# A rotated source reaches the delegate at a reload (README): systemd 252 copies the credentials
# again for each ExecReload= command, so the SIGHUP that follows finds the new copy. The new value
# has a space, which the delegate refuses by its position.
(umask 077 && printf '%s' "rotated value" >"$src/boot-lc-src-secret")
reload_delegate
cmp -s "$copy" "$src/boot-lc-src-secret" && ok "systemd copied the rotated source again at the reload" ||
    fail "systemd's copy after the reload is not the rotated source"
submit lc-reloaded '{"id":"boot-lc-reloaded","connector":"boot-lc","operation":"getSecretValue","params":{"name":"db#password"}}' --wait
expect_eq "a read after the source was rotated and the delegate reloaded (the rotated value, refused)" "$?" 1
# Refused for the rotated value's space (byte 8) in systemd's copy: any other CredentialsUnavailable
# (a copy not found after the reload, say) is not what the delegate should have read.
grep -q '"CredentialsUnavailable"' "$LOGS/lc-reloaded.out" &&
    grep -q 'in /run/credentials/secrets-delegate.service has a character no key holds.*at byte 8' "$LOGS/lc-reloaded.out" &&
    ok "the reload's copy is what the delegate read" ||
    fail "after the reload: $(grep -oE '"(status|code|message)":"[^"]*"' "$LOGS/lc-reloaded.out" | tr '\n' ' ')"
