import AWSCore

extension SQSIntake {
    /// What a received task message is to this delegate.
    enum Admission: Equatable, Sendable {
        /// Its result was sent already (its delete had not taken effect): delete it again, with
        /// this receipt's handle, and do not run it.
        case answered
        /// It is being handled here now (its lease lapsed): the handling under way goes on with
        /// this receipt's handle, now its newest.
        case runningHere
        /// Neither: it is this caller's to handle, and ``RunningMessages/end(_:)`` it after.
        case fresh
    }

    /// Admits a received message: first as running here (``RunningMessages/begin(_:receiptHandle:)``),
    /// then, if nobody handles it, asks whether it was answered. In this order, a handling that
    /// ends (it remembers its answer before it ends) between the two looks is still seen: asked
    /// the other way round, a message coming back just as its first run finished would be found
    /// neither answered nor running, and run a second time.
    ///
    /// - Parameter betweenLooks: runs between the two looks (tests: what another handling of
    ///   the message may do there).
    func admit(
        _ key: AnsweredMessages.Key, receiptHandle: String, now: ContinuousClock.Instant, answeredKeptFor: Duration,
        betweenLooks: () -> Void = {}
    ) -> Admission {
        guard running.begin(key, receiptHandle: receiptHandle) else { return .runningHere }
        betweenLooks()
        // Remembered again from now: a message whose deletes keep failing comes back every lease.
        guard answered.renewIfRemembered(key, now: now, keptFor: answeredKeptFor) else { return .fresh }
        running.end(key)
        return .answered
    }
}
