import FoundationEssentials

/// Reads element texts out of the small, flat XML documents AWS's query protocol returns
/// (STS and IAM responses, XML error bodies). Not a general XML parser: no namespaces, no
/// attributes, no CDATA; enough for `<Tag>text</Tag>` lookups, with a size bound.
public struct XMLScanner: Sendable {
    public static let maxDocumentBytes = 1024 * 1024

    private let text: String

    /// Nil when the document is larger than `maxDocumentBytes` or not UTF-8.
    public init?(_ data: Data) {
        guard data.count <= Self.maxDocumentBytes, let text = String(data: data, encoding: .utf8) else { return nil }
        self.text = text
    }

    /// The decoded text of the first element named `tag`, searching the whole document.
    public func value(of tag: String) -> String? {
        values(of: tag, limit: 1).first
    }

    /// The decoded texts of elements named `tag`, in document order.
    public func values(of tag: String, limit: Int = .max) -> [String] {
        rawValues(of: tag, limit: limit).map(Self.decodeEntities)
    }

    /// The texts of elements named `tag` as they stand in the document, entities undecoded.
    private func rawValues(of tag: String, limit: Int) -> [Substring] {
        var results: [Substring] = []
        let open = "<\(tag)>"
        let close = "</\(tag)>"
        var searchStart = text.startIndex
        // Tags are matched by their UTF-8 bytes, not as `Character`s: a tag followed by a combining
        // mark (one `Character` with its `>`) is still found.
        while results.count < limit, let start = text.utf8[searchStart...].firstRange(of: open.utf8) {
            guard let end = text.utf8[start.upperBound...].firstRange(of: close.utf8) else { break }
            results.append(text[start.upperBound..<end.lowerBound])
            searchStart = end.upperBound
        }
        return results
    }

    /// A scanner over the first element named `tag` (for nested lookups such as `<Credentials>`):
    /// over its text as it stands, so that its entities are decoded once, by the lookup inside
    /// (decoded first, `&lt;Code&gt;` in a message would be taken for an element).
    public func element(_ tag: String) -> XMLScanner? {
        guard let inner = rawValues(of: tag, limit: 1).first else { return nil }
        return XMLScanner(rawText: String(inner))
    }

    private init(rawText: String) {
        self.text = rawText
    }

    static func decodeEntities(_ raw: Substring) -> String {
        guard raw.contains("&") else { return String(raw) }
        var result = ""
        var index = raw.startIndex
        while index < raw.endIndex {
            let character = raw[index]
            // An entity is at most ten characters to its `;`: looked for that far only (a text
            // of many `&` and no `;` would otherwise be searched to its end at each).
            if character == "&", let semicolon = raw[index...].prefix(11).firstIndex(of: ";") {
                let entity = raw[raw.index(after: index)..<semicolon]
                if let decoded = decode(entity: entity) {
                    result.append(decoded)
                    index = raw.index(after: semicolon)
                    continue
                }
            }
            result.append(character)
            index = raw.index(after: index)
        }
        return result
    }

    private static func decode(entity: Substring) -> Character? {
        switch entity {
        case "amp": return "&"
        case "lt": return "<"
        case "gt": return ">"
        case "quot": return "\""
        case "apos": return "'"
        default:
            let number: UInt32?
            if entity.hasPrefix("#x") {
                number = UInt32(entity.dropFirst(2), radix: 16)
            } else if entity.hasPrefix("#") {
                number = UInt32(entity.dropFirst())
            } else {
                number = nil
            }
            return number.flatMap(Unicode.Scalar.init).map(Character.init)
        }
    }
}
