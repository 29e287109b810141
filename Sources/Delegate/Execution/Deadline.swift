import AWSCore

/// Runs `operation` with a time limit; past it, the operation is cancelled and the result is
/// `DeadlineExceeded`. Cancelling the operation cancels its HTTP transfer, so nothing keeps
/// running in the background.
enum Deadline {
    /// The longest single sleep of the deadline timer (see `run`).
    static let slice: Duration = .seconds(1)

    private enum Outcome<Value: Sendable>: Sendable {
        case finished(Result<Value, AWSError>)
        case expired
    }

    static func run<Value: Sendable>(
        seconds: Int,
        _ operation: @escaping @Sendable () async throws(AWSError) -> Value
    ) async throws(AWSError) -> Value {
        let outcome = await withTaskGroup(of: Outcome<Value>.self) { group in
            group.addTask { .finished(await capture(operation)) }
            group.addTask {
                // Slices, not one long sleep: on Linux a cancelled `Task.sleep` keeps its timer,
                // and this child's memory, until it would have fired, so one sleep of the whole
                // deadline per task held ~750 bytes per finished task for the deadline (60 s by
                // default): 180 MB at 4,000 tasks/s. A slice bounds that to one second.
                let clock = ContinuousClock()
                let end = clock.now.advanced(by: .seconds(seconds))
                while !Task.isCancelled, clock.now < end {
                    try? await Task.sleep(for: min(Self.slice, clock.now.duration(to: end)))
                }
                return .expired
            }
            let first = await group.next() ?? .expired
            group.cancelAll()
            return first
        }
        switch outcome {
        case .finished(let result):
            return try result.get()
        case .expired where Task.isCancelled:
            throw AWSError(kind: .transport, code: "Cancelled", message: "the task was cancelled (the delegate is stopping)", retryable: true)
        case .expired:
            throw AWSError(
                kind: .transport,
                code: TaskFailure.Code.deadlineExceeded.rawValue,
                message: "the task did not finish within its deadline of \(seconds) s",
                retryable: true
            )
        }
    }

    private static func capture<Value>(_ operation: () async throws(AWSError) -> Value) async -> Result<Value, AWSError> {
        do {
            return .success(try await operation())
        } catch {
            return .failure(error)
        }
    }
}
