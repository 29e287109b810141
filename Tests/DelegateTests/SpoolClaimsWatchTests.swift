import Foundation
import Glibc
import Logging
import Synchronization
import TaskQueue
import TestSupport
import Testing

@testable import Delegate

/// The spool intake's periodic look at `cur/<delegate>/` (``SpoolIntake/watchClaimsDirectory(every:pause:look:)``):
/// a look that cannot be made is a rate-limited warning and the looks go on; one that finds the
/// directory gone or replaced sets ``SpoolIntake/claimsRemoved`` (the service then stops the
/// delegate) and the looks end.
@Suite struct SpoolClaimsWatchTests {
    @Test(.timeLimit(.minutes(1))) func aFailedLookIsWarnedOfAndAReplacedDirectoryEndsTheLooks() async throws {
        let directory = try TemporaryDirectory(prefix: "claims-watch")
        let recorder = LogRecorder()
        let (_, _, intake, _) = try SpoolUserDatabaseTests().intake(at: directory.url.path, logger: recorder.logger()) { _ in [] }
        let looks = Mutex(0)
        await intake.watchClaimsDirectory(
            every: { .seconds(3600) }, pause: { _ in },
            look: { () throws(TaskQueueError) in
                let number = looks.withLock { count -> Int in
                    count += 1
                    return count
                }
                if number < 3 { throw TaskQueueError(code: .io, message: "fstat failed", path: "cur/d", errno: EIO) }
                throw TaskQueueError(code: .claimsRemoved, message: "no longer the one it locked", path: "cur/d")
            })
        #expect(looks.withLock { $0 } == 3, "the looks end at the first that finds it replaced")
        #expect(intake.claimsRemoved.read { $0 }?.message == "no longer the one it locked")
        let warnings = recorder.records.filter { $0.contains("claims directory cannot be looked at") }
        #expect(warnings.count == 2, "\(recorder.records)")
    }
}
