# apt installs the package on a running systemd: the units are enabled and started with the
# packaged configuration, the service reaches READY, starts without noise, and is hardened.
journal_mark install -p warning
journal_mark install-all
if DEBIAN_FRONTEND=noninteractive apt-get install -y "$HERE/debs/current.deb" >"$LOGS/apt-install.log" 2>&1; then
    ok "apt-get install ./secrets-delegate_${VERSION}.deb"
else
    fail "apt-get install failed: $(tail -n 3 "$LOGS/apt-install.log" | tr '\n' ' ')"
fi
expect_eq "installed version" "$(secrets-delegate --version)" "$VERSION"
# The binary's packed relative relocations need glibc 2.36; the package says so (dpkg-shlibdeps
# alone would not), and the binary starts on this root's glibc.
depends=$(dpkg-query -W -f='${Depends}' secrets-delegate)
if grep -qF 'libc6 (>= 2.36)' <<<"$depends"; then ok "Depends names libc6 (>= 2.36)"; else fail "Depends: $depends"; fi
# Every AWS call is HTTPS checked against the system's CA certificates (libcurl4 only recommends them).
if grep -qE '(^|, )ca-certificates(,|$| )' <<<"$depends"; then ok "Depends names ca-certificates"; else fail "Depends: $depends"; fi
glibc=$(dpkg-query -W -f='${Version}' libc6)
dpkg --compare-versions "$glibc" ge 2.36 && ok "glibc of this root ($glibc) is 2.36 or later" || fail "glibc $glibc"
expect_eq "secrets-delegate.service after install" "$(systemctl is-active secrets-delegate.service)" active
expect_eq "secrets-delegate.socket after install" "$(systemctl is-active secrets-delegate.socket)" active
expect_eq "secrets-delegate.service enabled" "$(systemctl is-enabled secrets-delegate.service)" enabled

# Type=notify: `systemctl restart` returns only once the daemon sent READY=1, so the socket
# answers at once; the ready event was logged before it (journald may store it a moment later).
journal_mark restart MESSAGE_ID=b20d32c7a798457797805155f571e76b
journal_mark restart-stopping MESSAGE_ID=962a3ac0fd8d4bc58b8cc2ef49ea2893
journal_mark restart-started MESSAGE_ID=1382b608f94f42d0b0db0c186a2e0e75
old_pid=$(unit_prop secrets-delegate.service MainPID)
systemctl restart secrets-delegate.service
expect_eq "ActiveState/SubState right after restart" \
    "$(unit_prop secrets-delegate.service ActiveState)/$(unit_prop secrets-delegate.service SubState)" active/running
ready_event() { journal_since restart MESSAGE_ID=b20d32c7a798457797805155f571e76b | grep -q ready; }
if wait_until 30 ready_event; then
    ok "the ready event (MESSAGE_ID b20d32c7...) is in the journal"
else
    fail "no ready event in the journal within 30 s of systemctl restart returning"
fi
# The restart's other two events, each from its own process: the old one said it was stopping,
# the new one that it started (with the configured tags).
stopping_event() { journalctl --sync 2>/dev/null; journalctl _PID="$old_pid" MESSAGE_ID=962a3ac0fd8d4bc58b8cc2ef49ea2893 -b --no-pager -q -o cat | grep -q '^stopping'; }
wait_until 30 stopping_event && ok "the stopping event (MESSAGE_ID 962a3ac0...) from the process the restart stopped" ||
    fail "no stopping event from PID $old_pid: $(journal_since restart-stopping MESSAGE_ID=962a3ac0fd8d4bc58b8cc2ef49ea2893 | head -n 2 | tr '\n' '|')"
# The README's recipes read by unit (journalctl -u): the old process's last line is there too,
# though it exited right after logging it (journald names the unit from the sender's cgroup).
stopped_by_unit() { journalctl --sync 2>/dev/null; journalctl -u secrets-delegate.service _PID="$old_pid" -b --no-pager -q -o cat | grep -q '^stopped'; }
wait_until 30 stopped_by_unit && ok "journalctl -u shows the stopped process's last line (stopped)" ||
    fail "journalctl -u has no stopped line from PID $old_pid: $(journalctl _PID="$old_pid" -b --no-pager -q -o cat | tail -n 2 | tr '\n' '|')"
