# The README's journalctl recipes as the package ships them (/usr/share/doc/secrets-delegate),
# run as printed, only the example task id and connector id swapped for this boot's and the live
# `-f` one left out: each exits 0 and finds the events the earlier checks made (a task's history,
# failures, rejections, credential trouble, a connector's calls, refused units, SQS queue trouble,
# starts and reloads), and each field a jq recipe prints is in the entries it selects. A recipe
# whose MESSAGE_ID, field or jq filter drifted from what the delegate logs fails here. Two blocks:
# the one after "Recipes:" and the SQS section's (its example queue URL and message id swapped for
# check 47's task queue and a message id the delegate logged).
readme=/usr/share/doc/secrets-delegate/README.md
journalctl --sync 2>/dev/null
example_queue=https://sqs.eu-west-1.amazonaws.com/123456789012/secrets-tasks-prod
example_message=5fea7756-0ea4-451a-a703-a558b933e274
message_id=$(delegate_journal -o json | jq -r '.SQS_MESSAGE_ID // empty' | head -n 1)
[ -n "$message_id" ] && ok "an SQS message id the delegate logged: $message_id" || fail "no SQS_MESSAGE_ID in the delegate's journal"
# run_recipes BLOCK: each command of BLOCK (a ```sh block, continuations joined) run as printed.
run_recipes() {
    local title="" line command output status present filter selection found
    ran=0
    while IFS= read -r line; do
        case "$line" in
        "# "*) title=${line#\# } ;;
        "") ;;
        *" -f") ;;
        *)
            command=${line//build-4711-db-password/boot-create}
            command=${command//awsSmProd/boot}
            command=${command//"$example_queue"/$SQS_TASK_QUEUE}
            command=${command//"$example_message"/$message_id}
            output=$(bash -c "set -o pipefail; $command" 2>&1)
            status=$?
            # journalctl's own lines ("-- No entries --", a boot's or a reboot's marker) start with
            # "-- " and are no entries: with none, journalctl prints that line and exits 0.
            found=$(grep -c -v -e '^-- ' -e '^[[:space:]]*$' <<<"$output")
            ran=$((ran + 1))
            if [ "$status" != 0 ]; then
                fail "recipe \"$title\" exited $status: $(head -c 300 <<<"$output")"
            elif [ "$found" = 0 ]; then
                fail "recipe \"$title\" found nothing ($(head -c 100 <<<"$output")): $command"
            else
                ok "recipe \"$title\": $found lines"
            fi
            # The stops: the last line of each (EVENT=stopped, no MESSAGE_ID), which earlier checks made.
            if [[ $title == "starts, reloads and stops"* ]]; then
                if grep -q ': stopped$' <<<"$output"; then
                    ok "recipe \"$title\" finds a stop's last line"
                else
                    fail "recipe \"$title\" finds no \"stopped\" line: $(tail -c 300 <<<"$output")"
                fi
            fi
            # A jq recipe prints its row even when a field it names is absent (jq's null is an empty
            # cell): each field must be present in at least one of the entries the recipe selects.
            if [[ $command == *"| jq -r '"*" | @tsv'"* ]]; then
                filter=${command#*"| jq -r '"}
                filter=${filter%%" | @tsv'"*}
                selection=${command%%"| jq -r"*}
                present=$(bash -c "$selection | jq -s '[.[] | $filter] | transpose | map(any(. != null)) | all'" 2>&1)
                if [ "$present" = true ]; then
                    ok "recipe \"$title\": every field of $filter is in its entries"
                else
                    fail "recipe \"$title\": a field of $filter is in none of its entries ($present)"
                fi
            fi
            ;;
        esac
    done <<<"$1"
}
# The ```sh block after "Recipes:".
run_recipes "$(awk '/^Recipes:/ { found = 1; next } found && /^```sh/ { inside = 1; next } inside && /^```/ { exit } inside' "$readme" |
    sed -e ':a' -e '/\\$/N; s/\\\n *//; ta')"
expect_eq "README recipes run (all but the live one)" "$ran" 8
# The SQS section's block: the ```sh block that starts with its queue trouble recipe.
run_recipes "$(awk '/^```sh/ { start = NR; next } start == NR - 1 && /^# queue trouble and recoveries/ { inside = 1 } inside && /^```/ { exit } inside' "$readme" |
    sed -e ':a' -e '/\\$/N; s/\\\n *//; ta')"
expect_eq "README SQS recipes run" "$ran" 4
