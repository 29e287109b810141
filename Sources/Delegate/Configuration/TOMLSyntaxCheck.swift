/// A strict TOML 1.0 syntax check that runs before the text reaches TOMLKit.
///
/// TOMLKit 0.6 wraps toml++ 3.4, whose parser checks some of its input with `assert`, which
/// aborts the whole process, instead of reporting an error: a table header whose key starts
/// with a character that is neither a bare-key character nor a quote (`[\u{1}]`, `[é]`,
/// `[ =]`, `[[ [a]]`), an array element starting with `}` or U+0085, U+2028 or U+2029, a date
/// followed by a stray digit or colon (`1979-05-27 0`, `1979-05-27T:`). TOMLKit also hands
/// toml++ a C string, so a NUL would silently cut the file short; and it reads keys and strings
/// back as C strings, so a `\u0000` escape would cut a key or a value short. toml++ makes a table
/// for each part of a dotted key and walks them recursively, without a bound.
///
/// The check accepts only documents built from what the configuration uses (tables, array
/// tables, keys, strings, integers, floats, booleans, arrays and inline tables) and refuses
/// everything else, dates and times included (no configuration key takes one), with the line
/// and column. toml++ therefore only ever sees well-formed TOML; semantic errors such as a
/// key defined twice are still its to report. The check never crashes: nesting is bounded, and so
/// are the parts of a dotted key.
struct TOMLSyntaxCheck {
    /// Arrays and inline tables nested deeper than this are refused (toml++ allows 256; the
    /// configuration uses 1).
    static let maximumNesting = 32
    /// Dotted keys (and table headers) of more parts than this are refused (the configuration
    /// uses 2, `[connectors.id]`): toml++ recurses once for each.
    static let maximumKeyParts = 16

    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var line = 1
    private var lineStart = 0
    private var nesting = 0

    private init(_ text: String) {
        scalars = Array(text.unicodeScalars)
    }

    /// Throws a `ConfigurationError` naming the line and column of the first thing that is not
    /// TOML this check accepts.
    static func check(_ text: String) throws(ConfigurationError) {
        var check = TOMLSyntaxCheck(text)
        try check.document()
    }

    // MARK: - Document

    private mutating func document() throws(ConfigurationError) {
        if current == "\u{FEFF}" { index += 1 }  // a byte order mark at the very start
        while current != nil {
            skipWhitespace()
            guard let scalar = current else { return }
            if try consumeNewline() { continue }
            if scalar == "#" {
                try comment()
                continue
            }
            if scalar == "[" {
                try tableHeader()
            } else if Self.startsKey(scalar) {
                try keyValue()
            } else {
                throw failure("expected a key, a [table] header or a comment, saw \(describeCurrent)")
            }
            try endOfLine()
        }
    }

    /// `[key]` or `[[key]]`: the brackets of an array table are contiguous.
    private mutating func tableHeader() throws(ConfigurationError) {
        index += 1
        let isArray = current == "["
        if isArray { index += 1 }
        skipWhitespace()
        try key()
        try expect("]", "expected ']' to close the table header")
        if isArray { try expect("]", "expected ']]' to close the array table header") }
    }

    private mutating func keyValue() throws(ConfigurationError) {
        try key()
        try expect("=", "expected '=' after the key")
        skipWhitespace()
        try value()
    }

    /// After a header or key/value: spaces, an optional comment, then a line break or the end.
    private mutating func endOfLine() throws(ConfigurationError) {
        skipWhitespace()
        if current == "#" { try comment() }
        guard current != nil else { return }
        guard try consumeNewline() else { throw failure("expected the end of the line, saw \(describeCurrent)") }
    }

    /// A dotted key: simple keys separated by `.`, spaces allowed around the dots. Leaves the
    /// position after any spaces that follow it.
    private mutating func key() throws(ConfigurationError) {
        for _ in 0..<Self.maximumKeyParts {
            try simpleKey()
            skipWhitespace()
            guard current == "." else { return }
            index += 1
            skipWhitespace()
        }
        throw failure("a dotted key has more than \(Self.maximumKeyParts) parts")
    }

    private mutating func simpleKey() throws(ConfigurationError) {
        guard let scalar = current, Self.startsKey(scalar) else {
            throw failure("expected a key (letters, digits, '-', '_' or a quoted string), saw \(describeCurrent)")
        }
        if Self.isBareKey(scalar) {
            while let next = current, Self.isBareKey(next) { index += 1 }
        } else if isTripleQuote(scalar) {
            throw failure("a key cannot be a multi-line string")
        } else if scalar == "\"" {
            try basicString()
        } else {
            try literalString()
        }
    }

    // MARK: - Values

