import FoundationEssentials
import Synchronization

/// Counters the daemon keeps for `STATUS=`, the socket's status object and `secrets-delegate status`.
public final class DelegateStatus: Sendable {
    public struct Counts: Sendable, Equatable {
        public var inFlight = 0
        public var succeeded = 0
        public var failed = 0
        public var rejected = 0

        public var done: Int { succeeded + failed + rejected }
    }

    private let counts = Mutex(Counts())
    public let startedAt: Date

    public init(startedAt: Date) {
        self.startedAt = startedAt
    }

    public var snapshot: Counts { counts.withLock { $0 } }

    public func started() {
        counts.withLock { $0.inFlight += 1 }
    }

    public func finished(_ status: TaskResult.Status) {
        counts.withLock { counts in
            counts.inFlight -= 1
            record(status, in: &counts)
        }
    }

    /// A result produced without running anything (rejected before starting).
    public func recorded(_ status: TaskResult.Status) {
        counts.withLock { record(status, in: &$0) }
    }

    private func record(_ status: TaskResult.Status, in counts: inout Counts) {
        switch status {
        case .succeeded: counts.succeeded += 1
        case .failed: counts.failed += 1
        case .rejected: counts.rejected += 1
        }
    }

    // MARK: Credentials socket

    /// Credential requests (section 11) answered with a value, and closed without one.
    public struct CredentialCounts: Sendable, Equatable {
        public var served = 0
        public var refused = 0
    }

    private let credentialCounts = Mutex(CredentialCounts())

    public var credentials: CredentialCounts { credentialCounts.withLock { $0 } }

    public func credentialRequest(served: Bool) {
        credentialCounts.withLock { counts in
            if served { counts.served += 1 } else { counts.refused += 1 }
        }
    }
}
