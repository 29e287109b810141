import Synchronization

/// Whether a credentials-socket request's time ran out (``CredentialSocketServer/Limits/requestTimeout``):
/// the server marks it before it cancels the handler, so that the handler tells a request given
/// up on from a stop (both reach it as cancellation).
public final class CredentialRequestTimeout: Sendable {
    private let passed = Atomic<Bool>(false)

    public init() {}

    /// The server gave up on the request: it has refused it already.
    public var hasPassed: Bool { passed.load(ordering: .acquiring) }

    func mark() { passed.store(true, ordering: .releasing) }
}
