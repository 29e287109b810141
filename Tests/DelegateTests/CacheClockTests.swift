import AWSCore
import AWSCredentials
import Foundation
import Logging
import Systemd
import TestSupport
import Testing

@testable import Delegate
@testable import TaskQueue

/// The daemon's read cache measures ages on a clock the wall clock's steps do not move: an NTP
/// step back keeps no value fresh past its TTL, and a step forward expires none early.
@Suite struct CacheClockTests {
    @Test func theDaemonsCacheIgnoresStepsOfTheWallClock() throws {
        let configuration = try DelegateConfiguration.load(
            tomlText: """
                [queue]
                spool_dir = ""
                socket_path = ""
                [identity]
                sources = ["environment"]
                [connectors.prod]
                region = "us-east-1"
                credentials = { type = "instanceRole" }
                cache_ttl_seconds = 300
                """,
            environment: [:], hostName: "cache-clock")
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let wall = ManualClock()
        let components = try DelegateDaemon.Components(
            settings: .init(configuration: configuration, configurationPath: nil, environment: [:]),
            notifier: SystemdNotifier(logger: quiet), logger: quiet, logLimiter: LogRateLimiter(), clock: wall,
            httpClient: ScriptedHTTPClient())
        let cache = components.cache
        let connector = try #require(configuration.connectors["prod"])
        let key = SecretCacheTests.key("db")
        cache.store(
            SecretCacheTests.output("db"), for: key, connector: connector, principal: SecretCacheTests.principal,
            token: cache.beginRead())

        for step in [-200.0, 400, 3600] {
            wall.advance(by: step)
            guard case .fresh = cache.lookup(key, connector: connector, principal: SecretCacheTests.principal) else {
                Issue.record("a wall-clock step of \(step) s changed the entry's age")
                return
            }
        }
    }
}
