import Dispatch
import Logging
import Synchronization

/// The production `HTTPClient`: libcurl, many requests in flight on one thread.
///
/// One curl multi handle, driven by one dedicated thread, runs every transfer; callers await
/// their response without holding a thread. Connections stay open in the multi handle's cache
/// and TLS sessions and DNS answers are shared, so repeated calls to the same endpoint skip
/// the handshakes. TLS verification is always on. Proxies come from the `Configuration`
/// (built from an environment dictionary); `HTTPRequestOptions.bypassProxy` goes direct.
///
/// The engine (libcurl, opened at run time, and its thread) starts either in `init` or at the
/// first request (`Start`). A long-running process that may wait a long time for its first
/// request starts it late, so until then it maps neither libcurl nor its ~30 libraries.
///
/// `Sendable`: the engine's state is behind a `Mutex`, and the engine accepts work from any
/// thread through a lock-protected inbox (see `CurlEngine`); all libcurl state is confined to
/// the engine thread.
///
/// Call `shutdown()` when done (deinit does it too): the thread stops and requests still
/// pending fail with `.cancelled`.
public final class CurlHTTPClient: HTTPClient, Sendable {
    /// When the engine starts.
    public enum Start: Sendable {
        /// In `init`, which throws if libcurl cannot be loaded or the thread cannot start.
        case now
        /// At the first request, which throws (as every later one does) if it cannot start.
        case atFirstRequest
    }

    private enum EngineState {
        /// Not started yet, or the last start failed in a way that may pass (descriptors or
        /// threads exhausted): the next request tries again.
        case notStarted
        case running(CurlEngine)
        /// libcurl could not be loaded or initialised, which is final for the process (see
        /// `CurlGlobal`): every request fails the same way.
        case failed(HTTPClientError)
        case shutDown

        var failure: HTTPClientError? {
            if case .failed(let error) = self { return error }
            return nil
        }
    }

    public let configuration: Configuration
    private let logger: Logger
    /// Held only for short reads and writes, never across the engine's start.
    private let state: Mutex<EngineState>
    /// Serializes starts; held across one (loading libcurl takes milliseconds), only on Dispatch
    /// threads and by `shutdown()`, never on the cooperative pool's. Holds the message of the last
    /// failed start that was logged, so a failure that repeats is logged once.
    private let starting = Mutex<String?>(nil)

    /// - Throws: with `.now`, when libcurl cannot be loaded or initialised or the thread cannot
    ///   be started; with `.atFirstRequest`, never (the first request throws instead).
    public init(configuration: Configuration, logger: Logger, start: Start = .now) throws(HTTPClientError) {
        self.configuration = configuration
        self.logger = logger
        switch start {
        case .now:
            state = Mutex(.running(try Self.startEngine(configuration: configuration, logger: logger)))
        case .atFirstRequest:
            state = Mutex(.notStarted)
        }
    }

    deinit {
        shutdown()
    }

    /// Whether the engine has started (and libcurl is loaded) and not been shut down.
    public var isStarted: Bool {
        state.withLock { state in
            if case .running = state { return true }
            return false
        }
    }

    /// Why the engine cannot start, once that is final (libcurl could not be loaded or
    /// initialised); nil otherwise. For status reports: every request fails with it.
    public var startFailure: HTTPClientError? {
        state.withLock { $0.failure }
    }

    /// Sends the request and waits for the complete response. Cancelling the calling task
    /// aborts the transfer and throws `.cancelled` at once.
    public func execute(_ request: HTTPRequest) async throws(HTTPClientError) -> HTTPResponse {
        let engine = try await startedEngine()
        let pending = PendingRequest(request: request)
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if pending.attach(continuation) {
                    engine.submit(pending)
                }
            }
        } onCancel: {
            if pending.finish(.failure(.cancelledRequest)) {
                engine.cancel(pending)
            }
        }
        return try outcome.get()
    }

    /// Stops the engine thread and waits for it, and for a start in progress (which then stops
    /// the engine it started). Requests in flight or submitted later fail with `.cancelled`.
    /// Idempotent.
    public func shutdown() {
        let previous = state.withLock { state in
            defer { state = .shutDown }
            return state
        }
        switch previous {
        case .running(let engine): engine.shutdown()
        case .notStarted: starting.withLock { _ in }
        case .failed, .shutDown: break
        }
    }

    /// ``shutdown()`` for async callers: the wait for the engine thread happens on a Dispatch
    /// thread, never on one of the cooperative pool's.
    public func close() async {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                self.shutdown()
                continuation.resume()
            }
        }
    }

    // MARK: Starting the engine

    /// The running engine, started first if it has not been (off the cooperative pool).
    private func startedEngine() async throws(HTTPClientError) -> CurlEngine {
        if let engine = try engineIfSettled() { return engine }
        let passingFailure = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: self.startIfNotStarted())
            }
        }
        guard let engine = try engineIfSettled() else { throw passingFailure ?? .clientShutDown }
        return engine
    }

    /// The engine if it runs, nil if it has not started; throws if it failed or was shut down.
    private func engineIfSettled() throws(HTTPClientError) -> CurlEngine? {
        let current = state.withLock { $0 }
        switch current {
        case .running(let engine): return engine
        case .notStarted: return nil
        case .failed(let error): throw error
        case .shutDown: throw .clientShutDown
        }
    }

    /// Blocks: call on a Dispatch thread. Starts the engine unless it runs or cannot; a
    /// concurrent `shutdown()` wins (the new engine is shut down again). Returns the failure of
    /// a start that may pass (the state stays `.notStarted`), nil otherwise.
    private func startIfNotStarted() -> HTTPClientError? {
        starting.withLock { lastLogged -> HTTPClientError? in
            guard case .notStarted = state.withLock({ $0 }) else { return nil }
            let outcome: EngineState
            var passingFailure: HTTPClientError?
            do throws(HTTPClientError) {
                try CurlGlobal.ensureInitialized()
                if CurlGlobal.keyLogFileIgnored.exchange(false, ordering: .relaxed) {
                    logger.warning(
                        "SSLKEYLOGFILE is set; ignored: TLS session keys of AWS calls are never written to a file")
                }
                do throws(HTTPClientError) {
                    outcome = .running(try Self.startEngine(configuration: configuration, logger: logger))
                } catch {
                    passingFailure = error
                    outcome = .notStarted
                }
            } catch {
                outcome = .failed(error)
            }
            if let failure = passingFailure ?? outcome.failure, lastLogged != failure.message {
                lastLogged = failure.message
                logger.error("the HTTP client could not start: \(failure.message)")
            }
            let shutDownMeanwhile = state.withLock { state in
                guard case .notStarted = state else { return true }
                state = outcome
                return false
            }
            if shutDownMeanwhile, case .running(let engine) = outcome { engine.shutdown() }
            return passingFailure
        }
    }

    private static func startEngine(
        configuration: Configuration, logger: Logger
    ) throws(HTTPClientError) -> CurlEngine {
        let engine = try CurlEngine(configuration: configuration, logger: logger)
        try engine.start()
        return engine
    }
}
