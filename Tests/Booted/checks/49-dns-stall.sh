# A host name whose nameserver takes the query and never answers: the read fails at its connect
# timeout and its retries, with a result, well before the resolver gives up (5 tries of 30 s);
# the thread that drives every HTTP transfer is not held until then (libcurl joining its
# resolver thread), so the stop that follows is not held up either.
# The nameserver: a datagram socket nobody reads (its service sleeps), so queries wait unanswered.
blackhole_socket boot-dns-blackhole ListenDatagram=127.0.0.9:53
expect_eq "the silent nameserver's socket" "$(systemctl is-active boot-dns-blackhole.socket)" active
[ -e /etc/resolv.conf ] && cp -a /etc/resolv.conf "$LOGS/resolv.conf.saved"
printf 'nameserver 127.0.0.9\noptions timeout:30 attempts:5\n' >/etc/resolv.conf

write_config "$IMDS_GOOD" '"boot"'
sed -i 's|^secretsmanager_endpoint = .*|secretsmanager_endpoint = "http://sm.stall.boot-test.example"|' \
    /etc/secrets-delegate/delegate.toml
restart_delegate
task='{"id":"boot-dns-stall","connector":'"$(connector '["boot"]')"',"operation":"getSecretValue","params":{"name":"db"}}'
started=$(date +%s)
submit dns-stall "$task" --wait --timeout 100
status=$?
took=$(($(date +%s) - started))
expect_eq "submit --wait of a read whose endpoint cannot be resolved, exit status (a failed task)" "$status" 1
# The premise: the delegate's query reached the silent nameserver (its service starts at the first
# datagram), so the name was not answered some other way.
expect_eq "a query reached the silent nameserver (its service started)" "$(systemctl is-active boot-dns-blackhole.service)" active
grep -q '"status":"failed"' "$LOGS/dns-stall.out" && grep -q '"code":"EndpointUnreachable"' "$LOGS/dns-stall.out" &&
    ok "its result: failed, EndpointUnreachable ($(grep -o '"message":"[^"]*"' "$LOGS/dns-stall.out" | head -c 200))" ||
    fail "its result: $(head -c 400 "$LOGS/dns-stall.out") $(head -c 300 "$LOGS/dns-stall.err")"
[ "$took" -lt 60 ] && ok "the result came in ${took} s (the resolver would answer after 150 s)" ||
    fail "the result took ${took} s: the HTTP engine waited for the resolver"
started=$(date +%s)
systemctl stop secrets-delegate.service
took=$(($(date +%s) - started))
expect_eq "Result after a stop with the resolver still waiting" "$(unit_prop secrets-delegate.service Result)" success
[ "$took" -lt 30 ] && ok "the stop took ${took} s" || fail "the stop took ${took} s"

rm -f /etc/resolv.conf
[ -e "$LOGS/resolv.conf.saved" ] && cp -a "$LOGS/resolv.conf.saved" /etc/resolv.conf
systemctl stop boot-dns-blackhole.socket boot-dns-blackhole.service
write_config "$IMDS_GOOD" '"boot"'
restart_delegate
expect_eq "delegate after the check" "$(systemctl is-active secrets-delegate.service)" active
