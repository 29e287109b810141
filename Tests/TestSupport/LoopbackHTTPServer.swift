import Foundation
import HTTP
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A small HTTP/1.1 server on 127.0.0.1 for tests: keep-alive, `Content-Length` bodies,
/// scripted answers with delays or hang-ups, and counters to assert on.
///
/// One thread runs a `poll` loop over every connection, so hundreds of slow concurrent
/// requests cost one thread (tests that count threads depend on it). The handler runs on that
/// thread: keep it quick (use `ScriptedResponse.delay` rather than sleeping).
///
/// `Sendable`: the port is immutable, the counters and recorded requests sit behind a `Mutex`,
/// and the loop's own state is confined to its thread.
public final class LoopbackHTTPServer: Sendable {
    public typealias Handler = @Sendable (RecordedRequest) -> ScriptedResponse

    /// The port the server listens on (chosen by the kernel).
    public let port: Int
    private let loop: LoopbackServerLoop

    /// Starts listening on 127.0.0.1 on a free port.
    public init(handler: @escaping Handler) throws(LoopbackServerError) {
        loop = try LoopbackServerLoop(handler: handler)
        port = loop.port
        loop.start()
    }

    deinit {
        loop.stop()
    }

    /// `http://127.0.0.1:<port>`, without a trailing slash.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Requests handed to the handler so far.
    public var requestsServed: Int { loop.stats.withLock { $0.requests.count } }

    /// TCP connections accepted so far.
    public var connectionsAccepted: Int { loop.stats.withLock { $0.connections } }

    /// Every request handed to the handler, in arrival order.
    public var recordedRequests: [RecordedRequest] { loop.stats.withLock { $0.requests } }

    /// Closes the listening socket and every connection, and waits for the server thread.
    /// Idempotent.
    public func stop() {
        loop.stop()
    }
}

/// Why `LoopbackHTTPServer` could not start.
public struct LoopbackServerError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var errno: Int32

    public var description: String { "\(message): \(String(cString: strerror(errno)))" }
}

struct LoopbackServerStats {
    var connections = 0
    var requests: [RecordedRequest] = []
}
