#!/bin/bash
# Runs inside the booted container as boot-probe.service: every check in checks/ in order, each in
# its own shell with a time bound, findings to /root/boot-test/findings, then power off. A check
# that leaves $HERE/reboot asks for a reboot after it: the probe reboots the container (run.sh
# boots it again) and, in the next boot, resumes with the check after it.
# Helpers for checks: ok, fail, expect_eq, wait_until, submit, expect_start_refused, journal_mark, journal_since, write_config, unit_credential_config, credential_unit, restart_delegate, blackhole_socket.
set -u
HERE=/root/boot-test
set -a
. "$HERE/env"
set +a
FINDINGS=$HERE/findings
LOGS=$HERE/logs
mkdir -p "$LOGS"
# The check after which the last boot rebooted, if it did.
RESUME_AFTER=$(cat "$HERE/resume-after" 2>/dev/null)
[ -n "$RESUME_AFTER" ] || : >"$FINDINGS"
export HERE FINDINGS LOGS

ok() { echo "ok   $CHECK: $*" | tee -a "$FINDINGS"; }
fail() { echo "FAIL $CHECK: $*" | tee -a "$FINDINGS"; }
# expect_eq WHAT GOT EXPECTED
expect_eq() { if [ "$2" = "$3" ]; then ok "$1 = $2"; else fail "$1 is '$2', expected '$3'"; fi; }
# wait_until SECONDS COMMAND...: polls every 0.2 s; status 1 when time ran out. Bounds are generous
# (30 s for what takes a moment): a loaded CI host can be many times slower than this one.
wait_until() {
    local deadline=$(($(date +%s) + $1)); shift
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}
unit_prop() { systemctl show -P "$2" "$1"; }
# expect_stopped_for_good WITH: the delegate's start (just asked for) ends `failed` with exit
# status 78 and systemd does not restart it (RestartPreventExitStatus=78); WITH says with what.
expect_stopped_for_good() {
    wait_until 20 sh -c '[ "$(systemctl is-active secrets-delegate.service)" = failed ]'
    expect_eq "state $1" "$(systemctl is-active secrets-delegate.service)" failed
    expect_eq "exit status $1" "$(unit_prop secrets-delegate.service ExecMainStatus)" 78
    expect_eq "restarts $1 (RestartPreventExitStatus=78)" "$(unit_prop secrets-delegate.service NRestarts)" 0
}
# expect_start_refused WITH PATTERN: restarts the delegate (what makes its start fail is already
# in place); the start ends for good (expect_stopped_for_good WITH) and a line the delegate logged
# since says why (PATTERN, a grep regular expression).
expect_start_refused() {
    local with=$1
    REFUSED_PATTERN=$2
    journal_mark start-refused
    systemctl reset-failed secrets-delegate.service 2>/dev/null
    systemctl restart secrets-delegate.service 2>/dev/null
    expect_stopped_for_good "$with"
    refused_said() { journal_since start-refused | grep -q -- "$REFUSED_PATTERN"; }
    wait_until 20 refused_said && ok "the failed start $with says why: $(journal_since start-refused | grep -m1 -- "$REFUSED_PATTERN" | head -c 200)" ||
        fail "no line matching '$REFUSED_PATTERN' after the start $with: $(journal_since start-refused | tail -n 3 | tr '\n' '|' | head -c 500)"
}
# canary: the secret value 20-reload stored; a FAIL (and a text no output can equal) if it is
# missing, so that a check comparing output with it never passes on an empty value.
canary() {
    if [ -s "$LOGS/canary" ]; then cat "$LOGS/canary"; else fail "no canary value in $LOGS/canary" >&2; echo "<no canary>"; fi
}
# submit NAME JSON [ARGS...]: the task through the CLI; stdout to $LOGS/NAME.out, returns its exit status.
submit() {
    local name=$1 json=$2; shift 2
    printf '%s\n' "$json" >"$LOGS/$name.task"
    timeout 60 secrets-delegate submit "$@" "$LOGS/$name.task" >"$LOGS/$name.out" 2>"$LOGS/$name.err"
}
# journal_mark NAME [MATCHES...]: remembers how many lines of the delegate's journal in this boot
# match (journalctl matches or options such as -p warning or MESSAGE_ID=...);
# journal_since NAME [MATCHES...]: the matching lines logged since (pass the same matches).
# Counting lines keeps it exact whatever journald does with its files.
# Every read first has journald store what it has been sent (--sync), so that a line logged just
# before is there however busy the machine is.
delegate_journal() {
    journalctl --sync 2>/dev/null
    journalctl _SYSTEMD_UNIT=secrets-delegate.service -b --no-pager -q -o cat "$@"
}
journal_mark() { local name=$1; shift; delegate_journal "$@" | wc -l >"$LOGS/$name.mark"; }
# journal_leaks boot|delegate STRING...: how many journal entries of this boot (every field, as
# -o export shows them; with "delegate", the delegate unit's only) hold any of the strings, or
# "unreadable" when the journal could not be read: a failed read never looks clean.
journal_leaks() {
    local scope=$1 dump="$LOGS/journal-export" args=()
    shift
    [ "$scope" = boot ] || args+=(-u secrets-delegate.service)
    journalctl --sync 2>/dev/null
    if ! journalctl -b --no-pager -q -o export "${args[@]}" >"$dump" 2>/dev/null || [ ! -s "$dump" ]; then
        echo unreadable
        return
    fi
    args=()
    for string in "$@"; do args+=(-e "$string"); done
    grep -acF "${args[@]}" "$dump" || true
    rm -f "$dump"
}
journal_since() { local name=$1; shift; delegate_journal "$@" | tail -n +"$(($(cat "$LOGS/$name.mark") + 1))"; }
# reload_delegate: systemctl reload, then waits for the delegate's reloaded event. systemd 252's
# reload returns once ExecReload's `kill -HUP` has, before the delegate applied the file
# (Type=notify-reload, which waits, came with 253): a task sent at once could run under the old one.
reload_delegate() {
    journal_mark reload-delegate MESSAGE_ID=8504d030612a442580f8182de5daf1d7
    systemctl reload secrets-delegate.service || { fail "systemctl reload failed"; return 1; }
    wait_until 30 reload_applied || { fail "no reloaded event within 30 s of systemctl reload"; return 1; }
}
reload_applied() { journal_since reload-delegate MESSAGE_ID=8504d030612a442580f8182de5daf1d7 | grep -q .; }
# write_config IMDS TAGS: the delegate's configuration for these checks.
write_config() {
    cat >/etc/secrets-delegate/delegate.toml <<TOML
# written by the booted tier
[delegate]
name = "boot-delegate"
tags = [$2]
[aws]
secretsmanager_endpoint = "$SLOW_PROXY"
sts_endpoint = "$MOTO"
imds_endpoint = "$1"
request_timeout_seconds = 20
[identity]
sources = ["imds"]
TOML
}
# unit_credential_config CONNECTOR UNIT: write_config's configuration, plus a connector CONNECTOR
# that admits UNIT alone and a [[credential]] entry handing UNIT db-password (boot's db#password).
unit_credential_config() {
    write_config "$IMDS_GOOD" '"boot"'
    cat >>/etc/secrets-delegate/delegate.toml <<TOML
[connectors.$1]
region = "us-east-1"
secret_name_prefix = "boot"
credentials = { type = "instanceRole" }
operations = ["getSecretValue"]
allowed_units = ["$2"]

[[credential]]
unit = "$2"
id = "db-password"
connector = "$1"
secret = "db#password"
TOML
}
# credential_unit UNIT NAME [SOCKET]: a oneshot unit file UNIT that loads db-password from SOCKET
# (default the credentials socket) and copies it to $LOGS/NAME-credential (it stays active: stop it
# before it runs again).
credential_unit() {
    cat >"/etc/systemd/system/$1" <<UNIT
[Service]
Type=oneshot
RemainAfterExit=yes
LoadCredential=db-password:${3:-/run/secrets-delegate/credentials.sock}
ExecStart=/bin/sh -c 'cp "\$CREDENTIALS_DIRECTORY/db-password" $LOGS/$2-credential'
UNIT
}
# expect_credential NAME WHAT: $LOGS/NAME-credential holds exactly the secret, byte for byte
# (`$(cat)` would drop a trailing newline the delegate added).
expect_credential() {
    cmp -s "$LOGS/$1-credential" <(printf %s "$(canary)") && ok "$2 holds exactly the secret, byte for byte" ||
        fail "$2 is not the secret ($(wc -c <"$LOGS/$1-credential" 2>/dev/null) bytes)"
}
# restart_delegate: a restart that the unit's start limit (5 in 10 s) does not refuse; checks that
# restart the delegate often are not checking that limit.
restart_delegate() { systemctl reset-failed secrets-delegate.service; systemctl restart secrets-delegate.service; }
connector() { # connector SELECTORS_JSON
    printf '{"id":"boot","region":"us-east-1","secretNamePrefix":"boot","delegateSelectors":%s,"credentials":{"type":"instanceRole"}}' "$1"
}
# key_connector NAME REFS: connectors.d/NAME.toml, reads only, with access keys by the refs
# REFS-id, REFS-secret and REFS-token.
key_connector() {
    cat >"/etc/secrets-delegate/connectors.d/$1.toml" <<TOML
region = "us-east-1"
secret_name_prefix = "boot"
delegate_selectors = ["boot"]
credentials = { type = "accessKey", access_key_id_ref = "$2-id", secret_access_key_ref = "$2-secret", session_token_ref = "$2-token" }
operations = ["getSecretValue"]
TOML
    chmod 0640 "/etc/secrets-delegate/connectors.d/$1.toml"
    chgrp secrets-delegate "/etc/secrets-delegate/connectors.d/$1.toml"
}
# blackhole_socket NAME LISTEN: a socket unit NAME.socket listening as LISTEN (a ListenStream= or
# ListenDatagram= line) whose service sleeps, reading nothing: what is sent there waits unanswered.
blackhole_socket() {
    printf '[Socket]\n%s\n' "$2" >"/etc/systemd/system/$1.socket"
    printf '[Service]\nExecStart=/bin/sleep infinity\n' >"/etc/systemd/system/$1.service"
    systemctl daemon-reload
    systemctl start "$1.socket"
}
export -f blackhole_socket ok fail expect_eq wait_until unit_prop expect_stopped_for_good expect_start_refused canary submit delegate_journal journal_mark journal_since reload_delegate reload_applied journal_leaks write_config restart_delegate connector key_connector unit_credential_config credential_unit expect_credential

