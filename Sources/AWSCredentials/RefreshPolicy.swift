import FoundationEssentials

/// When cached credentials count as expired and when to start refreshing them: one policy for
/// every source, as fixed numbers (nothing configures them).
public enum RefreshPolicy {
    /// Credentials this close to their expiry are treated as expired, so a request signed with
    /// them cannot outlive them in flight.
    public static let expirySafetyMargin: TimeInterval = 10
    /// Start refreshing this long before expiry (at most; see `refreshWindow(lifetime:)`).
    public static let refreshAhead: TimeInterval = 15 * 60
    /// After a failed background refresh, wait this long before trying again ahead of expiry.
    public static let retryAfterFailure: TimeInterval = 15
    /// With no valid credentials, callers this soon after a failed fetch get its error instead of
    /// starting another: a source that fails at once (STS refusing the role, IMDS down) is asked
    /// about once a second, not once per task.
    public static let failureHold: TimeInterval = 1

    /// 15 minutes before expiry, or half the lifetime for credentials that live less than 30 minutes.
    public static func refreshWindow(lifetime: TimeInterval) -> TimeInterval {
        min(refreshAhead, max(lifetime, 0) / 2)
    }
}
