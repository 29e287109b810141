import AWSCore
@testable import AWSCredentials
import Foundation
import Logging
import SigV4
import TestSupport
import Synchronization
import Testing

/// Single flight, refresh ahead of expiry, static stability, cancellation and failure handling.
@Suite struct CachingCredentialProviderTests {
    let logger = Logger(label: "test.caching")

    @Test func twoHundredConcurrentCallersOnAColdCacheCauseOneFetch() async throws {
        let clock = ManualClock()
        let server = try IMDSServer(
            credentials: fakeCredentials("many"), expiration: clock.now().addingTimeInterval(6 * 3600))
        // Hold the one fetch open long enough for every caller to pile up behind it.
        server.setCredentialDelay(.milliseconds(300))
        let provider = CachingCredentialProvider(
            source: imdsSource(server, http: try loopbackHTTPClient(), clock: clock), clock: clock)

        let keys = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<200 {
                group.addTask { try await provider.credentials(logger: logger).accessKeyId }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(keys.count == 200)
        #expect(Set(keys) == ["ASIAFAKEmany"])
        #expect(server.counts.tokenPUTs == 1)
        #expect(server.counts.credentialGETs == 1)
        #expect(server.counts.roleListGETs == 1)
    }

    /// The shared refresh is made for every waiting caller: it runs without the deadline of the
    /// task whose call started it (AWSCallDeadline), so one short-deadline task cannot cut the
    /// STS retries of a refresh that others wait for.
    @Test func theSharedRefreshRunsWithoutTheStartingCallersDeadline() async throws {
        let source = DeadlineRecordingSource()
        let provider = CachingCredentialProvider(source: source, clock: ManualClock())
        _ = try await AWSCallDeadline.$current.withValue(SuspendingClock.now + .seconds(2)) {
            try await provider.credentials(logger: logger)
        }
        #expect(source.fetches.withLock { $0 } == 1)
        #expect(source.sawDeadline.withLock { $0 } == false)
    }

    /// A refresh cut off by the stop (its HTTP client closed: `Cancelled`) is no failure to warn
    /// of, after the delegate said it stopped, nor one to show in the status; its callers get it.
    @Test func aRefreshCutOffByTheStopIsNotWarnedOf() async throws {
        let recorder = LogRecorder()
        let provider = CachingCredentialProvider(source: CancelledSource(), clock: ManualClock())
        let error = await #expect(throws: AWSError.self) { try await provider.credentials(logger: recorder.logger()) }
        #expect(error?.code == .cancelled)
        #expect(!recorder.allText.contains("credentials-refresh-failed"), "\(recorder.records)")
        #expect(await provider.snapshot().lastError == nil)

        // Any other failure is warned of as before.
        let failing = LogRecorder()
        let other = CachingCredentialProvider(source: SequenceSource([nil]), clock: ManualClock())
        await #expect(throws: AWSError.self) { try await other.credentials(logger: failing.logger()) }
        #expect(failing.allText.contains("credentials-refresh-failed"), "\(failing.records)")
    }

    @Test func expiryDrivesARefreshAheadAndAtExpiry() async throws {
        let clock = ManualClock()
        let start = clock.now()
        let server = try IMDSServer(credentials: fakeCredentials("v1"), expiration: start.addingTimeInterval(3600))
        let recorder = LogRecorder()
        let logger = recorder.logger()
        let provider = CachingCredentialProvider(
            source: imdsSource(server, http: try loopbackHTTPClient(), clock: clock), clock: clock)

        #expect(try await provider.credentials(logger: logger).accessKeyId == "ASIAFAKEv1")
        clock.advance(by: 30 * 60)
        #expect(try await provider.credentials(logger: logger).accessKeyId == "ASIAFAKEv1")
        #expect(server.counts.credentialGETs == 1, "half an hour before expiry the cache serves alone")

        // Inside the 15-minute window: the old credentials keep serving while one refresh runs.
        server.serve(fakeCredentials("v2"), expiration: start.addingTimeInterval(2 * 3600))
        clock.advance(by: 20 * 60)
        #expect(try await provider.credentials(logger: logger).accessKeyId == "ASIAFAKEv1")
        #expect(await eventually { await provider.snapshot().expiration == start.addingTimeInterval(2 * 3600) })
        #expect(try await provider.credentials(logger: logger).accessKeyId == "ASIAFAKEv2")
        #expect(server.counts.credentialGETs == 2)

        // Past the expiry with no earlier call in the window: callers wait for the new ones.
        server.serve(fakeCredentials("v3"), expiration: start.addingTimeInterval(4 * 3600))
        clock.advance(by: 2 * 3600)
        #expect(try await provider.credentials(logger: logger).accessKeyId == "ASIAFAKEv3")
        #expect(server.counts.credentialGETs == 3)
        let refreshed = recorder.records.filter { $0.contains("credentials-refreshed") }
        #expect(refreshed.count == 3)
        // The expiry as results and `status` write it: ISO 8601 in UTC with milliseconds.
        #expect(
            refreshed.last?.contains("expiration=\(Timestamp.format(start.addingTimeInterval(4 * 3600)))") == true,
            "\(refreshed)")
        #expect(refreshed.last?.contains(#/expiration=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/#) == true, "\(refreshed)")
        #expect(!recorder.allText.contains("fake-secret"))
        #expect(!recorder.allText.contains("fake-token"))
    }