new_pid=$(unit_prop secrets-delegate.service MainPID)
started_event() { journalctl --sync 2>/dev/null; journalctl _PID="$new_pid" MESSAGE_ID=1382b608f94f42d0b0db0c186a2e0e75 -b --no-pager -q -o cat | grep -q .; }
if [ "$new_pid" != "$old_pid" ] && wait_until 30 started_event; then
    ok "the started event (MESSAGE_ID 1382b608...) from the new process"
else
    fail "no started event from the new PID $new_pid (old $old_pid): $(journal_since restart-started MESSAGE_ID=1382b608f94f42d0b0db0c186a2e0e75 | head -n 2 | tr '\n' '|')"
fi
if status=$(timeout 60 secrets-delegate status 2>&1) && grep -q '"name"' <<<"$status"; then
    ok "secrets-delegate status answers right after start"
else
    fail "secrets-delegate status: $status"
fi

# Nothing but our own info lines at start: no libdispatch notices, no warnings.
noise=$(journal_since install -p warning)
if [ -z "$(journal_since install-all)" ]; then
    fail "the delegate's journal since install is empty or unreadable: no noise check possible"
elif [ -z "$noise" ]; then ok "no warnings or errors from the delegate since install"; else fail "journal noise: $(head -n 3 <<<"$noise" | tr '\n' '|')"; fi
# libdispatch renices its worker threads from their QoS class (down to -4) and logs a notice
# (syslog, LOG_NOTICE: below the -p warning check above) when the kernel refuses. The unit
# allows setpriority (no EPERM from the filter); where systemd cannot apply LimitNICE=-4 (no
# CAP_SYS_RESOURCE, as in this sandbox) the daemon's own setpriority (CLinuxShim) settles for
# the closest nice value RLIMIT_NICE allows instead of failing. No notice on any host.
nice_limit=$(awk '/^Max nice priority/ { print $4 }' "/proc/$(unit_prop secrets-delegate.service MainPID)/limits")
echo "note: the service's RLIMIT_NICE is ${nice_limit:-?} (LimitNICE=-4 asks for 24)" >>"$LOGS/notes"
# Counted in a journal read that is known to hold the delegate's lines (its ready event), so an
# unreadable or empty journal never counts as no notice.
journalctl -u secrets-delegate.service -b --no-pager -q -o cat >"$LOGS/start-journal.log"
if grep -q '^ready' "$LOGS/start-journal.log"; then
    expect_eq "libdispatch thread-priority notices (RLIMIT_NICE ${nice_limit:-?})" \
        "$(grep -c 'thread priority' "$LOGS/start-journal.log")" 0
else
    fail "the delegate's journal could not be read to count thread-priority notices: $(head -c 200 "$LOGS/start-journal.log")"
fi

# The installed units as systemd reads them: no unknown key, bad value or missing binary. Lines
# about other units (their dependencies) are kept as a note. (--man=no: this root has no man(1);
# the man page itself is checked below.)
units=(/lib/systemd/system/secrets-delegate.service /lib/systemd/system/secrets-delegate.socket
    /lib/systemd/system/secrets-delegate-credentials.socket)
verify=$(systemd-analyze verify --man=no "${units[@]}" 2>&1)
verify_status=$?
echo "note: systemd-analyze verify (exit $verify_status): $(tr '\n' '|' <<<"$verify")" >>"$LOGS/notes"
ours=$(grep -i 'secrets-delegate' <<<"$verify")
if [ "$verify_status" -eq 0 ] && [ -z "$ours" ]; then
    ok "systemd-analyze verify of the three units: nothing to say about them"
else
    fail "systemd-analyze verify (exit $verify_status): $(head -n 3 <<<"${ours:-$verify}" | tr '\n' '|')"
fi

exposure=$(systemd-analyze security --no-pager secrets-delegate.service 2>/dev/null |
    sed -n 's/.*Overall exposure level for secrets-delegate.service: \([0-9.]*\).*/\1/p')
if [ -n "$exposure" ] && awk -v e="$exposure" 'BEGIN { exit !(e <= 1.5) }'; then
    ok "systemd-analyze security: exposure $exposure (at most 1.5)"
else
    fail "systemd-analyze security: exposure '${exposure:-?}', expected at most 1.5"
fi

