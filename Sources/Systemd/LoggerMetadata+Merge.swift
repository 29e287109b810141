internal import Logging

extension Logger.Metadata {
    /// The metadata of one record as text, each key once and sorted by key: the handler's own,
    /// then the provider's, then the call's, later ones winning, as swift-log's
    /// `StreamLogHandler` merges them. An `error` given (the record's thrown error) replaces any
    /// metadata of that key.
    ///
    /// Every task logs, so this builds no merged dictionary and looks nothing up by hash: the
    /// pieces are appended weakest first, one stable sort (SE-0372) orders them by key with the
    /// strongest of equal keys last, and the weaker ones are then dropped.
    static func entries(
        handler: Logger.Metadata, provider: Logger.MetadataProvider?, call: Logger.Metadata?, error: (any Error)? = nil
    ) -> [(key: String, value: String)] {
        let provided = provider?.get()
        var entries: [(key: String, value: String)] = []
        entries.reserveCapacity(handler.count + (provided?.count ?? 0) + (call?.count ?? 0) + 1)
        for (key, value) in handler { entries.append((key: key, value: value.description)) }
        if let provided { for (key, value) in provided { entries.append((key: key, value: value.description)) } }
        if let call { for (key, value) in call { entries.append((key: key, value: value.description)) } }
        if let error { entries.append((key: "error", value: String(describing: error))) }
        entries.sort { $0.key < $1.key }

        // Keep the last of each run of equal keys; with no key twice (most records) nothing moves.
        var kept = 0
        for index in entries.indices {
            if index + 1 < entries.count, entries[index + 1].key == entries[index].key { continue }
            if kept != index { entries.swapAt(kept, index) }
            kept += 1
        }
        entries.removeLast(entries.count - kept)
        return entries
    }
}
