# The README's journalctl recipes as the package ships them (/usr/share/doc/secrets-delegate),
# run as printed, only the example task id and connector id swapped for this boot's and the live
# `-f` one left out: each exits 0 and finds the events the earlier checks made (a task's history,
# failures, rejections, credential trouble, a connector's calls, refused units, SQS queue trouble,
# starts and reloads). A recipe whose field, MESSAGE_ID or jq filter drifted from what the
# delegate logs finds nothing and fails here.
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
        ;;
    esac
done <<<"$recipes"
expect_eq "README recipes run (all but the live one)" "$ran" 8