    private mutating func value() throws(ConfigurationError) {
        guard let scalar = current else { throw failure("expected a value, saw the end of the file") }
        switch scalar {
        case "\"": try isTripleQuote(scalar) ? multiLineString(quote: scalar) : basicString()
        case "'": try isTripleQuote(scalar) ? multiLineString(quote: scalar) : literalString()
        case "[", "{":
            guard nesting < Self.maximumNesting else {
                throw failure("arrays and inline tables are nested more than \(Self.maximumNesting) deep")
            }
            nesting += 1
            try scalar == "[" ? array() : inlineTable()
            nesting -= 1
        case _ where Self.isAtom(scalar): try atom()
        default: throw failure("expected a value, saw \(describeCurrent)")
        }
    }

    /// `[ value, value, ]`: line breaks and comments are allowed between the elements.
    private mutating func array() throws(ConfigurationError) {
        index += 1
        while true {
            try skipWhitespaceCommentsAndNewlines()
            if current == "]" { break }
            try value()
            try skipWhitespaceCommentsAndNewlines()
            if current == "," {
                index += 1
            } else if current != "]" {
                throw failure("expected ',' or ']' in the array, saw \(describeCurrent)")
            }
        }
        index += 1
    }

    /// `{ key = value, key = value }` on one line, with no trailing comma (TOML 1.0).
    private mutating func inlineTable() throws(ConfigurationError) {
        index += 1
        skipWhitespace()
        if current == "}" {
            index += 1
            return
        }
        while true {
            try keyValue()
            skipWhitespace()
            if current == "}" { break }
            try expect(",", "expected ',' or '}' in the inline table")
            skipWhitespace()
        }
        index += 1
    }

    /// A bare value: a boolean, an integer or a float. Dates and times are refused.
    private mutating func atom() throws(ConfigurationError) {
        let start = index
        while let scalar = current, Self.isAtom(scalar) { index += 1 }
        let atom = scalars[start..<index]
        if atom.elementsEqual("true".unicodeScalars) || atom.elementsEqual("false".unicodeScalars)
            || Self.isInteger(atom) || Self.isFloat(atom)
        {
            return
        }
        index = start
        let looksLikeDate =
            atom.count > 4 && atom.prefix(4).allSatisfy(Self.isDecimal) && atom.dropFirst(4).first == "-"
        if looksLikeDate || atom.contains(":") {
            throw failure("dates and times are not used in this configuration")
        }
        // Shown only when made of digits and number signs (a number miswritten, `016`): anything
        // else may be a secret pasted in (a key from a credentials file); the line and column
        // say where it is.
        let numberLike = atom.allSatisfy { Self.isDecimal($0) || "+-._".unicodeScalars.contains($0) }
        let shown =
            numberLike
            ? DelegateConfiguration.quoted(String(String.UnicodeScalarView(atom)))
            : "a value of \(atom.count) characters without quotes"
        throw failure("\(shown) is not a number or a boolean (strings need quotes)")
    }

    // MARK: - Strings

    /// `"..."` with escapes, on one line.
    private mutating func basicString() throws(ConfigurationError) {
        index += 1
        while true {
            guard let scalar = current else { throw failure("the string is not closed") }
            switch scalar {
            case "\"":
                index += 1
                return
            case "\\": try escape(multiLine: false)
            case "\n", "\r": throw failure("the string is not closed on its line")
            default: try stringCharacter(scalar)
            }
        }
    }

    /// `'...'`, no escapes, on one line.
    private mutating func literalString() throws(ConfigurationError) {
        index += 1
        while true {
            guard let scalar = current else { throw failure("the string is not closed") }
            switch scalar {
            case "'":
                index += 1
                return
            case "\n", "\r": throw failure("the string is not closed on its line")
            default: try stringCharacter(scalar)
            }
        }
    }

    /// `"""..."""` (with escapes) or `'''...'''`. Up to two quotes may stand right before the
    /// closing three, so a run of three to five quotes ends the string.
    private mutating func multiLineString(quote: Unicode.Scalar) throws(ConfigurationError) {
        index += 3
        while true {
            guard let scalar = current else { throw failure("the multi-line string is not closed") }
            if scalar == quote {
                var run = 0
                while current == quote {
                    run += 1
                    index += 1
                }
                if run >= 3 {
                    guard run <= 5 else { throw failure("too many quotes at the end of the multi-line string") }
                    return
                }
            } else if scalar == "\\" && quote == "\"" {
                try escape(multiLine: true)
            } else if scalar == "\n" || scalar == "\r" {
                _ = try consumeNewline()
            } else {
                try stringCharacter(scalar)
            }
        }
    }

    private mutating func stringCharacter(_ scalar: Unicode.Scalar) throws(ConfigurationError) {
        guard !Self.isControl(scalar) else {
            throw failure("control character \(Self.describe(scalar)) in a string; write it as an escape")
        }
        index += 1
    }

