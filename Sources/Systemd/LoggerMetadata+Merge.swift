internal import Logging

extension Logger.Metadata {
    /// The metadata of one record as text, each key once: the handler's own, then the provider's,
    /// then the call's, later ones winning, as swift-log's `StreamLogHandler` merges them. In no
    /// particular order, and without building a merged dictionary: every task logs, and most
    /// records have no key twice. An `error` given (the record's thrown error) replaces any
    /// metadata of that key.
    static func entries(
        handler: Logger.Metadata, provider: Logger.MetadataProvider?, call: Logger.Metadata?, error: (any Error)? = nil
    ) -> [(key: String, value: String)] {
        let provided = provider?.get() ?? [:]
        let call = call ?? [:]
        var entries: [(key: String, value: String)] = []
        entries.reserveCapacity(handler.count + provided.count + call.count + 1)
        for (key, value) in handler where (provided.isEmpty || provided[key] == nil) && (call.isEmpty || call[key] == nil) {
            entries.append((key: key, value: value.description))
        }
        for (key, value) in provided where call.isEmpty || call[key] == nil {
            entries.append((key: key, value: value.description))
        }
        for (key, value) in call {
            entries.append((key: key, value: value.description))
        }
        if let error {
            entries.removeAll { $0.key == "error" }
            entries.append((key: "error", value: String(describing: error)))
        }
        return entries
    }
}
