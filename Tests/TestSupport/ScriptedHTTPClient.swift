import Foundation
import HTTP
import Synchronization

/// An in-memory `HTTPClient` for unit tests: no libcurl, no sockets.
///
/// Each request is recorded (`requests`), then answered by the first script whose
/// `HTTPRequestMatch` fits it and that still has a reply (replies are used in order; a script
/// made with `always` repeats its reply), else by the `fallback` given at creation (by default a
/// `couldNotConnect` failure, so an unscripted call is visible as `EndpointUnreachable`).
/// A fallback can be a whole fake service, or another client to forward to (counting the
/// requests that pass through).
///
///     let http = ScriptedHTTPClient()
///     http.script(.target("secretsmanager.GetSecretValue"), .awsError("ThrottlingException"), .json(body))
///     ... run the code under test ...
///     #expect(http.requests(.target("secretsmanager.GetSecretValue")).count == 2)
///
/// `Sendable`: all state sits behind one `Mutex`; many requests may be in flight at once.
public final class ScriptedHTTPClient: HTTPClient {
    public typealias Fallback = @Sendable (HTTPRequest) async throws(HTTPClientError) -> HTTPResponse

    private struct Script {
        var match: HTTPRequestMatch
        var replies: [ScriptedReply]
        var repeats: Bool
    }

    private struct State {
        var scripts: [Script] = []
        var requests: [SentRequest] = []
        var inFlight = 0
        var mostInFlight = 0
        var held: [Int: CheckedContinuation<Void, Never>] = [:]
        var cancelledEarly: Set<Int> = []
        var nextHold = 0
    }

    private let state = Mutex(State())
    private let fallback: Fallback

    public init(fallback: @escaping Fallback = ScriptedHTTPClient.unreachable) {
        self.fallback = fallback
    }

    /// Forwards every unscripted request to `inner` (and records it).
    public convenience init(forwardingTo inner: any HTTPClient) {
        self.init(fallback: { request throws(HTTPClientError) in try await inner.execute(request) })
    }

    public static let unreachable: Fallback = { _ throws(HTTPClientError) in
        throw HTTPClientError(code: .couldNotConnect, message: "no scripted reply (ScriptedHTTPClient)")
    }

    /// Answers the next requests that fit `match` with `replies`, one each, in order.
    public func script(_ match: HTTPRequestMatch = .any, _ replies: ScriptedReply...) {
        state.withLock { $0.scripts.append(Script(match: match, replies: replies, repeats: false)) }
    }

    /// Answers every request that fits `match` with `reply` (until `removeScripts`).
    public func always(_ match: HTTPRequestMatch = .any, _ reply: ScriptedReply) {
        state.withLock { $0.scripts.append(Script(match: match, replies: [reply], repeats: true)) }
    }

    /// Forgets every script (the fallback answers from now on); what was recorded stays.
    public func removeScripts() {
        state.withLock { $0.scripts.removeAll() }
    }

    /// Every request received so far, in arrival order.
    public var requests: [SentRequest] { state.withLock { $0.requests } }

    /// The requests received so far that fit `match`.
    public func requests(_ match: HTTPRequestMatch) -> [SentRequest] {
        requests.filter { match.matches($0.request) }
    }

    /// Requests being answered right now (those held by `.hold` included).
    public var inFlight: Int { state.withLock { $0.inFlight } }
    /// The most requests that were ever being answered at the same time.
    public var mostInFlight: Int { state.withLock { $0.mostInFlight } }
    /// Requests waiting in a `.hold` reply.
    public var holding: Int { state.withLock { $0.held.count } }

    /// Lets every request waiting in a `.hold` reply go on to its reply.
    public func releaseHeld() {
        let waiting = state.withLock { state in
            defer { state.held.removeAll() }
            return Array(state.held.values)
        }
        for continuation in waiting { continuation.resume() }
    }

    public func execute(_ request: HTTPRequest) async throws(HTTPClientError) -> HTTPResponse {
        let reply = state.withLock { state -> ScriptedReply? in
            state.requests.append(SentRequest(request))
            state.inFlight += 1
            state.mostInFlight = max(state.mostInFlight, state.inFlight)
            guard let index = state.scripts.firstIndex(where: { !$0.replies.isEmpty && $0.match.matches(request) })
            else { return nil }
            if state.scripts[index].repeats { return state.scripts[index].replies[0] }
            return state.scripts[index].replies.removeFirst()
        }
        defer { state.withLock { $0.inFlight -= 1 } }
        return try await answer(request, with: reply)
    }

    private func answer(_ request: HTTPRequest, with reply: ScriptedReply?) async throws(HTTPClientError)
        -> HTTPResponse
    {
        switch reply {
        case nil: return try await fallback(request)
        case .response(let response)?: return response
        case .failure(let error)?: throw error
        case .hold(let then)?:
            try await hold()
            return try await answer(request, with: then)
        case .hang?:
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(1)) }
            throw HTTPClientError(code: .cancelled, message: "cancelled (ScriptedHTTPClient)")
        }
    }

    /// Waits until `releaseHeld` or until the calling task is cancelled (then throws `.cancelled`).
    private func hold() async throws(HTTPClientError) {
        let id = state.withLock { state in
            state.nextHold += 1
            return state.nextHold
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state in
                    if state.cancelledEarly.remove(id) != nil { return true }
                    state.held[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let continuation = state.withLock { state in
                guard let continuation = state.held.removeValue(forKey: id) else {
                    state.cancelledEarly.insert(id)
                    return nil as CheckedContinuation<Void, Never>?
                }
                return continuation
            }
            continuation?.resume()
        }
        if Task.isCancelled { throw HTTPClientError(code: .cancelled, message: "cancelled (ScriptedHTTPClient)") }
    }
}
