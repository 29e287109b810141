import Synchronization

/// The spool's calls on a task's files made while the task holds a concurrency slot (its read,
/// claim, looks at `done/`, a deletion's claim sync), in progress: one that has not returned after a while gives the slot back, so that
/// a file system that hangs (frozen for a snapshot, a hard mount whose server is gone) does not
/// hold, with a backlog in `new/`, every slot the socket's and SQS's tasks need. Its caller takes
/// a slot again once it returns (``SpoolIntake/holdingTheSlotUnlessItHangs(_:_:)``).
final class SpoolFileCallWatch: Sendable {
    struct Call: Sendable {
        /// The task file's name, for the lines.
        let name: String
        let began: ContinuousClock.Instant
        var slotGivenBack = false
    }

    private let calls = Mutex<(next: UInt64, open: [UInt64: Call])>((0, [:]))

    /// Notes a call beginning `now`; its ticket for ``end(_:)``.
    func begin(_ name: String, now: ContinuousClock.Instant) -> UInt64 {
        calls.withLock { calls in
            calls.next &+= 1
            calls.open[calls.next] = Call(name: name, began: now)
            return calls.next
        }
    }

    /// The call returned: the call, if its slot was given back meanwhile (its caller takes one
    /// again).
    func end(_ ticket: UInt64) -> Call? {
        calls.withLock { calls in
            guard let call = calls.open.removeValue(forKey: ticket), call.slotGivenBack else { return nil }
            return call
        }
    }

    /// The calls begun `after` or longer before `now` that still hold their slots: each slot is
    /// given back (`giveBack`, under the lock, so that ``end(_:)`` never finds a call marked whose
    /// slot is not given back yet).
    func giveBackSlots(after: Duration, now: ContinuousClock.Instant, _ giveBack: () -> Void) -> [Call] {
        calls.withLock { calls in
            var hung: [Call] = []
            for (ticket, call) in calls.open where !call.slotGivenBack && now - call.began >= after {
                calls.open[ticket]?.slotGivenBack = true
                giveBack()
                hung.append(call)
            }
            return hung
        }
    }
}
