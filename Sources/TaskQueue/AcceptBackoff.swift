/// What the socket server does when `accept(2)` fails for a reason other than "nothing pending"
/// (most often EMFILE/ENFILE: no descriptor left).
///
/// Retrying at once is a hot loop: the pending connection keeps the listening socket readable, so
/// every retry fails the same way. Instead the server stops accepting for ``delay``, which grows
/// with each failure of one episode (50 ms doubling to 2 s) and starts over once an accept works
/// again. An episode is logged twice at most: when it starts, and when it ends with how many
/// connections were refused and how many accepts failed meanwhile.
struct AcceptBackoff: Sendable, Equatable {
    static let firstDelay: Duration = .milliseconds(50)
    static let longestDelay: Duration = .seconds(2)

    let started: ContinuousClock.Instant
    /// The pause before the next accept.
    private(set) var delay: Duration = AcceptBackoff.firstDelay
    /// Accepts that failed in this episode.
    private(set) var failures = 1
    /// Peers accepted only to be told `TooManyConnections` and closed (with the spare descriptor).
    var refused = 0

    init(started: ContinuousClock.Instant) {
        self.started = started
    }

    /// Another failure in the same episode: the pause doubles, up to ``longestDelay``.
    mutating func failedAgain() {
        failures += 1
        delay = min(delay * 2, Self.longestDelay)
    }
}

extension AcceptBackoff {
    /// Records an accept failure in `episode`: a new episode, or another failure of the one in
    /// progress. Returns whether the episode just began (the moment to log it).
    static func recordFailure(in episode: inout AcceptBackoff?) -> Bool {
        guard var current = episode else {
            episode = AcceptBackoff(started: .now)
            return true
        }
        current.failedAgain()
        episode = current
        return false
    }
}