    /// `\b \t \n \f \r \" \\ \uXXXX \UXXXXXXXX`, and in multi-line strings a backslash ending a line.
    private mutating func escape(multiLine: Bool) throws(ConfigurationError) {
        index += 1
        guard let scalar = current else { throw failure("the string is not closed") }
        switch scalar {
        case "b", "t", "n", "f", "r", "\"", "\\":
            index += 1
        case "u", "U":
            let count = scalar == "u" ? 4 : 8
            let start = index
            index += 1
            var value: UInt32 = 0
            for _ in 0..<count {
                guard let digit = current, let nibble = Self.hexValue(digit) else {
                    index = start
                    throw failure("\\\(scalar) needs \(count) hexadecimal digits")
                }
                value = value &* 16 &+ nibble
                index += 1
            }
            guard Unicode.Scalar(value) != nil else {
                index = start
                throw failure("\\\(scalar) escape is not a Unicode scalar value")
            }
            guard value != 0 else {
                index = start
                throw failure("\\\(scalar) escape of NUL: a key or a value cannot hold one")
            }
        case " ", "\t", "\n", "\r":
            // A line-ending backslash: only spaces may follow it on its line; it swallows the
            // line break and all whitespace up to the next content.
            guard multiLine else { throw failure("'\\' followed by \(Self.describe(scalar)) is not a TOML escape") }
            skipWhitespace()
            guard try consumeNewline() else { throw failure("only a line break may follow a line-ending '\\'") }
            while true {
                skipWhitespace()
                guard try consumeNewline() else { break }
            }
        default:
            throw failure("'\\' followed by \(Self.describe(scalar)) is not a TOML escape")
        }
    }

    // MARK: - Whitespace, comments and line breaks

    private var current: Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }

    private mutating func skipWhitespace() {
        while current == " " || current == "\t" { index += 1 }
    }

    /// Consumes `\n` or `\r\n`; a `\r` alone is an error.
    private mutating func consumeNewline() throws(ConfigurationError) -> Bool {
        if current == "\r" {
            guard index + 1 < scalars.count, scalars[index + 1] == "\n" else {
                throw failure("a carriage return must be followed by a line feed")
            }
            index += 1
        }
        guard current == "\n" else { return false }
        index += 1
        line += 1
        lineStart = index
        return true
    }

    /// `# ...` up to (not including) the line break; control characters other than tab are refused.
    private mutating func comment() throws(ConfigurationError) {
        index += 1
        while let scalar = current, scalar != "\n", scalar != "\r" {
            guard !Self.isControl(scalar) else {
                throw failure("control character \(Self.describe(scalar)) in a comment")
            }
            index += 1
        }
    }

    private mutating func skipWhitespaceCommentsAndNewlines() throws(ConfigurationError) {
        while true {
            skipWhitespace()
            if current == "#" {
                try comment()
                continue
            }
            guard try consumeNewline() else { return }
        }
    }

    private mutating func expect(_ scalar: Unicode.Scalar, _ message: String) throws(ConfigurationError) {
        guard current == scalar else { throw failure(message + ", saw \(describeCurrent)") }
        index += 1
    }

    private func isTripleQuote(_ quote: Unicode.Scalar) -> Bool {
        index + 2 < scalars.count && scalars[index + 1] == quote && scalars[index + 2] == quote
    }

    // MARK: - Characters

    static func isBareKey(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "A"..."Z", "a"..."z", "0"..."9", "-", "_": true
        default: false
        }
    }

    static func startsKey(_ scalar: Unicode.Scalar) -> Bool {
        isBareKey(scalar) || scalar == "\"" || scalar == "'"
    }

    /// Characters of booleans and numbers (and of the dates that are refused).
    static func isAtom(_ scalar: Unicode.Scalar) -> Bool {
        isBareKey(scalar) || scalar == "+" || scalar == "." || scalar == ":"
    }

    /// Control characters TOML allows in no string or comment: all but tab.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        (scalar.value < 0x20 && scalar != "\t") || scalar.value == 0x7F
    }

    private static func hexValue(_ scalar: Unicode.Scalar) -> UInt32? {
        switch scalar {
        case "0"..."9": scalar.value - 0x30
        case "a"..."f": scalar.value - 0x61 + 10
        case "A"..."F": scalar.value - 0x41 + 10
        default: nil
        }
    }

    /// A character for a message: printable ASCII as itself, anything else as U+XXXX.
    static func describe(_ scalar: Unicode.Scalar) -> String {
        if scalar.value > 0x20 && scalar.value < 0x7F { return "'\(Character(scalar))'" }
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    private var describeCurrent: String {
        guard let scalar = current else { return "the end of the file" }
        switch scalar {
        case " ": return "a space"
        case "\n", "\r": return "a line break"
        default: return Self.describe(scalar)
        }
    }

    private func failure(_ message: String) -> ConfigurationError {
        ConfigurationError(
            key: nil, reason: "TOML syntax error at line \(line), column \(index - lineStart + 1): \(message)")
    }
}
