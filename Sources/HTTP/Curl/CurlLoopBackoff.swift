/// What the curl engine does after a turn of its loop in which `curl_multi_poll` failed: a
/// failing poll returns at once, so without a pause the thread would spin on a core and log a
/// warning per turn for as long as the failure lasts.
///
/// The pause doubles from 10 ms to 1 s with each failed turn in a row; the warning is logged at the
/// 1st, 2nd, 4th, 8th, ... failure in a row, with the count. A turn without failure starts over,
/// and says how many failed before it (to log the recovery).
struct CurlLoopBackoff: Equatable {
    /// Failed turns in a row.
    private(set) var failures = 0

    static let firstPause: Duration = .milliseconds(10)
    static let longestPause: Duration = .seconds(1)

    /// What to do after a turn.
    struct Step: Equatable {
        /// How long to wait before the next turn; nil: go on at once.
        var pause: Duration?
        /// Whether to log this failure (its number in a row is `failures`).
        var log: Bool
        /// A good turn after failed ones: how many failed in a row.
        var recoveredAfter: Int? = nil
    }

    /// Records a turn; `failed`: the turn's poll failed.
    mutating func record(failed: Bool) -> Step {
        guard failed else {
            defer { failures = 0 }
            return Step(pause: nil, log: false, recoveredAfter: failures > 0 ? failures : nil)
        }
        failures += 1
        let doublings = min(failures - 1, 7)  // 10 ms * 2^7 = 1.28 s, capped below
        let pause = min(Self.firstPause * (1 << doublings), Self.longestPause)
        return Step(pause: pause, log: failures & (failures - 1) == 0)
    }
}
