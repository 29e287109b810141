import JSON

/// A task that gives a key twice in one object is refused: `JSONParser` keeps the first of the
/// two values (as `JSONDecoder` did; most other parsers keep the last), so a task
/// `{"operation": "getSecretValue", ..., "operation": "deleteSecret"}` would mean different things
/// to the producer's tools and to the delegate.
extension JSONParser.DuplicateKey {
    /// Where the key is, as messages write it: `""` for the task itself, `connector.credentials`,
    /// `params.tags[0]`. Bounded: a path past 160 bytes ends in `...`.
    var pathText: String {
        var text = ""
        for component in path {
            if text.utf8.count > 160 {
                if !text.hasSuffix("...") { text += "..." }
                break
            }
            switch component {
            case .index(let index): text += "[\(index)]"
            case .key(let key):
                let quoted = TaskObject.shownUnknownKey(key)
                text = text.isEmpty ? quoted : text + "." + quoted
            }
        }
        return text
    }

    /// Names the key and where it is (a key over 32 characters by its length only: it may hold a
    /// secret); never a value.
    var message: String {
        let path = pathText
        let place = path.isEmpty ? "the task" : path.count > 128 ? String(path.prefix(128)) + "..." : path
        let named = TaskObject.shownUnknownKey(key, as: "key") { DelegateConfiguration.quoted($0) }
        return "\(named) is given more than once in \(place); "
            + "a key may appear only once in an object"
    }
}
