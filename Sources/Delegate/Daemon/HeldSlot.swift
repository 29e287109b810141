import Synchronization

/// A concurrency slot a piece of work holds, given back once: by the work itself as soon as it
/// no longer needs it, or by its owner when the work ends, whichever comes first.
final class HeldSlot: Sendable {
    private let giveBack: @Sendable () -> Void
    private let released = Atomic<Bool>(false)

    /// - Parameter giveBack: called once, at the first ``release()``.
    init(giveBack: @escaping @Sendable () -> Void) {
        self.giveBack = giveBack
    }

    /// Gives the slot back; later calls do nothing.
    func release() {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        giveBack()
    }

    /// Whether it was given back (for tests).
    var isReleased: Bool { released.load(ordering: .acquiring) }
}
