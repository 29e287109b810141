/// A stop's wait for a server to go quiet: the servers answer what they already read, and a
/// stop gives their connections a bounded time to take it before closing them.
enum IdleWait {
    /// Checks `isIdle` every 20 ms until it says so, `timeout` has passed or the caller is
    /// cancelled.
    static func until(timeout: Duration, _ isIdle: () async -> Bool) async {
        let deadline = ContinuousClock.now + timeout
        while await isIdle() == false, ContinuousClock.now < deadline {
            do {
                try await Task.sleep(for: .milliseconds(20))
            } catch {
                return
            }
        }
    }
}
