import AWSCore
import AWSCredentials
import Foundation
import HTTP
import Logging
import SigV4
import Synchronization
import TestSupport

/// A `CredentialSource` whose fetches wait at a gate the test opens, and which fails the first
/// `failures` fetches. Records whether a fetch ever saw its task cancelled.
final class GatedSource: CredentialSource {
    let name = "gated"
    private let state = Mutex(State())

    struct State {
        var fetches = 0
        var failuresLeft = 0
        var gateOpen = true
        var gateWaiters: [CheckedContinuation<Void, Never>] = []
        var sawCancellation = false
    }

    init(failures: Int = 0, gateOpen: Bool = true) {
        state.withLock {
            $0.failuresLeft = failures
            $0.gateOpen = gateOpen
        }
    }

    var fetches: Int { state.withLock { $0.fetches } }
    var sawCancellation: Bool { state.withLock { $0.sawCancellation } }

    func open() {
        let waiters = state.withLock { state in
            state.gateOpen = true
            defer { state.gateWaiters.removeAll() }
            return state.gateWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func fetch(logger: Logger) async throws(AWSError) -> Credentials {
        let serial = state.withLock { state in
            state.fetches += 1
            return state.fetches
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let open = state.withLock { state in
                if !state.gateOpen { state.gateWaiters.append(continuation) }
                return state.gateOpen
            }
            if open { continuation.resume() }
        }
        let failing = state.withLock { state in
            if Task.isCancelled { state.sawCancellation = true }
            guard state.failuresLeft > 0 else { return false }
            state.failuresLeft -= 1
            return true
        }
        if failing {
            throw AWSError(
                kind: .transport, code: .endpointUnreachable, message: "fetch \(serial) failed", retryable: true)
        }
        return Credentials(
            accessKeyId: "ASIAGATED\(serial)", secretAccessKey: "gated-secret-\(serial)",
            sessionToken: "token-\(serial)",
            expiration: Date(timeIntervalSince1970: 1_900_000_000 + 3600))
    }
}

/// A libcurl client for loopback tests, with no proxy from the environment.
func loopbackHTTPClient(environment: [String: String] = [:]) throws -> CurlHTTPClient {
    try CurlHTTPClient(configuration: .init(environment: environment), logger: Logger(label: "test.http"))
}

/// An IMDS source on `server`, with the given clock and no jitter in static stability
/// (extensions are exactly 10 minutes) and quick retries.
func imdsSource(
    _ server: IMDSServer, http: any HTTPClient, clock: any WallClock = SystemWallClock(),
    environment: [String: String] = [:]
) -> IMDSCredentialSource {
    IMDSCredentialSource(
        http: http, endpoint: server.baseURL, environment: environment, clock: clock, maxAttempts: 2, jitter: { 0.5 })
}

/// Made-up temporary credentials for tests that never reach AWS or moto.
func fakeCredentials(_ tag: String) -> Credentials {
    Credentials(accessKeyId: "ASIAFAKE\(tag)", secretAccessKey: "fake-secret-\(tag)", sessionToken: "fake-token-\(tag)")
}
