import Glibc
import SafeText
import Synchronization

/// The last spool task that could not be claimed (a file system remounted read-only, a failing
/// disk, a producer's entry the delegate cannot move), for the status: no task is taken while
/// every claim fails, and the journal's error line for it is rate-limited. Shown until a claim
/// succeeds or the entry is gone from `new/` (``forgetIfGone()``, the intake's periodic look: the
/// status itself reads memory only, so a spool on a file system that hangs never holds it up).
final class SpoolClaimFailure: Sendable {
    private struct Failure {
        var name: String
        var message: String
    }

    private let failure = Mutex<Failure?>(nil)

    /// Task file `name` in `new/` could not be claimed, for `message`.
    func failed(_ name: String, _ message: String) {
        failure.withLock { $0 = Failure(name: name, message: message) }
    }

    /// A claim succeeded: the spool takes tasks.
    func claimed() {
        failure.withLock { $0 = nil }
    }

    /// `new/<name>: <why>` for the last claim that failed, or nil when a claim succeeded since
    /// (or its entry was found gone from `new/`: a producer removed it, another delegate took it).
    var current: String? {
        failure.withLock { $0 }.map { "new/\(ShownText.escaped($0.name)): \($0.message)" }
    }

    /// Forgets the failure if its entry left the `new/` of the spool in `spoolDirectory`.
    func forgetIfGone(spoolDirectory: String) {
        guard let name = failure.withLock({ $0?.name }) else { return }
        var info = stat()
        guard lstat(spoolDirectory + "/new/" + name, &info) != 0, errno == ENOENT else { return }
        failure.withLock { if $0?.name == name { $0 = nil } }
    }
}
