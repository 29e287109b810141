import FoundationEssentials

/// A time read on one of two clocks: this host's, or AWS's (a timestamp a service gave, such as
/// SQS's `ApproximateFirstReceiveTimestamp`). The two differ by the skew a client learns.
public enum ClockTime: Sendable, Equatable {
    case host(Date)
    case aws(Date)
}

extension AWSClient {
    /// `time` by AWS's clock as far as this client knows it.
    public func serverTime(of time: ClockTime) -> Date {
        switch time {
        case .host(let local): serverTime(of: local)
        case .aws(let date): date
        }
    }
}
