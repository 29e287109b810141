import Foundation

/// Runs blocking work (`waitUntilExit`, pipe reads, `journalctl`) on a thread of its own, so it
/// never occupies one of the Swift cooperative pool's few threads (two on a 2-core machine):
/// blocking those starves every other test running in parallel.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
