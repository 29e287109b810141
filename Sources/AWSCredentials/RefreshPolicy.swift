import FoundationEssentials

/// When cached credentials count as expired and when to start refreshing them.
public struct RefreshPolicy: Sendable, Equatable {
    /// Credentials this close to their expiry are treated as expired, so a request signed with
    /// them cannot outlive them in flight.
    public var expirySafetyMargin: TimeInterval
    /// Start refreshing this long before expiry (at most; see `refreshWindow(lifetime:)`).
    public var refreshAhead: TimeInterval
    /// After a failed background refresh, wait this long before trying again ahead of expiry.
    public var retryAfterFailure: TimeInterval
    /// With no valid credentials, callers this soon after a failed fetch get its error instead of
    /// starting another: a source that fails at once (STS refusing the role, IMDS down) is asked
    /// about once a second, not once per task.
    public var failureHold: TimeInterval

    public init(
        expirySafetyMargin: TimeInterval = 10, refreshAhead: TimeInterval = 15 * 60,
        retryAfterFailure: TimeInterval = 15, failureHold: TimeInterval = 1
    ) {
        self.expirySafetyMargin = expirySafetyMargin
        self.refreshAhead = refreshAhead
        self.retryAfterFailure = retryAfterFailure
        self.failureHold = failureHold
    }

    /// 15 minutes before expiry, or half the lifetime for credentials that live less than 30 minutes.
    public func refreshWindow(lifetime: TimeInterval) -> TimeInterval {
        min(refreshAhead, max(lifetime, 0) / 2)
    }
}
