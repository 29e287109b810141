import DelegateClient

// The `secrets-delegate` command (docs/INTERFACE.md section 10): `get --socket PATH` and
// `exec --socket PATH --env ... -- COMMAND` served here,
// everything else by the full binary, `secrets-delegated`, which this process becomes.
FrontCommand.main(CommandLine.arguments)
