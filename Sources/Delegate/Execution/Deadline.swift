import AWSCore

/// Runs `operation` within what is left of a task's deadline; past it, the operation is
/// cancelled and the result is `DeadlineExceeded`. Cancelling the operation cancels its HTTP
/// transfer, so nothing keeps running in the background.
///
/// A task's deadline counts from when it was received, so time spent waiting for a free slot
/// counts too: the caller passes what is left (`remaining`) and how long the task waited.
enum Deadline {
    /// The longest single sleep of the deadline timer (see `run`).
    static let slice: Duration = .seconds(1)

    private enum Outcome<Value: Sendable>: Sendable {
        case finished(Result<Value, AWSError>)
        case expired
    }

    /// - Parameters:
    ///   - seconds: the task's whole deadline, for the message.
    ///   - waited: how long the task waited between being received and starting.
    ///   - remaining: what is left of the deadline; at or below zero, `operation` never starts.
    static func run<Value: Sendable>(
        seconds: Int,
        waited: Duration = .zero,
        remaining: Duration,
        _ operation: @escaping @Sendable () async throws(AWSError) -> Value
    ) async throws(AWSError) -> Value {
        guard remaining > .zero else { throw passedWhileWaiting(seconds: seconds, waited: waited) }
        let (first, late) = await withTaskGroup(of: Outcome<Value>.self) { group in
            group.addTask { .finished(await capture(operation)) }
            group.addTask {
                // Slices, not one long sleep: on Linux a cancelled `Task.sleep` keeps its timer,
                // and this child's memory, until it would have fired, so one sleep of the whole
                // deadline per task held ~750 bytes per finished task for the deadline (60 s by
                // default): 180 MB at 4,000 tasks/s. A slice bounds that to one second.
                let clock = ContinuousClock()
                let end = clock.now.advanced(by: remaining)
                while !Task.isCancelled, clock.now < end {
                    try? await Task.sleep(for: min(Self.slice, clock.now.duration(to: end)))
                }
                return .expired
            }
            let first = await group.next() ?? .expired
            group.cancelAll()
            // The cancelled operation ends promptly (its transfer is aborted); what it ended with
            // says how many attempts it made.
            var late: Result<Value, AWSError>?
            while let next = await group.next() {
                if case .finished(let result) = next { late = result }
            }
            return (first, late)
        }
        switch (first, late) {
        case (.finished(let result), _):
            return try result.get()
        case (.expired, .success(let value)?):
            // It finished as the deadline passed: its work is done, so its result is reported.
            return value
        case (.expired, let late) where Task.isCancelled:
            throw AWSError(
                kind: .transport, code: .cancelled, message: "the task was cancelled (the delegate is stopping)",
                retryable: true, attempts: late?.attemptsMade ?? 0)
        case (.expired, let late):
            var message = "the task did not finish within its deadline of \(seconds) s"
            if waited >= .milliseconds(100) {
                message += " (counted from when it was received; it waited \(describe(waited)) for a free slot)"
            }
            throw exceeded(message, attempts: late?.attemptsMade ?? 0)
        }
    }

    /// The error for a task whose deadline passed before it could start.
    static func passedWhileWaiting(seconds: Int, waited: Duration) -> AWSError {
        exceeded(
            "the task waited \(describe(waited)) for a free slot and its deadline of \(seconds) s passed before "
                + "it could start; nothing was sent to AWS",
            attempts: 0)
    }

    private static func exceeded(_ message: String, attempts: Int) -> AWSError {
        AWSError(
            kind: .transport, code: .deadlineExceeded, message: message, retryable: true,
            attempts: attempts)
    }

    /// `2.3 s`, to a tenth of a second.
    private static func describe(_ duration: Duration) -> String {
        let tenths = duration.components.seconds * 10 + duration.components.attoseconds / 100_000_000_000_000_000
        return "\(tenths / 10).\(tenths % 10) s"
    }

    private static func capture<Value>(_ operation: () async throws(AWSError) -> Value) async -> Result<Value, AWSError> {
        do {
            return .success(try await operation())
        } catch {
            return .failure(error)
        }
    }
}

extension Result where Failure == AWSError {
    /// The attempts a failed operation made; nil for a success, whose attempts are in its value.
    fileprivate var attemptsMade: Int? {
        if case .failure(let error) = self { return error.attempts }
        return nil
    }
}
