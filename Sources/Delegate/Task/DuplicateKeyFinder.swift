import Foundation
import JSON

/// Finds a key that occurs twice in one JSON object.
///
/// `JSONParser` keeps the first of the two values (as `JSONDecoder` did; most other parsers keep
/// the last), so a task `{"operation": "getSecretValue", ..., "operation": "deleteSecret"}` would
/// mean different things to the producer's tools and to the delegate. Tasks with duplicate keys
/// are refused instead; the parser says when a document has any, and this finds the first to
/// name it.
///
/// Keys are compared after unescaping (`"a"` and `"\u0061"` are one key) and as Swift strings, so
/// exactly the keys that would collide in the decoded dictionary are found. The scan is iterative
/// (no recursion, whatever the nesting) and reads each byte once.
struct DuplicateKeyFinder {
    /// Where a duplicate was found: the path of the object holding it (`""` for the task itself,
    /// `connector.credentials`, `params.tags[0]`) and the key.
    struct Duplicate: Equatable {
        let path: String
        let key: String

        /// Names the key (at most 64 characters of it) and where it is; never a value.
        var message: String {
            let place = path.isEmpty ? "the task" : path.count > 128 ? String(path.prefix(128)) + "..." : path
            return "\(DelegateConfiguration.quoted(key)) is given more than once in \(place); "
                + "a key may appear only once in an object"
        }
    }

    private struct Container {
        let path: String
        let isObject: Bool
        var keys: Set<String> = []
        var expectingKey = true
        var lastKey = ""
        var index = 0
    }

    /// The first duplicate key in `data`, or nil. `data` must already be known to be valid JSON:
    /// the scan checks no syntax and answers nil for anything it does not recognise.
    static func firstDuplicate(in data: Data) -> Duplicate? {
        data.withUnsafeBytes { raw in
            var finder = Scanner(bytes: raw.bindMemory(to: UInt8.self))
            return finder.scan()
        }
    }

    private struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var offset = 0
        var stack: [Container] = []

        init(bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
        }

        /// The path of a value about to start inside the innermost container.
        private var childPath: String {
            guard let container = stack.last else { return "" }
            // Bounded, so deep nesting cannot make every level carry a long path.
            if container.path.utf8.count > 160 {
                return container.path.hasSuffix("...") ? container.path : container.path + "..."
            }
            if !container.isObject { return container.path + "[\(container.index)]" }
            let key = TaskObject.quotedKey(container.lastKey)
            return container.path.isEmpty ? key : container.path + "." + key
        }

        mutating func scan() -> Duplicate? {
            while offset < bytes.count {
                switch bytes[offset] {
                case UInt8(ascii: "{"):
                    stack.append(Container(path: childPath, isObject: true))
                    offset += 1
                case UInt8(ascii: "["):
                    stack.append(Container(path: childPath, isObject: false))
                    offset += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    _ = stack.popLast()
                    offset += 1
                case UInt8(ascii: ","):
                    if !stack.isEmpty {
                        stack[stack.count - 1].expectingKey = true
                        stack[stack.count - 1].index += 1
                    }
                    offset += 1
                case UInt8(ascii: "\""):
                    guard let top = stack.indices.last, stack[top].isObject, stack[top].expectingKey else {
                        skipString()
                        continue
                    }
                    let key = readKey()
                    // In place: the set is not copied for each key.
                    guard stack[top].keys.insert(key).inserted else {
                        return Duplicate(path: stack[top].path, key: key)
                    }
                    stack[top].expectingKey = false
                    stack[top].lastKey = key
                default:
                    // Whitespace, `:`, numbers, `true`, `false`, `null`: nothing to track.
                    offset += 1
                }
            }
            return nil
        }

        /// Skips a string value, `offset` on its opening quote.
        private mutating func skipString() {
            offset += 1
            while offset < bytes.count {
                switch bytes[offset] {
                case UInt8(ascii: "\\"): offset += 2
                case UInt8(ascii: "\""):
                    offset += 1
                    return
                default: offset += 1
                }
            }
        }

        /// Reads and unescapes a key, `offset` on its opening quote.
        private mutating func readKey() -> String {
            offset += 1
            var utf8: [UInt8] = []
            var pendingHighSurrogate: UInt32?
            func append(_ scalar: UInt32) {
                let value = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                utf8.append(contentsOf: String(Character(value)).utf8)
            }
            func flushSurrogate() {
                if pendingHighSurrogate != nil {
                    append(0xFFFD)
                    pendingHighSurrogate = nil
                }
            }
            while offset < bytes.count {
                let byte = bytes[offset]
                if byte == UInt8(ascii: "\"") {
                    offset += 1
                    break
                }
                guard byte == UInt8(ascii: "\\"), offset + 1 < bytes.count else {
                    flushSurrogate()
                    utf8.append(byte)
                    offset += 1
                    continue
                }
                let escaped = bytes[offset + 1]
                offset += 2
                if escaped == UInt8(ascii: "u"), let unit = hex4() {
                    if (0xD800...0xDBFF).contains(unit) {
                        flushSurrogate()
                        pendingHighSurrogate = unit
                    } else if (0xDC00...0xDFFF).contains(unit), let high = pendingHighSurrogate {
                        pendingHighSurrogate = nil
                        append(0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00))
                    } else {
                        flushSurrogate()
                        append(unit)
                    }
                    continue
                }
                flushSurrogate()
                switch escaped {
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                default: utf8.append(escaped)  // `"`, `\`, `/`
                }
            }
            flushSurrogate()
            return String(decoding: utf8, as: UTF8.self)
        }

        /// Four hex digits at `offset`, consumed; nil (nothing consumed) if they are not.
        private mutating func hex4() -> UInt32? {
            guard offset + 4 <= bytes.count else { return nil }
            var value: UInt32 = 0
            for byte in bytes[offset..<offset + 4] {
                let digit: UInt32
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
                default: return nil
                }
                value = value << 4 | digit
            }
            offset += 4
            return value
        }
    }
}