    @Test func anUnreachableIMDSLeavesCallersOnExtendedCredentials() async throws {
        let clock = ManualClock()
        let start = clock.now()
        let server = try IMDSServer(credentials: fakeCredentials("stable"), expiration: start.addingTimeInterval(3600))
        let recorder = LogRecorder()
        let logger = recorder.logger()
        let provider = CachingCredentialProvider(
            source: imdsSource(server, http: try loopbackHTTPClient(), clock: clock), clock: clock)
        #expect(try await provider.credentials(logger: logger).accessKeyId == "ASIAFAKEstable")

        server.setMode(.down)
        clock.advance(by: 3600 + 60)
        // Expired and IMDS gone: every caller still gets the old keys, now good for 10 more minutes
        // (5 + 0.5 x 10, the injected jitter), and a warning says so.
        let extended = try await withThrowingTaskGroup(of: Credentials.self) { group in
            for _ in 0..<20 { group.addTask { try await provider.credentials(logger: logger) } }
            return try await group.reduce(into: [Credentials]()) { $0.append($1) }
        }
        #expect(extended.count == 20)
        #expect(extended.allSatisfy { $0.accessKeyId == "ASIAFAKEstable" })
        #expect(extended.allSatisfy { $0.expiration == clock.now().addingTimeInterval(600) })
        let warnings = recorder.records.filter { $0.contains("static-stability-engaged") }
        #expect(warnings.count == 1)
        #expect(warnings.first?.hasPrefix("warning") == true)
        #expect(warnings.first?.contains("IMDS unreachable as the instance credentials expire") == true, "\(warnings)")
        let attemptsWhileDown = server.counts.whileDown
        #expect(attemptsWhileDown >= 1)

        // It keeps trying: in the extended credentials' refresh window a background refresh runs
        // (and fails quietly) while callers keep their keys.
        clock.advance(by: 6 * 60)
        #expect(try await provider.credentials(logger: logger).accessKeyId == "ASIAFAKEstable")
        #expect(await eventually { server.counts.whileDown > attemptsWhileDown })
        #expect(await eventually { await provider.snapshot().lastError != nil })

        // IMDS comes back: the next refresh gets real credentials.
        server.setMode(.up)
        server.serve(fakeCredentials("back"), expiration: clock.now().addingTimeInterval(3600))
        clock.advance(by: 5 * 60)
        #expect(try await provider.credentials(logger: logger).accessKeyId == "ASIAFAKEback")
        #expect(await provider.snapshot().lastError == nil)
    }

