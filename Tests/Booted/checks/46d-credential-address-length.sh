# The credentials socket's longest request, against systemd 252 itself: systemd binds its
# connection as "@<random hex>/unit/<unit>/<id>" and cannot bind a name over 107 bytes, so a unit
# name and an id of 83 bytes together (the most INTERFACE section 11 allows) are asked for and
# served at every start (with one byte more, 15 starts in 16 would fail before asking), and an
# entry of 84 is a configuration error that names the limit.
unit=bootlong$(printf 'x%.0s' $(seq 56)).service
id=db-password  # unit_credential_config's
expect_eq "bytes of unit name and id" "$((${#unit} + ${#id}))" 83
cleanup() {
    systemctl stop "$unit" 2>/dev/null
    rm -f "/etc/systemd/system/$unit"
    systemctl daemon-reload
    write_config "$IMDS_GOOD" '"boot"'
    reload_delegate
}
trap cleanup EXIT
trap 'exit 1' TERM
unit_credential_config boot-long "$unit"
reload_delegate
credential_unit "$unit" longname
systemctl daemon-reload
# Four starts, four random numbers: were 83 one byte too many, all four would pass 1 time in 65,536.
for start in 1 2 3 4; do
    rm -f "$LOGS/longname-credential"
    timeout 60 systemctl start "$unit"
    expect_eq "start $start of a unit whose name and id are 83 bytes" "$?" 0
    expect_credential longname "its credential at start $start"
    systemctl stop "$unit"
done
sed -i "s/^id = \"$id\"\$/id = \"${id}x\"/" /etc/secrets-delegate/delegate.toml
grep -q "^id = \"${id}x\"\$" /etc/secrets-delegate/delegate.toml || fail "the 84-byte entry was not written"
secrets-delegate check-config >"$LOGS/long-address-check.out" 2>&1
expect_eq "check-config of an entry of 84 bytes (exit status)" "$?" 78
grep -q "holds at most 83 bytes of unit name and id together" "$LOGS/long-address-check.out" &&
    ok "it says the request address holds at most 83 bytes" ||
    fail "check-config says: $(grep -m 2 -i error "$LOGS/long-address-check.out" | head -c 300)"
