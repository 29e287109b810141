import Dispatch
import Logging

/// The production `HTTPClient`: libcurl, many requests in flight on one thread.
///
/// One curl multi handle, driven by one dedicated thread, runs every transfer; callers await
/// their response without holding a thread. Connections stay open in the multi handle's cache
/// and TLS sessions and DNS answers are shared, so repeated calls to the same endpoint skip
/// the handshakes. TLS verification is always on. Proxies come from the `Configuration`
/// (built from an environment dictionary); `HTTPRequestOptions.bypassProxy` goes direct.
///
/// `Sendable`: its stored properties are immutable, and the engine it talks to accepts work
/// from any thread through a lock-protected inbox (see `CurlEngine`); all libcurl state is
/// confined to the engine thread.
///
/// Call `shutdown()` when done (deinit does it too): the thread stops and requests still
/// pending fail with `.cancelled`.
public final class CurlHTTPClient: HTTPClient, Sendable {
    public let configuration: Configuration
    private let engine: CurlEngine

    /// Starts the engine thread. Throws only if libcurl cannot be initialised or the thread
    /// cannot be started.
    public init(configuration: Configuration, logger: Logger) throws(HTTPClientError) {
        self.configuration = configuration
        self.engine = try CurlEngine(configuration: configuration, logger: logger)
        try engine.start()
    }

    deinit {
        engine.shutdown()
    }

    /// Sends the request and waits for the complete response. Cancelling the calling task
    /// aborts the transfer and throws `.cancelled` at once.
    public func execute(_ request: HTTPRequest) async throws(HTTPClientError) -> HTTPResponse {
        let pending = PendingRequest(request: request)
        let engine = self.engine
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

    /// Stops the engine thread and waits for it. Requests in flight or submitted later fail
    /// with `.cancelled`. Idempotent.
    public func shutdown() {
        engine.shutdown()
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
}