    @Test func anIMDSAnswering503AlsoLeavesCallersOnExtendedCredentialsButAFailedDocumentDoesNot() async throws {
        let clock = ManualClock()
        let server = try IMDSServer(
            credentials: fakeCredentials("5xx"), expiration: clock.now().addingTimeInterval(3600))
        let source = imdsSource(server, http: try loopbackHTTPClient(), clock: clock)
        let provider = CachingCredentialProvider(source: source, clock: clock)
        _ = try await provider.credentials(logger: logger)

        server.setMode(.failing)
        clock.advance(by: 2 * 3600)
        let extended = try await provider.credentials(logger: logger)
        #expect(extended.accessKeyId == "ASIAFAKE5xx")
        #expect(extended.expiration == clock.now().addingTimeInterval(600))

        // A clear answer that the role is gone is not an outage: no extension.
        let gone = try IMDSServer(
            credentials: fakeCredentials("gone"), expiration: clock.now().addingTimeInterval(3600), roleName: "old-role"
        )
        let goneSource = imdsSource(gone, http: try loopbackHTTPClient(), clock: clock)
        let goneProvider = CachingCredentialProvider(source: goneSource, clock: clock)
        _ = try await goneProvider.credentials(logger: logger)
        gone.setCode("Failed")
        clock.advance(by: 2 * 3600)
        await #expect(throws: AWSError.self) { try await goneProvider.credentials(logger: logger) }
    }

    @Test func withoutEarlierCredentialsAnUnreachableIMDSIsAnError() async throws {
        let server = try IMDSServer(credentials: fakeCredentials("cold"), expiration: Date().addingTimeInterval(3600))
        server.setMode(.down)
        let provider = CachingCredentialProvider(source: imdsSource(server, http: try loopbackHTTPClient()))
        let error = await #expect(throws: AWSError.self) { try await provider.credentials(logger: logger) }
        #expect(error?.code == .endpointUnreachable)
    }

    @Test func aCancelledCallerNeverCancelsTheSharedRefresh() async throws {
        let source = GatedSource(gateOpen: false)
        let provider = CachingCredentialProvider(source: source, clock: ManualClock())
        let first = Task { try await provider.credentials(logger: logger) }
        #expect(await eventually { source.fetches == 1 })
        let second = Task { try await provider.credentials(logger: logger) }
        #expect(await eventually { await provider.waitingCallers == 2 })

        first.cancel()
        let cancelled = await first.result
        let error = #expect(throws: AWSError.self) { try cancelled.get() }
        #expect(error?.code == .cancelled)

        source.open()
        let credentials = try await second.value
        #expect(credentials.accessKeyId == "ASIAGATED1")
        #expect(source.fetches == 1)
        #expect(!source.sawCancellation, "the shared fetch never saw the caller's cancellation")
        #expect(try await provider.credentials(logger: logger).accessKeyId == "ASIAGATED1")
        #expect(source.fetches == 1)
    }

