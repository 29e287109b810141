/// The spool results waiting to be written (a full disk, `done/` unusable): while any waits, the
/// spool claims no new task, so a backlog in `new/` is not run (its writes made, its results
/// held in memory) for results nobody could collect.
final class UnwrittenResults: Sendable {
    private let waiting = Condition(0) { $0 == 0 }

    /// Whether any result waits to be written now.
    var any: Bool { !waiting.isHolding }

    /// One more result waits.
    func add() {
        waiting.update { $0 += 1 }
    }

    /// A waiting result was written (or given up at a stop).
    func remove() {
        waiting.update { $0 = max($0 - 1, 0) }
    }

    /// Returns when no result waits, or when the caller is cancelled.
    func waitUntilNone() async {
        _ = await waiting.wait()
    }
}