# The daemon's memory holds secret values: not swapped out. systemd's setting, and the cgroup's
# own limit where the memory controller is on (the kernel's word, not the unit file's).
expect_eq "MemorySwapMax" "$(unit_prop secrets-delegate.service MemorySwapMax)" 0
# A spool mounted at the packaged path (NFS) is waited for: the unit needs its mount point's mounts.
expect_eq "RequiresMountsFor names the spool" \
    "$(unit_prop secrets-delegate.service RequiresMountsFor | tr ' ' '\n' | grep -cx /var/lib/secrets-delegate/spool)" 1
cgroup=/sys/fs/cgroup$(unit_prop secrets-delegate.service ControlGroup)
if [ -e "$cgroup/memory.swap.max" ]; then
    expect_eq "$cgroup/memory.swap.max" "$(cat "$cgroup/memory.swap.max")" 0
else
    ok "no memory.swap.max in $cgroup (memory controller off here): MemorySwapMax is systemd's only"
fi

# The installed files, users and modes.
getent passwd secrets-delegate >/dev/null && ok "system user secrets-delegate" || fail "no secrets-delegate user"
for spec in "/etc/secrets-delegate 750 root:secrets-delegate" \
    "/etc/secrets-delegate/delegate.toml 640 root:secrets-delegate" \
    "/etc/secrets-delegate/credentials 750 root:secrets-delegate" \
    "/var/lib/secrets-delegate/spool/tmp 2770 secrets-delegate:secrets-delegate" \
    "/var/lib/secrets-delegate/spool/new 2770 secrets-delegate:secrets-delegate" \
    "/var/lib/secrets-delegate/spool/done 2770 secrets-delegate:secrets-delegate"; do
    set -- $spec
    expect_eq "$1" "$(stat -c '%a %U:%G' "$1" 2>&1)" "$2 $3"
done
dpkg-query -W -f='${Conffiles}\n' secrets-delegate | grep -q /etc/secrets-delegate/delegate.toml &&
    ok "delegate.toml is a conffile" || fail "delegate.toml is not a conffile"
zcat /usr/share/man/man1/secrets-delegate.1.gz | grep -q check-config && ok "man page" || fail "man page missing or incomplete"
grep -q check-config /usr/share/bash-completion/completions/secrets-delegate && ok "bash completion" || fail "no bash completion"
runuser -u secrets-delegate -- secrets-delegate check-config >/dev/null 2>&1 &&
    ok "the delegate's user reads its configuration" || fail "check-config as secrets-delegate failed"
