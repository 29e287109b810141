extension String {
    /// This text as one word of a POSIX shell command line, in single quotes (a `'` in it as
    /// `'\''`): for a command a message prints for the operator to paste, whatever the path holds
    /// (spaces, `$`, quotes). By Unicode scalars, as the shell reads bytes: a `'` that a combining
    /// mark joins into one character with it is a quote all the same.
    var shellQuoted: String {
        var quoted = String.UnicodeScalarView()
        quoted.append("'")
        for scalar in unicodeScalars {
            if scalar == "'" {
                quoted.append(contentsOf: "'\\''".unicodeScalars)
            } else {
                quoted.append(scalar)
            }
        }
        quoted.append("'")
        return String(quoted)
    }
}