    @Test func aCallerCancelledBeforeAskingGetsCancellationAndNoFetchIsLost() async throws {
        let source = GatedSource()
        let provider = CachingCredentialProvider(source: source, clock: ManualClock())
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await provider.credentials(logger: logger)
        }
        let result = await task.result
        let error = #expect(throws: AWSError.self) { try result.get() }
        #expect(error?.code == .cancelled)
        // The refresh it started still completes and serves the next caller.
        #expect(try await provider.credentials(logger: logger).accessKeyId == "ASIAGATED1")
        #expect(source.fetches == 1)
    }

    /// An `ExpiredToken` drops only the credentials it names: invalidations that come after a
    /// refresh (other tasks refused with the old key) keep the fresh ones.
    @Test func onlyTheRefusedCredentialsAreDropped() async throws {
        let source = GatedSource()
        let provider = CachingCredentialProvider(source: source)
        let first = try await provider.credentials(logger: logger)
        await provider.invalidate(accessKeyID: "ASIANOTSERVED")
        #expect(try await provider.credentials(logger: logger).accessKeyId == first.accessKeyId)
        #expect(source.fetches == 1)
        await provider.invalidate(accessKeyID: first.accessKeyId)
        #expect(try await provider.credentials(logger: logger).accessKeyId == "ASIAGATED2")
        await provider.invalidate(accessKeyID: first.accessKeyId)
        #expect(try await provider.credentials(logger: logger).accessKeyId == "ASIAGATED2")
        #expect(source.fetches == 2)
    }

    /// A refresh ahead that failed while valid credentials served does not hold callers back once
    /// an `ExpiredToken` dropped those: the next caller fetches.
    @Test func aFailedRefreshAheadDoesNotHoldCallersBackAfterAnExpiredToken() async throws {
        let source = SequenceSource(["ASIAONE", nil, "ASIATWO"])
        let clock = ManualClock()
        let provider = CachingCredentialProvider(source: source, clock: clock)
        let first = try await provider.credentials(logger: logger)
        clock.advance(by: 3000)  // within the refresh window of a one-hour lifetime
        #expect(try await provider.credentials(logger: logger).accessKeyId == "ASIAONE")
        #expect(await eventually { await provider.snapshot().lastError != nil })
        await provider.invalidate(accessKeyID: first.accessKeyId)
        #expect(try await provider.credentials(logger: logger).accessKeyId == "ASIATWO")
        #expect(source.fetches == 3)
    }

    /// A clock set back after a refresh ahead failed ends the pause before the next try at once
    /// (how long the pause lasted is unknown): refreshing ahead is not off for as long as the
    /// clock went back, which could let the credentials expire first.
    @Test func aClockSetBackAfterAFailedRefreshAheadLetsTheNextOneStart() async throws {
        let source = SequenceSource(["ASIAONE", nil, "ASIATWO"])
        let clock = ManualClock()
        let provider = CachingCredentialProvider(source: source, clock: clock)
        _ = try await provider.credentials(logger: logger)
        clock.advance(by: 3000)  // within the refresh window of a one-hour lifetime
        #expect(try await provider.credentials(logger: logger).accessKeyId == "ASIAONE")
        #expect(await eventually { await provider.snapshot().lastError != nil })
        clock.advance(by: -100)  // set back, still within the window
        #expect(try await provider.credentials(logger: logger).accessKeyId == "ASIAONE")
        #expect(await eventually { source.fetches == 3 }, "no refresh ahead after the clock went back")
    }

    /// Nor does one that failed in the last second before the credentials expired: the hold is
    /// for a fetch that failed with nothing valid cached. The caller right after the expiry
    /// fetches (which for IMDS is where static stability can keep it going), not gets the failure.
    @Test func aRefreshAheadFailedJustBeforeTheExpiryDoesNotHoldTheNextCaller() async throws {
        let source = SequenceSource(["ASIAONE", nil, "ASIATWO"])
        let clock = ManualClock()
        let provider = CachingCredentialProvider(source: source, clock: clock)
        let first = try await provider.credentials(logger: logger)
        let expiration = try #require(first.expiration)
        clock.advance(by: expiration.timeIntervalSince(clock.now()) - RefreshPolicy.expirySafetyMargin - 0.5)
        #expect(try await provider.credentials(logger: logger).accessKeyId == "ASIAONE")
        #expect(await eventually { await provider.snapshot().lastError != nil })
        clock.advance(by: 0.6)  // expired (within the safety margin), inside the failure's hold
        #expect(try await provider.credentials(logger: logger).accessKeyId == "ASIATWO")
        #expect(source.fetches == 3)
    }

    /// The shared refresh logs with the daemon's logger when it has one, not with the logger of
    /// the task whose call started it: its task and connector are not the refresh's.
    @Test func theSharedRefreshLogsWithoutTheStartingTasksFields() async throws {
        let daemon = LogRecorder()
        let task = LogRecorder()
        var taskLogger = task.logger()
        taskLogger[metadataKey: "task_id"] = "t-started-it"
        taskLogger[metadataKey: "connector_id"] = "whichever"
        let provider = CachingCredentialProvider(
            source: SequenceSource([nil]), clock: ManualClock(), refreshLogger: daemon.logger())
        await #expect(throws: AWSError.self) { try await provider.credentials(logger: taskLogger) }
        let failed = daemon.records.filter { $0.contains("credentials-refresh-failed") }
        #expect(failed.count == 1, "\(daemon.records)")
        #expect(failed.allSatisfy { !$0.contains("t-started-it") && !$0.contains("whichever") }, "\(failed)")
        #expect(!task.records.contains { $0.contains("credentials-refresh-failed") })
    }

    @Test func aFailedRefreshIsNotSticky() async throws {
        let source = GatedSource(failures: 1, gateOpen: false)
        let recorder = LogRecorder()
        let clock = ManualClock()
        let provider = CachingCredentialProvider(source: source, clock: clock)
        let waiting = (0..<5).map { _ in Task { try await provider.credentials(logger: recorder.logger()) } }
        // All five wait on the one fetch before it fails (a caller coming after it would start
        // a second fetch, which succeeds).
        #expect(await eventually { await provider.waitingCallers == 5 })
        #expect(source.fetches == 1)
        source.open()
        for task in waiting {
            let result = await task.result
            #expect(throws: AWSError.self) { try result.get() }
        }
        #expect(source.fetches == 1, "every waiter shared the one failing fetch")
        #expect(await provider.snapshot().lastError?.contains("fetch 1 failed") == true)
        #expect(recorder.records.contains { $0.contains("credentials-refresh-failed") })

        // Within the hold a caller gets the failure without another fetch; after it, one fetches.
        await #expect(throws: AWSError.self) { try await provider.credentials(logger: logger) }
        #expect(source.fetches == 1)
        clock.advance(by: RefreshPolicy.failureHold)
        let credentials = try await provider.credentials(logger: logger)
        #expect(credentials.accessKeyId == "ASIAGATED2")
        #expect(source.fetches == 2)
        #expect(await provider.snapshot().lastError == nil)
    }
}

