# The README's journalctl recipes as the package ships them (/usr/share/doc/secrets-delegate),
# run as printed, only the example task id and connector id swapped for this boot's and the live
# `-f` one left out: each exits 0 and finds the events the earlier checks made (a task's history,
# failures, rejections, credential trouble, a connector's calls, refused units, SQS queue trouble,
# starts and reloads), and each field a jq recipe prints is in the entries it selects. A recipe
# whose MESSAGE_ID, field or jq filter drifted from what the delegate logs fails here.
readme=/usr/share/doc/secrets-delegate/README.md
journalctl --sync 2>/dev/null
# The ```sh block after "Recipes:", each command on one line (continuations joined).
recipes=$(awk '/^Recipes:/ { found = 1; next } found && /^```sh/ { inside = 1; next } inside && /^```/ { exit } inside' "$readme" |
    sed -e ':a' -e '/\\$/N; s/\\\n *//; ta')
title=""
ran=0
while IFS= read -r line; do
    case "$line" in
    "# "*) title=${line#\# } ;;
    "") ;;
    *" -f") ;;
    *)
        command=${line//build-4711-db-password/boot-create}
        command=${command//awsSmProd/boot}
        output=$(bash -c "set -o pipefail; $command" 2>&1)
        status=$?
        ran=$((ran + 1))
        if [ "$status" != 0 ]; then
            fail "recipe \"$title\" exited $status: $(head -c 300 <<<"$output")"
        elif [ -z "$(tr -d '[:space:]' <<<"$output")" ]; then
            fail "recipe \"$title\" found nothing: $command"
        else
            ok "recipe \"$title\": $(wc -l <<<"$output") lines"
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
done <<<"$recipes"
expect_eq "README recipes run (all but the live one)" "$ran" 8
