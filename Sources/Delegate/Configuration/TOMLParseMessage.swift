import AWSCore
internal import TOMLKit

/// toml++'s parse error messages (under TOMLKit) as the configuration's errors show them: a name
/// it quotes written as the file writes it, and one that may be a secret pasted as a key named
/// by its length.
enum TOMLParseMessage {
    /// `error`'s message, for a parse of `text`.
    static func shown(_ error: TOMLParseError, in text: String) -> String {
        shorteningQuotes(in: redefinedName(in: error.description, line: Int(error.source.begin.line), of: text))
    }

    /// toml++'s message with what it quotes (a key or table given twice as it was written, its
    /// quotes and dots included: from the first `'` to the last) named by its length when over 32
    /// characters, as every other message here names a key: it may be a secret pasted as a key.
    static func shorteningQuotes(in message: String) -> String {
        guard let open = message.firstIndex(of: "'"), let close = message.lastIndex(of: "'"), open < close else {
            return message
        }
        let quoted = String(message[message.index(after: open)..<close])
        guard quoted.unicodeScalars.count > 32 else { return message }
        // Or an integer too large for 64 bits, which the syntax check took for one.
        let isNumber = quoted.unicodeScalars.allSatisfy {
            TOMLSyntaxCheck.isDecimal($0) || "+-_".unicodeScalars.contains($0)
        }
        return String(message[...open]) + TaskObject.shownUnknownKey(quoted, as: isNumber ? "number" : "key")
            + String(message[close...])
    }

    /// toml++'s message for a key or table given twice, naming it as `line` of `text` writes it:
    /// toml++ mangles a name written with quotes (`"name"` given twice is named `'"naname" '`, two
    /// of its characters twice, which no file holds). Only such a name, one the line's key or
    /// header is, but for those two characters, is replaced: toml++ reports some of these errors
    /// on another line than the key's (a key of an inline table, a header under a plain value),
    /// and their names stay as toml++ gives them.
    static func redefinedName(in message: String, line: Int, of text: String) -> String {
        guard message.contains("cannot redefine existing"), let open = message.firstIndex(of: "'"),
            let close = message.lastIndex(of: "'"), open < close
        else { return message }
        // Lines as toml++ counts them: "\r\n" is one Character, no "\n".
        let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        let named = String(message[message.index(after: open)..<close])
        guard (1...lines.count).contains(line),
            let written = writtenNames(in: lines[line - 1]).first(where: { isMangled(named, from: $0) })
        else { return message }
        return String(message[...open]) + written + String(message[close...])
    }

    /// Whether toml++'s `named` is `written` (quotes and spaces aside) or it with two of its
    /// characters given twice, as toml++ names a quoted key.
    static func isMangled(_ named: String, from written: String) -> Bool {
        func bare(_ text: String) -> [Character] { text.filter { $0 != "\"" && $0 != "'" && $0 != " " } }
        let (named, written) = (bare(named), bare(written))
        if named == written { return true }
        guard written.count >= 2, named.count == written.count + 2 else { return false }
        for cut in 0...(written.count - 2) {
            let doubled: [Character] = Array(written[..<(cut + 2)]) + Array(written[cut...])
            if doubled == named { return true }
        }
        return false
    }

    /// The names a line writes, quotes kept, spaces around them dropped: a `[table]` or `[[array]]`
    /// header's, or the key of a `key = value` line and those of the inline tables in its value.
    static func writtenNames(in line: Substring) -> [String] {
        let rest = line.drop { $0 == " " || $0 == "\t" }
        var quotes = QuoteScanner()
        if rest.first == "[" {
            // To the first `]` outside quotes: `["a]b"]` names `"a]b"`.
            var name = ""
            for character in rest.drop(while: { $0 == "[" }) {
                if !quotes.isQuoted(character), character == "]" { break }
                name.append(character)
            }
            let trimmed = name.trimmingSpaces()
            return trimmed.isEmpty ? [] : [trimmed]
        }
        var names: [String] = []
        var segment = ""
        var inValue = false
        for character in rest {
            if quotes.isQuoted(character) {
                if !inValue { segment.append(character) }
                continue
            }
            switch character {
            case "#":
                return names  // a comment: no name after it
            case "=" where !inValue:
                let name = segment.trimmingSpaces()
                if !name.isEmpty { names.append(name) }
                segment = ""
                inValue = true
            case "{", ",":
                segment = ""
                inValue = false
            default:
                if !inValue { segment.append(character) }
            }
        }
        return names
    }

    /// A line's quoted names and strings, read a character at a time.
    struct QuoteScanner {
        private var open: Character?
        private var escaped = false

        /// Whether `character` is part of a quoted name or string, its quotes included (a `\`
        /// escapes the next character in `"..."`, not in `'...'`).
        mutating func isQuoted(_ character: Character) -> Bool {
            if let quote = open {
                if escaped {
                    escaped = false
                } else if quote == "\"" && character == "\\" {
                    escaped = true
                } else if character == quote {
                    open = nil
                }
                return true
            }
            guard character == "\"" || character == "'" else { return false }
            open = character
            return true
        }
    }
}
