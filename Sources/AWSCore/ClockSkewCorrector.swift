import FoundationEssentials
import Synchronization

/// Keeps the offset between this host's clock and AWS's, learned from a response's `Date` header
/// when AWS refuses a request as signed at the wrong time.
public final class ClockSkewCorrector: Sendable {
    /// Error codes AWS returns when the signing time is off.
    public static let skewCodes = AWSError.Code.set(
        "RequestTimeTooSkewed", "RequestExpired", "RequestInTheFuture", "InvalidSignatureException",
        "SignatureDoesNotMatch", "AuthFailure"
    )

    /// Skews smaller than this cannot explain a refusal (AWS accepts 5 minutes), so they are ignored
    /// and a signature error is reported as it is.
    public static let threshold: TimeInterval = 4 * 60

    private let offset = Mutex<TimeInterval>(0)

    public init() {}

    /// Seconds to add to the local clock to get AWS's time.
    public var currentOffset: TimeInterval {
        offset.withLock { $0 }
    }

    /// Learns the skew from a refused response to a request signed with `signedWithOffset`.
    /// Returns true when that offset was off by more than ``threshold``, so that signing again
    /// (with the offset now kept) is worth one more attempt: also when another request refused at
    /// the same time already corrected the offset, which then stays as it is.
    public func adjust(code: AWSError.Code, serverDate: String?, localNow: Date, signedWithOffset: TimeInterval) -> Bool {
        guard Self.skewCodes.contains(code), let serverDate, let server = HTTPDate.parse(serverDate) else {
            return false
        }
        let skew = server.timeIntervalSince(localNow)
        guard abs(skew - signedWithOffset) > Self.threshold else { return false }
        offset.withLock { current in
            if abs(skew - current) > Self.threshold { current = skew }
        }
        return true
    }
}
