internal import Logging

extension Logger.Metadata {
    /// The metadata of one record: the handler's own, then the provider's, then the call's,
    /// later ones winning, as swift-log's `StreamLogHandler` merges them.
    static func merged(
        handler: Logger.Metadata,
        provider: Logger.MetadataProvider?,
        call: Logger.Metadata?
    ) -> Logger.Metadata {
        var result = handler
        if let provided = provider?.get(), !provided.isEmpty {
            result.merge(provided, uniquingKeysWith: { _, new in new })
        }
        if let call, !call.isEmpty {
            result.merge(call, uniquingKeysWith: { _, new in new })
        }
        return result
    }
}
