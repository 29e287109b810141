# The journal carries the structured fields for a task, and no secret value anywhere.
# The task-succeeded entry itself (the task-claimed one carries some of these fields too).
json=$(journalctl _SYSTEMD_UNIT=secrets-delegate.service -b --no-pager -q -o json TASK_ID=boot-create \
    MESSAGE_ID=a0ab85ac82654f168c8cc7c5c4210169 | tail -n 1)
if grep -q '"TASK_ID":"boot-create"' <<<"$json" && grep -q '"OPERATION":"createSecret"' <<<"$json" &&
    grep -q '"CONNECTOR_ID":"boot"' <<<"$json" && grep -q '"SECRET_NAME":"boot/db"' <<<"$json"; then
    ok "task-succeeded entry for boot-create with MESSAGE_ID, TASK_ID, OPERATION, CONNECTOR_ID, SECRET_NAME (the full name)"
else
    fail "no complete task-succeeded entry for boot-create: $(head -c 400 <<<"$json")"
fi
expect_eq "journal entries holding the secret value" "$(journal_leaks boot "$(canary)")" 0
