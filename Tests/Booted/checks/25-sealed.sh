# Sealed results on the packaged delegate: the spool's done/ file holds only the sealed form,
# `open` recovers the value, and `submit --seal --wait` unseals what it waits for.
canary=$(canary)
public=$(secrets-delegate keygen --out "$LOGS/result.key")
expect_eq "keygen exit status" "$?" 0
expect_eq "key file mode" "$(stat -c %a "$LOGS/result.key")" 600
submit sealed-spool "{\"id\":\"boot-sealed\",\"sealTo\":\"$public\",\"connector\":$(connector '["boot"]'),\"operation\":\"getSecretValue\",\"params\":{\"name\":\"db#password\"}}" --spool /var/lib/secrets-delegate/spool
done_file=/var/lib/secrets-delegate/spool/done/boot-sealed.json
wait_until 30 test -s "$done_file" && ok "the sealed result was written" || fail "no result in done/"
grep -q '"sealed"' "$done_file" && ok "done/ holds the sealed form" || fail "no sealed member: $(head -c 200 "$done_file")"
if [ ! -s "$done_file" ]; then fail "no result to look for the value in"
elif grep -qF "$canary" "$done_file"; then fail "the secret value is in done/ in the clear"
else ok "no plaintext value in done/"; fi
secrets-delegate open --key "$LOGS/result.key" "$done_file" >"$LOGS/opened.json" 2>"$LOGS/opened.err"
expect_eq "open exit status" "$?" 0
grep -qF "$canary" "$LOGS/opened.json" && ok "open recovers the value" || fail "open did not recover the value"
rm -f "$done_file"
submit sealed-socket "{\"id\":\"boot-sealed-socket\",\"connector\":$(connector '["boot"]'),\"operation\":\"getSecretValue\",\"params\":{\"name\":\"db#password\"}}" --seal --wait
expect_eq "submit --seal --wait exit status" "$?" 0
grep -qF "$canary" "$LOGS/sealed-socket.out" && ok "submit --seal prints the unsealed value" || fail "submit --seal: $(head -c 200 "$LOGS/sealed-socket.out")"
