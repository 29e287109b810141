#!/usr/bin/env bash
# make demo: the delegate's main job end to end on this machine.
# Starts moto_server (a local AWS emulator that checks SigV4 signatures and IAM policies),
# creates a demo identity and two SQS queues there, runs the delegate with a spool, a socket and
# the SQS task queue under .demo/, submits a handful of tasks, prints their results, and shuts
# everything down.
set -euo pipefail
# Files it writes get their modes from here, not from the caller's umask (002 would make a
# configuration group-writable, which the delegate refuses).
umask 022
cd "$(dirname "$0")/.."
ROOT=$PWD
DEMO=$ROOT/.demo
BIN=$ROOT/.build/debug/secrets-delegate
PYTHON=${PYTHON:-python3}  # the interpreter `make deps` installed moto and boto3 into
rm -rf "$DEMO"
mkdir -p "$DEMO/tasks"
chmod 0750 "$DEMO"

pids=()
# On a failure, the end of each log says why (a readiness wait that ran out says which).
cleanup() {
  local status=$?
  # The delegate first, and waited for: moto gone under it would end its log with an SQS
  # receive failing, which is not why the demo stopped.
  local index
  for index in 1 0; do
    [ -n "${pids[$index]:-}" ] || continue
    kill "${pids[$index]}" 2>/dev/null || true
    wait "${pids[$index]}" 2>/dev/null || true
  done
  if [ "$status" -ne 0 ]; then
    for log in "$DEMO/moto.log" "$DEMO/delegate.log"; do
      [ -s "$log" ] && { echo "--- last lines of ${log#"$ROOT"/}:" >&2; tail -n 20 "$log" >&2; }
    done
    echo "demo failed (exit $status)" >&2
  fi
}
trap cleanup EXIT
# An interrupt (Ctrl-C) or a TERM ends the script through exit, so that the cleanup above runs.
trap 'exit 130' INT
trap 'exit 143' TERM
fail() { echo "demo: $*" >&2; exit 1; }

PORT=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') \
  || fail "$PYTHON does not run (set PYTHON to the interpreter make deps installed into)"
ENDPOINT=http://127.0.0.1:$PORT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "starting moto_server on $ENDPOINT (signature and IAM checks on after the setup calls)"
# moto's own entry point, in the interpreter it was installed into (its moto_server script may
# not be on PATH, or may be another interpreter's).
INITIAL_NO_AUTH_ACTION_COUNT=$("$PYTHON" scripts/demo_identity.py --setup-calls) \
  "$PYTHON" -m moto.server -H 127.0.0.1 -p "$PORT" >"$DEMO/moto.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 150); do curl -sf "$ENDPOINT/moto-api/" >/dev/null && break; sleep 0.1; done
curl -sf "$ENDPOINT/moto-api/" >/dev/null || fail "moto_server did not answer on $ENDPOINT within 15 s (is moto[server] installed for $PYTHON? make deps)"

step "creating the demo identity (IAM users with the seed document's policies) and SQS queues"
queues=$("$PYTHON" scripts/demo_identity.py "$ENDPOINT" "$DEMO/credentials") \
  || fail "creating the demo identity and queues on moto failed (see above)"
{ read -r TASK_QUEUE; read -r REPLY_QUEUE; } <<<"$queues"
[ -n "$TASK_QUEUE" ] && [ -n "$REPLY_QUEUE" ] || fail "the demo queues were not created"
ls -l "$DEMO/credentials" | sed 1d
echo "    task queue:  $TASK_QUEUE"
echo "    reply queue: $REPLY_QUEUE"

cat >"$DEMO/delegate.toml" <<TOML
[delegate]
name = "demo-delegate"
tags = ["demo", "aws"]
concurrency = 8

[queue]
spool_dir = "$DEMO/spool"
socket_path = "$DEMO/delegate.sock"
socket_allowed_groups = []
rescan_interval_seconds = 5

[aws]
secretsmanager_endpoint = "$ENDPOINT"
sts_endpoint = "$ENDPOINT"

[identity]
sources = ["environment"]

[credentials]
directory = "$DEMO/credentials"

[sqs]
queue_urls = ["$TASK_QUEUE"]
region = "us-east-1"
endpoint = "$ENDPOINT"
wait_seconds = 2
visibility_seconds = 30
TOML
# The delegate's own identity (environment variables): the fleet user, allowed the SQS actions.
FLEET_KEY_ID=$(cat "$DEMO/credentials/fleet-access-key-id")
FLEET_SECRET_KEY=$(cat "$DEMO/credentials/fleet-secret-key")

step "starting the delegate (log: .demo/delegate.log)"
"$BIN" check-config --config "$DEMO/delegate.toml" | sed 's/^/    /'
AWS_ACCESS_KEY_ID=$FLEET_KEY_ID AWS_SECRET_ACCESS_KEY=$FLEET_SECRET_KEY "$BIN" run --config "$DEMO/delegate.toml" 2>"$DEMO/delegate.log" &
pids+=($!)
for _ in $(seq 1 100); do [ -S "$DEMO/delegate.sock" ] && break; sleep 0.1; done
[ -S "$DEMO/delegate.sock" ] || fail "the delegate did not open its socket within 10 s"

