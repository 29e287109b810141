import Synchronization

/// One caller's request between `execute` and its result: the rendezvous between the caller's
/// task, its cancellation handler and the engine thread.
///
/// `Sendable` because its only mutable state sits behind a `Mutex`; the continuation is
/// resumed exactly once, by whoever finishes first (completion, cancellation or shutdown).
final class PendingRequest: Sendable {
    typealias Outcome = Result<HTTPResponse, HTTPClientError>

    let request: HTTPRequest
    private let state = Mutex<State>(.created)

    private enum State {
        case created
        case waiting(CheckedContinuation<Outcome, Never>)
        case finished
    }

    init(request: HTTPRequest) {
        self.request = request
    }

    /// Stores the continuation. Returns false (after resuming it with `.cancelled`) when the
    /// request was cancelled before it could be handed to the engine.
    func attach(_ continuation: CheckedContinuation<Outcome, Never>) -> Bool {
        let attached = state.withLock { state -> Bool in
            guard case .created = state else { return false }
            state = .waiting(continuation)
            return true
        }
        if !attached {
            continuation.resume(returning: .failure(.cancelledRequest))
        }
        return attached
    }

    /// Delivers the outcome unless one was delivered already. Returns true if this call won.
    @discardableResult
    func finish(_ outcome: Outcome) -> Bool {
        let (won, continuation) = state.withLock { state -> (Bool, CheckedContinuation<Outcome, Never>?) in
            switch state {
            case .created:
                state = .finished
                return (true, nil)
            case .waiting(let continuation):
                state = .finished
                return (true, continuation)
            case .finished:
                return (false, nil)
            }
        }
        continuation?.resume(returning: outcome)
        return won
    }

    var isFinished: Bool {
        state.withLock { state in
            if case .finished = state { return true }
            return false
        }
    }
}

extension HTTPClientError {
    static let cancelledRequest = HTTPClientError(code: .cancelled, message: "the request was cancelled")
    static let clientShutDown = HTTPClientError(code: .cancelled, message: "the HTTP client was shut down")
}
