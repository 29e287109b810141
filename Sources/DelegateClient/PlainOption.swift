/// One option with a value on a command line the front binary serves itself (``GetCommandLine``,
/// ``ExecCommandLine``), read as the full binary's argument parser reads it.
struct PlainOption: Equatable {
    var name: String
    var value: String

    /// `--name=VALUE`, or `--name` with the next argument (taken from `rest`) as its value; nil
    /// when that is a form the parser reads otherwise: `--name=` (there, `--name` taking the next
    /// argument), no next argument, or a value that starts with `-`.
    init?<Rest: Collection<String>>(_ argument: String, rest: inout Rest) where Rest.SubSequence == Rest {
        if let equals = argument.firstIndex(of: "=") {
            name = String(argument[..<equals])
            value = String(argument[argument.index(after: equals)...])
            guard !value.isEmpty else { return nil }
        } else {
            guard let next = rest.popFirst() else { return nil }
            name = argument
            value = next
        }
        guard !value.hasPrefix("-") else { return nil }
    }
}
