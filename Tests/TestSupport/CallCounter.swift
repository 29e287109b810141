import Synchronization

/// How many times something ran (a handler, a hook, a callback), from any thread.
public final class CallCounter: Sendable {
    private let value = Mutex(0)

    public init() {}

    /// - Returns: the count after this call.
    @discardableResult public func increment() -> Int {
        value.withLock { value in
            value += 1
            return value
        }
    }

    public var count: Int { value.withLock { $0 } }
}
