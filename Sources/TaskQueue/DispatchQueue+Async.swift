import Dispatch

extension DispatchQueue {
    /// Runs `body` on this queue and returns its value, suspending the caller instead of blocking
    /// its thread (as `sync` would, on the cooperative pool).
    func perform<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            self.async { continuation.resume(returning: body()) }
        }
    }
}
