import AWSCore
import Foundation
import HTTP
import Logging
import SigV4

/// Builds Secrets Manager clients against the shared moto server for one test, each with its own
/// IAM user and a unique name prefix.
public struct MotoHarness: Sendable {
    public let moto: MotoServer
    /// A prefix no other test uses, so tests can run in parallel on one server.
    public let prefix: String

    public static func make() async throws -> MotoHarness {
        MotoHarness(moto: try await MotoServer.shared(), prefix: "t-\(UUID().uuidString.prefix(12).lowercased())")
    }

    public func awsClient(
        service: String = "secretsmanager",
        maxAttempts: Int = 3,
        http: (any HTTPClient)? = nil,
        sleeper: any Sleeper = ClockSleeper()
    ) -> AWSClient {
        AWSClient(
            endpoint: moto.endpoint(service: service),
            options: .patient(maxAttempts: maxAttempts),
            httpClient: http ?? moto.httpClient,
            sleeper: sleeper
        )
    }
}

/// A thread-safe counter.
public final class Counter: Sendable {
    private let storage = Synchronization.Mutex<Int>(0)
    public init() {}
    public var value: Int { storage.withLock { $0 } }
    @discardableResult public func increment() -> Int { storage.withLock { $0 += 1; return $0 } }
}

import Synchronization
