/// The memory all connections of one ``SocketServer`` hold together: input read but not yet
/// handed over, lines being handled, and output not yet sent. (Input already handed over waits
/// in a connection's buffer until 64 KiB of it can be cut at once; that is not counted.)
///
/// Per-connection limits alone let many peers add up (a hundred peers that never read their
/// results once held almost 2 GB). When the total reaches ``limit`` the server is *under
/// pressure*: a connection holding more than ``fairShare`` stops reading and starting lines
/// until it holds less (a peer that reads its results soon does), so work already accepted is
/// never dropped, and polite peers holding little keep being served. Pressure ends when the total
/// falls to three quarters of the limit.
///
/// At twice the limit the budget is *full*: no connection reads or starts lines until the total
/// falls to one and a half times the limit. Holding back only those over their share does not
/// bound what peers that each start a share and close (their lines still run and count) can add.
///
/// Confined to the server's queue, like the connections that report to it.
final class SocketBufferBudget {
    /// Bytes at which pressure starts.
    private(set) var limit: Int
    /// What one connection may hold and still read under pressure.
    private(set) var fairShare: Int
    /// Bytes held by all connections now.
    private(set) var used = 0
    private(set) var underPressure = false
    /// Twice the limit reached (and not yet back to one and a half times it).
    private(set) var full = false
    /// Called when pressure starts (true) or ends (false).
    var onPressureChange: (Bool) -> Void = { _ in }
    /// Called when the budget becomes full (true) or is no longer (false).
    var onFullChange: (Bool) -> Void = { _ in }

    init(limits: SocketServer.Limits) {
        (limit, fairShare) = Self.sizes(limits)
    }

    /// A reload: new sizes, applied from the next change (or now, by the `add(0)` it does).
    func update(limits: SocketServer.Limits) {
        (limit, fairShare) = Self.sizes(limits)
        add(0)
    }

    func add(_ delta: Int) {
        used += delta
        if !underPressure, used >= limit {
            underPressure = true
            onPressureChange(true)
        } else if underPressure, used <= limit - limit / 4 {
            underPressure = false
            onPressureChange(false)
        }
        if !full, used >= 2 * limit {
            full = true
            onFullChange(true)
        } else if full, used <= limit + limit / 2 {
            full = false
            onFullChange(false)
        }
    }

    private static func sizes(_ limits: SocketServer.Limits) -> (limit: Int, fairShare: Int) {
        let limit = max(limits.maximumBufferedBytes, 1)
        return (limit, max(64 << 10, limit / max(limits.maximumConnections, 1)))
    }
}
