import Synchronization

/// The handler calls a server's Dispatch queue starts, run as child tasks of ``run()``, which the
/// server's owner runs beside it (a `Service`'s task group, a test's `async let`): no handler
/// call outlives the owner, and cancelling the owner cancels them.
final class HandlerTasks: Sendable {
    typealias Call = @Sendable () async -> Void

    /// Calls travel in batches: the lines of one read start with one hand-over to ``run()``.
    private let calls: AsyncStream<[Call]>
    private let continuation: AsyncStream<[Call]>.Continuation

    init() {
        (calls, continuation) = AsyncStream.makeStream()
    }

    /// Runs `call` as a child of ``run()`` (at once if it runs, else as soon as it does); false
    /// when ``run()`` has ended (finished, or its caller cancelled): `call` never runs, and the
    /// caller ends what it stands for itself (so the answer must be used).
    func start(_ call: @escaping Call) -> Bool {
        start([call])
    }

    /// Runs each of `calls` as a child of ``run()``, in one hand-over; false, and none of them
    /// runs, when ``run()`` has ended.
    func start(_ calls: [Call]) -> Bool {
        guard !calls.isEmpty else { return true }
        if case .terminated = continuation.yield(calls) { return false }
        return true
    }

    /// Runs the calls as they come until ``finish()`` or until the caller is cancelled (which
    /// cancels the calls running too); returns when every call has returned.
    func run() async {
        await withDiscardingTaskGroup { group in
            for await batch in calls {
                for call in batch {
                    group.addTask { await call() }
                }
            }
        }
    }

    /// No call starts any more; ``run()`` returns once those running have.
    func finish() {
        continuation.finish()
    }
}

/// One handler call that the server may cancel on its own (a request past its deadline), while
/// it runs as a child of ``HandlerTasks/run()``.
final class CancellableCall: Sendable {
    private struct State {
        var cancelled = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func cancel() {
        state.withLock { state in
            state.cancelled = true
            defer { state.waiter = nil }
            return state.waiter
        }?.resume()
    }

    /// `body`'s value; `body` is cancelled when ``cancel()`` is called (its value then still
    /// comes back). Nil only if `body` never answered.
    func run<Value: Sendable>(_ body: @escaping @Sendable () async -> Value) async -> Value? {
        await withTaskGroup(of: Value?.self) { group in
            group.addTask { await body() }
            group.addTask {
                await self.untilCancelled()
                return nil
            }
            var value: Value?
            for await next in group {
                group.cancelAll()
                if let next { value = next }
            }
            return value
        }
    }

    private func untilCancelled() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state in
                    if state.cancelled || Task.isCancelled { return true }
                    state.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }?.resume()
        }
    }
}