/// Answers its fetches in order: credentials with the given key id (expiring an hour after
/// ``ManualClock``'s start), or a failure for nil.
final class SequenceSource: CredentialSource {
    let name = "sequence"
    private let answers: [String?]
    private let count = Mutex(0)

    init(_ answers: [String?]) { self.answers = answers }

    var fetches: Int { count.withLock { $0 } }

    func fetch(logger: Logger) async throws(AWSError) -> Credentials {
        let index = count.withLock { count in
            defer { count += 1 }
            return count
        }
        guard index < answers.count, let id = answers[index] else {
            throw AWSError(
                kind: .transport, code: .endpointUnreachable, message: "fetch \(index + 1) failed", retryable: true)
        }
        return Credentials(
            accessKeyId: id, secretAccessKey: "secret-\(id)", sessionToken: "token-\(id)",
            expiration: Date(timeIntervalSince1970: 1_900_000_000 + 3600))
    }
}

/// A source whose fetch is cut off as a closed HTTP client cuts it off at a stop.
final class CancelledSource: CredentialSource {
    let name = "cancelled"
    func fetch(logger: Logger) async throws(AWSError) -> Credentials { throw AWSError.cancelled(attempts: 1) }
}

/// A source that records whether its fetch ran with an `AWSCallDeadline`.
final class DeadlineRecordingSource: CredentialSource {
    let name = "deadline-recording"
    let fetches = Mutex(0)
    let sawDeadline = Mutex(false)

    func fetch(logger: Logger) async throws(AWSError) -> Credentials {
        fetches.withLock { $0 += 1 }
        sawDeadline.withLock { $0 = $0 || AWSCallDeadline.current != nil }
        return Credentials(accessKeyId: "ASIADEADLINE", secretAccessKey: "deadline-secret", sessionToken: "t")
    }

    func invalidate(accessKeyID: String) async {}
}
