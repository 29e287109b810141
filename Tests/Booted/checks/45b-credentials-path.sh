# A credentials_socket_path other than the credentials socket unit's ListenStream=: the socket
# systemd passes is served, and the start warns which path that is (a unit whose LoadCredential=
# names the configured path would find nothing, and its failure reaches no line of the delegate's).
config=/etc/secrets-delegate/delegate.toml
cp "$config" "$LOGS/delegate.toml.before-credentials-path"
# (The configuration the checks before wrote has no [queue] table: the path is the built-in "".)
grep -q '^\[queue\]' "$config" && fail "the configuration has a [queue] table already: $(grep -A3 '^\[queue\]' "$config")"
printf '[queue]\ncredentials_socket_path = "/run/secrets-delegate/elsewhere.sock"\n' >>"$config"
systemctl restart secrets-delegate.service
wait_until 30 systemctl --quiet is-active secrets-delegate.service
expect_eq "delegate with another credentials_socket_path" "$(systemctl is-active secrets-delegate.service)" active
pid=$(unit_prop secrets-delegate.service MainPID)
credentials_differs() {
    journalctl --sync 2>/dev/null
    journalctl _PID="$pid" EVENT=socket-path-differs --no-pager -q -o json |
        grep '"SOCKET":"/run/secrets-delegate/credentials.sock"' |
        grep -q '"CREDENTIALS_SOCKET_PATH":"/run/secrets-delegate/elsewhere.sock"'
}
wait_until 30 credentials_differs &&
    ok "another credentials_socket_path: a socket-path-differs warning names the passed socket and the configured path" ||
    fail "no socket-path-differs entry for the credentials socket: $(journalctl _PID="$pid" -p warning --no-pager -q | head -n 3 | tr '\n' '|')"
[ ! -e /run/secrets-delegate/elsewhere.sock ] && ok "the delegate binds no socket of its own at the configured path" ||
    fail "a socket was made at the configured path beside the passed one"
# The configuration as it was (no path configured): no such warning.
cp "$LOGS/delegate.toml.before-credentials-path" "$config"
systemctl restart secrets-delegate.service
wait_until 30 systemctl --quiet is-active secrets-delegate.service
pid=$(unit_prop secrets-delegate.service MainPID)
ready_stored() { journalctl --sync 2>/dev/null; journalctl _PID="$pid" MESSAGE_ID=b20d32c7a798457797805155f571e76b --no-pager -q | grep -q .; }
wait_until 30 ready_stored || fail "no ready event from PID $pid to count its start's warnings by"
expect_eq "socket-path-differs entries with no credentials_socket_path configured" \
    "$(journalctl _PID="$pid" EVENT=socket-path-differs --no-pager -q | grep -c .)" 0