echo "probe: waiting for the system to finish booting"
state=$(timeout 120 systemctl is-system-running --wait 2>&1)
if [ "$state" = running ] && [ "$(cat /proc/1/comm)" = systemd ]; then
    CHECK=boot ok "systemd $(systemctl --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p') is PID 1 ($(cat /proc/1/comm)), system $state"
else
    CHECK=boot fail "system state $state, PID 1 $(cat /proc/1/comm); failed units: $(systemctl --failed --no-legend --plain | tr '\n' ' ')"
fi

for check in "$HERE"/checks/*.sh; do
    CHECK=$(basename "$check" .sh)
    if [ -n "$RESUME_AFTER" ] && [[ ! "$CHECK" > "$RESUME_AFTER" ]]; then continue; fi
    echo "probe: $CHECK"
    started=$SECONDS
    CHECK=$CHECK timeout --kill-after=10 300 bash -c '. "$0"' "$check" >"$LOGS/$CHECK.log" 2>&1
    status=$?
    echo "time $CHECK $((SECONDS - started)) s" >>"$FINDINGS"
    cat "$LOGS/$CHECK.log"
    [ "$status" = 0 ] || echo "FAIL $CHECK: the check itself exited with status $status (124: timed out)" | tee -a "$FINDINGS"
    if [ -f "$HERE/reboot" ]; then
        mv "$HERE/reboot" "$HERE/rebooted"
        echo "$CHECK" >"$HERE/resume-after"
        echo "reboot after $CHECK" >>"$FINDINGS"
        systemctl reboot --no-block
        exit 0
    fi
done
echo done >>"$FINDINGS"
systemctl poweroff --no-block