connector() { # connector ID SELECTORS CREDENTIAL_ID_REF SECRET_REF
  printf '{"id":"%s","region":"us-east-1","secretNamePrefix":"demo","delegateSelectors":%s,"credentials":{"type":"accessKey","accessKeyIdRef":"%s","secretAccessKeyRef":"%s"}}' "$1" "$2" "$3" "$4"
}
FULL=$(connector demoConnector '["demo"]' demo-access-key-id demo-secret-key)
READER=$(connector readOnlyConnector '["demo"]' reader-access-key-id reader-secret-key)
ELSEWHERE=$(connector prodConnector '["prod"]' demo-access-key-id demo-secret-key)

task() { # task FILE JSON
  printf '%s\n' "$2" >"$DEMO/tasks/$1.json"
}
task create-db "{\"id\":\"create-db\",\"connector\":$FULL,\"operation\":\"createSecret\",\"params\":{\"name\":\"db\",\"secretString\":\"{\\\"user\\\":\\\"app\\\",\\\"password\\\":\\\"s3cr3t\\\"}\",\"description\":\"demo database login\"}}"
task get-password "{\"id\":\"get-password\",\"connector\":$FULL,\"operation\":\"getSecretValue\",\"params\":{\"name\":\"db#password\"}}"
task list "{\"id\":\"list\",\"connector\":$FULL,\"operation\":\"listSecrets\",\"params\":{\"all\":true}}"
task test-connection "{\"id\":\"test-connection\",\"connector\":$FULL,\"operation\":\"testConnection\"}"
task test-read-only "{\"id\":\"test-read-only\",\"connector\":$READER,\"operation\":\"testConnection\"}"
task sqs-get-user "{\"id\":\"sqs-get-user\",\"connector\":$FULL,\"operation\":\"getSecretValue\",\"params\":{\"name\":\"db#user\"}}"
task for-prod "{\"id\":\"for-prod\",\"connector\":$ELSEWHERE,\"operation\":\"getSecretValue\",\"params\":{\"name\":\"db\"}}"

show() { "$PYTHON" -c 'import json,sys; print(json.dumps(json.loads(sys.stdin.read()), indent=2))' | sed 's/^/    /'; }

step "createSecret through the spool (submit --spool --wait)"
"$BIN" submit --spool "$DEMO/spool" --wait --timeout 30 "$DEMO/tasks/create-db.json" | show
step "getSecretValue of db#password through the socket"
"$BIN" submit --socket "$DEMO/delegate.sock" --wait --timeout 30 "$DEMO/tasks/get-password.json" | show
step "listSecrets through the socket"
"$BIN" submit --socket "$DEMO/delegate.sock" --wait --timeout 30 "$DEMO/tasks/list.json" | show
step "testConnection with the full policy"
"$BIN" submit --spool "$DEMO/spool" --wait --timeout 30 "$DEMO/tasks/test-connection.json" | show
step "testConnection with the seed's minimum (read-only) policy"
"$BIN" submit --spool "$DEMO/spool" --wait --timeout 30 "$DEMO/tasks/test-read-only.json" | show
step "getSecretValue of db#user through the SQS task queue (submit --sqs --wait: the result comes back on the reply queue)"
AWS_ACCESS_KEY_ID=$FLEET_KEY_ID AWS_SECRET_ACCESS_KEY=$FLEET_SECRET_KEY "$BIN" submit --config "$DEMO/delegate.toml" \
  --sqs "$TASK_QUEUE" --reply-queue "$REPLY_QUEUE" --wait --timeout 30 "$DEMO/tasks/sqs-get-user.json" | show
step "a task for another delegate (selector 'prod') stays queued in the spool"
"$BIN" submit --spool "$DEMO/spool" "$DEMO/tasks/for-prod.json" | sed 's/^/    /'
sleep 1
ls "$DEMO/spool/new" | sed 's/^/    new\//'
step "the delegate's status"
"$BIN" status --socket "$DEMO/delegate.sock" | sed 's/^/    /'

step "stopping (SIGTERM: intake closes, tasks in flight finish)"
kill -TERM "${pids[1]}"
status=0
wait "${pids[1]}" || status=$?
unset 'pids[1]'
[ "$status" -eq 0 ] || fail "the delegate exited $status on SIGTERM"
echo "    delegate exited 0"
echo
echo "demo finished; the delegate's log is in .demo/delegate.log, its configuration in"
echo ".demo/delegate.toml, the tasks in .demo/tasks/ and the spool (results the demo collected"
echo "are gone from done/) in .demo/spool/. Next: README, \"Install\" (make package)."