# The check the packaged file tells an editor to run works as written: with sudo (the file is
# root:secrets-delegate 0640; root here needs no sudo), and it is needed by a user outside the group.
check_line=$(sed -n 's/^#     \(sudo secrets-delegate check-config .*\)$/\1/p' /etc/secrets-delegate/delegate.toml)
if [ -n "$check_line" ] && ${check_line#sudo } >/dev/null 2>&1; then
    ok "the packaged file's check command: $check_line"
else
    fail "the packaged file's check command '${check_line:-none found}' does not pass"
fi
expect_eq "check-config by a user outside the group" \
    "$(setpriv --reuid=nobody --regid=nogroup --clear-groups secrets-delegate check-config >/dev/null 2>&1; echo $?)" 78
for binary in /usr/bin/secrets-delegate /usr/libexec/secrets-delegate/secrets-delegated; do
    if ldd "$binary" | grep -qE 'not found|libswift|libFoundation|libdispatch'; then
        fail "$binary lacks or needs Swift libraries: $(ldd "$binary" | grep -E 'not found|swift' | head -n 2)"
    else
        ok "ldd $binary: every library resolves, none of them Swift's"
    fi
done
expect_eq "the full binary's mode and owner" \
    "$(stat -c '%a %U:%G' /usr/libexec/secrets-delegate/secrets-delegated 2>&1)" "755 root:root"
# The front binary maps no libcrypto or libsystemd: that is what makes `get` start fast.
if ldd /usr/bin/secrets-delegate | grep -qE 'libcrypto|libsystemd'; then
    fail "the front binary maps $(ldd /usr/bin/secrets-delegate | grep -oE 'lib(crypto|systemd)[^ ]*' | head -n 2)"
else
    ok "the front binary maps neither libcrypto nor libsystemd"
fi
# The service's process is the full binary (the front replaced itself), under the unit's command line.
main_pid=$(systemctl show -P MainPID secrets-delegate.service)
expect_eq "the service's executable" "$(readlink "/proc/$main_pid/exe")" /usr/libexec/secrets-delegate/secrets-delegated
expect_eq "the service's command line" "$(tr '\0' ' ' <"/proc/$main_pid/cmdline")" "/usr/bin/secrets-delegate run --config /etc/secrets-delegate/delegate.toml "

# Before the configuration names the tag, a task for it is not selected.
submit not-selected "{\"id\":\"boot-not-selected\",\"connector\":$(connector '["boot"]'),\"operation\":\"getRandomPassword\"}" --wait
expect_eq "exit status of a task for an unknown tag" "$?" 1
grep -q NotSelected "$LOGS/not-selected.out" && ok "rejected with NotSelected" || fail "expected NotSelected: $(cat "$LOGS/not-selected.out")"
rejected_event() {
    journalctl --sync 2>/dev/null
    journalctl -u secrets-delegate.service -b MESSAGE_ID=87ec36711a9247dcbe10c3f37320cc26 TASK_ID=boot-not-selected \
        --no-pager -q -o json | grep -q '"PRIORITY":"4"'
}
wait_until 30 rejected_event && ok "the task-rejected event (MESSAGE_ID 87ec3671..., warning) names boot-not-selected" ||
    fail "no task-rejected warning with TASK_ID=boot-not-selected in the journal"

# Memory holds secrets: no core files, the process is not dumpable, descriptors are plentiful.
pid=$(unit_prop secrets-delegate.service MainPID)
expect_eq "core file size limit" "$(awk '/^Max core file size/ { print $5 }' "/proc/$pid/limits")" 0
# LimitNOFILE=65536, or the most this host's systemd may grant (a container without
# CAP_SYS_RESOURCE cannot go past its own hard limit); soft and hard alike.
hard_cap=$(awk '/^Max open files/ { print $5 }' /proc/1/limits)
expected_files=$(( hard_cap < 65536 ? hard_cap : 65536 ))
expect_eq "open files limit (soft hard)" "$(awk '/^Max open files/ { print $4, $5 }' "/proc/$pid/limits")" "$expected_files $expected_files"
ready=$(journalctl _PID="$pid" MESSAGE_ID=b20d32c7a798457797805155f571e76b --no-pager -q -o json)
grep -q '"DUMPABLE":"no"' <<<"$ready" && ok "the ready event says DUMPABLE=no" || fail "no DUMPABLE=no on the ready event: $(head -c 300 <<<"$ready")"
# The kernel's own word: a process that is not dumpable has its /proc files owned by root, though
# it runs as secrets-delegate.
expect_eq "owner of /proc/PID/environ of the daemon (user $(stat -c %U "/proc/$pid"))" "$(stat -c %U "/proc/$pid/environ")" root

# /run/secrets-delegate is the delegate's from boot on (tmpfiles.d), not root's until the first
# start: as at boot, it is made by tmpfiles, then only the sockets start, and a producer in the
# group reaches the task socket, which starts the delegate.
systemctl stop secrets-delegate.service secrets-delegate.socket secrets-delegate-credentials.socket
# The credentials socket removes its file when stopped; the task socket keeps its own (a running
# delegate still serves it while the socket unit alone is stopped).
expect_eq "credentials socket file left by the stopped socket (RemoveOnStop=yes)" \
    "$(ls /run/secrets-delegate/credentials.sock 2>/dev/null)" ""
rm -rf /run/secrets-delegate
systemd-tmpfiles --create /usr/lib/tmpfiles.d/secrets-delegate.conf
expect_eq "/run/secrets-delegate from tmpfiles.d" "$(stat -c '%U:%G %a' /run/secrets-delegate)" "secrets-delegate:secrets-delegate 750"
systemctl start secrets-delegate.socket secrets-delegate-credentials.socket
expect_eq "/run/secrets-delegate with only the sockets started" \
    "$(stat -c '%U:%G %a' /run/secrets-delegate)" "secrets-delegate:secrets-delegate 750"
expect_eq "the service before any client" "$(systemctl is-active secrets-delegate.service)" inactive
id boot-producer >/dev/null 2>&1 || useradd --system --no-create-home -G secrets-delegate boot-producer
setpriv --reuid=boot-producer --regid=boot-producer --init-groups \
    secrets-delegate status --socket /run/secrets-delegate/delegate.sock >"$LOGS/producer-status.out" 2>&1
expect_eq "status through the socket as a producer in the group (activates the delegate)" "$?" 0
wait_until 20 systemctl is-active --quiet secrets-delegate.service
expect_eq "the service after the producer's request" "$(systemctl is-active secrets-delegate.service)" active
