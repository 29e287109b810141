internal import COpenSSL
import Synchronization

/// A few finished OpenSSL contexts kept for reuse, so that a hash or an HMAC on the signing path
/// does not allocate, set up and wipe a context each time.
///
/// Each context is used by one thread at a time: `withContext` takes one out under the lock (or
/// makes one), hands it to the body, and puts it back only if the body reports success and the
/// pool is not full; a context whose use failed is freed, never reused.
///
/// `@unchecked Sendable`: the pooled pointers are only touched by the thread that took them out
/// of the mutex.
final class OpenSSLContextPool: @unchecked Sendable {
    private let limit: Int
    private let make: () -> OpaquePointer?
    private let free: (OpaquePointer) -> Void
    private let idle = Mutex<[IdleContext]>([])

    /// A pooled context; whoever takes it out of the pool owns it until putting it back.
    private struct IdleContext: @unchecked Sendable {
        var pointer: OpaquePointer
    }

    /// - Parameters:
    ///   - limit: the most idle contexts kept (about the number of threads that sign at once).
    ///   - make: a new context; nil if OpenSSL cannot make one.
    ///   - free: releases a context.
    init(limit: Int, make: @escaping () -> OpaquePointer?, free: @escaping (OpaquePointer) -> Void) {
        self.limit = limit
        self.make = make
        self.free = free
    }

    deinit {
        idle.withLock { contexts in
            for context in contexts { free(context.pointer) }
        }
    }

    /// Runs `body` with a context of this pool; false if none could be made or `body` failed.
    func withContext(_ body: (OpaquePointer) -> Bool) -> Bool {
        guard let context = idle.withLock({ $0.popLast()?.pointer }) ?? make() else { return false }
        let succeeded = body(context)
        let kept =
            succeeded
            && idle.withLock { contexts in
                guard contexts.count < limit else { return false }
                contexts.append(IdleContext(pointer: context))
                return true
            }
        if !kept { free(context) }
        return succeeded
    }
}
