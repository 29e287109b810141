extension String {
    /// This text as one word of a POSIX shell command line, in single quotes (a `'` in it as
    /// `'\''`): for a command a message prints for the operator to paste, whatever the path holds
    /// (spaces, `$`, quotes).
    var shellQuoted: String {
        "'" + replacing("'", with: "'\\''") + "'"
    }
}
