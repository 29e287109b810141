import Synchronization

/// The socket's peer policy in force, resolved, for any thread to check a peer against: the
/// server when it accepts, and a connection's handler when a task it took waits for a slot past a
/// reload (also a connection that closed meanwhile: its tasks still run).
///
/// Each installed policy has a generation: a peer admitted under the one still in force is
/// allowed without a look at the policy (the check on every task costs one atomic load).
final class PeerAdmission: Sendable {
    private let state = Mutex<(generation: UInt64, policy: PeerPolicy.Resolved?)>((0, nil))
    private let generation = Atomic<UInt64>(0)

    /// Puts `policy` in force, unless `keepingNewer` and one is in force already (the start's
    /// first resolution, when an update came first). The same policy again (a reload that left
    /// the socket's lists alone) is no new generation: peers admitted under it keep the fast path.
    func install(_ policy: PeerPolicy.Resolved, keepingNewer: Bool = false) {
        state.withLock { state in
            if keepingNewer, state.policy != nil { return }
            if state.policy == policy { return }
            state.generation += 1
            state.policy = policy
            generation.store(state.generation, ordering: .releasing)
        }
    }

    /// The policy in force and its generation (nil before the first is installed).
    var current: (generation: UInt64, policy: PeerPolicy.Resolved?) {
        state.withLock { $0 }
    }

    /// Whether `peer`, admitted under generation `admitted`, is allowed under the policy in force.
    func stillAllows(_ peer: PeerCredentials, admittedUnder admitted: UInt64) -> Bool {
        if generation.load(ordering: .acquiring) == admitted { return true }
        // Checked outside the lock: the user database may answer for the peer's groups.
        return current.policy?.allows(peer) ?? false
    }
}
