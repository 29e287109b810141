import AWSCore

extension SQSIntake {
    /// What a received task message is to this delegate.
    enum Admission: Equatable, Sendable {
        /// Its result was sent already (its delete had not taken effect, or is on its way with a
        /// handle this receive made out of date): delete it again, with this receipt's handle,
        /// and do not run it.
        case answered
        /// It is being handled here now (its lease lapsed), not yet answered: the handling under
        /// way goes on with this receipt's handle, now its newest.
        case runningHere
        /// Neither: it is this caller's to handle, and ``RunningMessages/end(_:)`` it after.
        case fresh
    }

    /// Admits a received message: first as running here (``RunningMessages/begin(_:receiptHandle:)``,
    /// which makes this receipt's handle its newest), then asks whether it was answered. In this
    /// order, a handling that ends (it remembers its answer before it ends) between the two looks
    /// is still seen: asked the other way round, a message coming back just as its first run
    /// finished would be found neither answered nor running, and run a second time. One answered
    /// while still handled here (its delete on its way, maybe with a handle from before this
    /// receive) is deleted again with this receipt's handle.
    ///
    /// - Parameter betweenLooks: runs between the two looks (tests: what another handling of
    ///   the message may do there).
    func admit(
        _ key: AnsweredMessages.Key, receiptHandle: String, now: ContinuousClock.Instant, answeredKeptFor: Duration,
        betweenLooks: () -> Void = {}
    ) -> Admission {
        let fresh = running.begin(key, receiptHandle: receiptHandle)
        betweenLooks()
        // Remembered again from now: a message whose deletes keep failing comes back every lease.
        if answered.renewIfRemembered(key, now: now, keptFor: answeredKeptFor) {
            // The handling under way, if any, ends itself.
            if fresh { running.end(key) }
            return .answered
        }
        return fresh ? .fresh : .runningHere
    }
}
