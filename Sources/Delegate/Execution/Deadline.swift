import AWSCore

/// Runs `operation` with a time limit; past it, the operation is cancelled and the result is
/// `DeadlineExceeded`. Cancelling the operation cancels its HTTP transfer, so nothing keeps
/// running in the background.
enum Deadline {
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
                try? await Task.sleep(for: .seconds(seconds))
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
