import AWSCore
import SQS
import Synchronization
import TestSupport
import Testing

@testable import Delegate

/// `SQSBatcher`: calls that come in while a batch is on its way go together in the next one, no
/// call waits for a batch to fill, and every entry gets its own outcome.
@Suite struct SQSBatcherTests {
    /// Records the batches sent; holds the first one until `release()`, and fails the entries
    /// `failing` names.
    final class Endpoint: Sendable {
        private struct State {
            var batches: [[String]] = []
            var held: CheckedContinuation<Void, Never>?
            var holdFirst: Bool
            var released = false
        }
        private let state: Mutex<State>
        let failing: Set<String>

        init(holdFirst: Bool, failing: Set<String> = []) {
            state = Mutex(State(holdFirst: holdFirst))
            self.failing = failing
        }

        var batches: [[String]] { state.withLock { $0.batches } }

        func send(_ entries: [String]) async -> [AWSError?] {
            let hold = state.withLock { state in
                state.batches.append(entries)
                return state.holdFirst && state.batches.count == 1 && !state.released
            }
            if hold {
                await withCheckedContinuation { continuation in
                    let resumeNow = state.withLock { state in
                        if state.released { return true }
                        state.held = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
            return entries.map { failing.contains($0) ? AWSError.validation(.invalidParameterValue, "no \($0)") : nil }
        }

        func release() {
            state.withLock { state in
                state.released = true
                return state.held.take()
            }?.resume()
        }
    }

    /// One batch on its way at a time unless `inFlight` says more, so what waits is predictable.
    static func batcher(_ endpoint: Endpoint, maximumBytes: Int = .max, inFlight: Int = 1) -> SQSBatcher<String> {
        SQSBatcher(
            maximumEntries: 10, maximumBytes: maximumBytes, maximumInFlight: inFlight, bytes: { $0.utf8.count }
        ) { entries in
            await endpoint.send(entries)
        }
    }

    @Test func aLoneCallIsSentAtOnce() async {
        let endpoint = Endpoint(holdFirst: false)
        let batcher = Self.batcher(endpoint)
        #expect(await batcher.submit("a") == nil)
        #expect(await batcher.submit("b") == nil)
        #expect(endpoint.batches == [["a"], ["b"]])
    }

    @Test func callsThatComeInWhileABatchIsOnItsWayGoTogetherTenAtMost() async throws {
        let endpoint = Endpoint(holdFirst: true, failing: ["e7"])
        let batcher = Self.batcher(endpoint)
        try await withThrowingTaskGroup(of: (String, AWSError?).self) { group in
            group.addTask { ("first", await batcher.submit("first")) }
            #expect(await eventually { endpoint.batches.count == 1 })
            for index in 0..<15 {
                group.addTask { ("e\(index)", await batcher.submit("e\(index)")) }
            }
            // All fifteen wait behind the batch on its way.
            #expect(await eventually { batcher.waitingCount == 15 })
            #expect(endpoint.batches.count == 1)
            endpoint.release()
            var outcomes: [String: AWSError?] = [:]
            for try await (entry, outcome) in group { outcomes.updateValue(outcome, forKey: entry) }
            #expect(outcomes.count == 16)
            #expect(outcomes.filter { $0.value != nil }.map(\.key) == ["e7"], "each entry gets its own outcome")
        }
        let batches = endpoint.batches
        #expect(batches.first == ["first"])
        #expect(batches.dropFirst().map(\.count) == [10, 5])
        #expect(Set(batches.dropFirst().joined()) == Set((0..<15).map { "e\($0)" }))
        #expect(batches.count == 3)
        #expect(batcher.waitingCount == 0)
    }

    @Test func aBatchStopsAtItsByteLimitButAnEntryIsNeverLeftBehind() async throws {
        let endpoint = Endpoint(holdFirst: true)
        let batcher = Self.batcher(endpoint, maximumBytes: 10)
        try await withThrowingTaskGroup(of: AWSError?.self) { group in
            group.addTask { await batcher.submit("0") }
            #expect(await eventually { endpoint.batches.count == 1 })
            group.addTask { await batcher.submit("aaaa") }
            #expect(await eventually { batcher.waitingCount == 1 })
            group.addTask { await batcher.submit("bbbb") }
            #expect(await eventually { batcher.waitingCount == 2 })
            group.addTask { await batcher.submit("cccc") }
            #expect(await eventually { batcher.waitingCount == 3 })
            group.addTask { await batcher.submit(String(repeating: "z", count: 20)) }
            #expect(await eventually { batcher.waitingCount == 4 })
            endpoint.release()
            for try await outcome in group { #expect(outcome == nil) }
        }
        #expect(endpoint.batches == [["0"], ["aaaa", "bbbb"], ["cccc"], [String(repeating: "z", count: 20)]])
    }

    /// The byte limit is read as each batch is made up (a reload may raise `[sqs]
    /// max_message_bytes`), not when the batcher was made.
    @Test func theByteLimitIsReadAsEachBatchIsMadeUp() async throws {
        let endpoint = Endpoint(holdFirst: true)
        let limit = Mutex(10)
        let batcher = SQSBatcher<String>(
            maximumEntries: 10, maximumBytes: limit.withLock { $0 }, maximumInFlight: 1, bytes: { $0.utf8.count }
        ) { entries in
            await endpoint.send(entries)
        }
        try await withThrowingTaskGroup(of: AWSError?.self) { group in
            group.addTask { await batcher.submit("0") }
            #expect(await eventually { endpoint.batches.count == 1 })
            for (index, entry) in ["aaaa", "bbbb", "cccc"].enumerated() {
                group.addTask { await batcher.submit(entry) }
                #expect(await eventually { batcher.waitingCount == index + 1 })
            }
            limit.withLock { $0 = 12 }
            endpoint.release()
            for try await outcome in group { #expect(outcome == nil) }
        }
        #expect(endpoint.batches == [["0"], ["aaaa", "bbbb", "cccc"]])
    }

    /// With two batches allowed on their way, one that hangs does not hold up the others.
    @Test func aHeldBatchDoesNotHoldUpTheQueueWhenTwoMayBeOnTheirWay() async throws {
        let endpoint = Endpoint(holdFirst: true)
        let batcher = Self.batcher(endpoint, inFlight: 2)
        try await withThrowingTaskGroup(of: AWSError?.self) { group in
            group.addTask { await batcher.submit("held") }
            #expect(await eventually { endpoint.batches.count == 1 })
            for index in 0..<5 {
                #expect(await batcher.submit("next\(index)") == nil, "answered while the first batch hangs")
            }
            #expect(!batcher.isIdle)
            endpoint.release()
            for try await outcome in group { #expect(outcome == nil) }
        }
        #expect(endpoint.batches.count == 6)
        #expect(batcher.isIdle)
    }

    /// Many callers at once, answered after random pauses: every call returns with its own
    /// outcome, no batch is over ten, and nothing is left waiting.
    @Test func manyCallersAtOnceAllGetTheirOwnOutcome() async {
        let batches = Mutex<[[Int]]>([])
        let batcher = SQSBatcher<Int>(maximumEntries: 10, maximumBytes: .max, bytes: { _ in 1 }) { entries in
            batches.withLock { $0.append(entries) }
            try? await Task.sleep(for: .microseconds(Int.random(in: 0...2_000)))
            return entries.map { $0 % 7 == 0 ? AWSError.validation(.invalidParameterValue, "\($0)") : nil }
        }
        let outcomes = await withTaskGroup(of: (Int, AWSError?).self) { group in
            for value in 0..<500 {
                group.addTask {
                    if value % 3 == 0 { try? await Task.sleep(for: .microseconds(Int.random(in: 0...1_000))) }
                    return (value, await batcher.submit(value))
                }
            }
            var outcomes: [Int: AWSError?] = [:]
            for await (value, outcome) in group { outcomes.updateValue(outcome, forKey: value) }
            return outcomes
        }
        #expect(outcomes.count == 500)
        #expect(outcomes.allSatisfy { value, outcome in (value % 7 == 0) == (outcome?.message == "\(value)") })
        let sent = batches.withLock { $0 }
        #expect(sent.allSatisfy { (1...10).contains($0.count) })
        #expect(sent.joined().sorted() == Array(0..<500), "each entry sent once")
        #expect(sent.count < 500, "some calls went together")
        #expect(batcher.waitingCount == 0)
        #expect(batcher.isIdle)
    }

    /// A task's `replyTo` names any queue: past `idleLimit` queues the idle batchers are
    /// forgotten, one with a batch on its way is kept.
    @Test func idleBatchersAreForgottenPastTheLimitBusyOnesKept() async throws {
        let table = SQSBatchers.Table<String>()
        let held = Endpoint(holdFirst: true)
        let busy = try SQSQueueURL("https://sqs.us-east-1.amazonaws.com/123456789012/busy")
        let busyBatcher = table.batcher(for: busy) { Self.batcher(held) }
        try await withThrowingTaskGroup(of: AWSError?.self) { group in
            group.addTask { await busyBatcher.submit("held") }
            #expect(await eventually { held.batches.count == 1 })
            for index in 1..<SQSBatchers.Table<String>.idleLimit {
                let queue = try SQSQueueURL("https://sqs.us-east-1.amazonaws.com/123456789012/q\(index)")
                _ = table.batcher(for: queue) { Self.batcher(Endpoint(holdFirst: false)) }
            }
            #expect(table.count == SQSBatchers.Table<String>.idleLimit)
            let next = try SQSQueueURL("https://sqs.us-east-1.amazonaws.com/123456789012/next")
            _ = table.batcher(for: next) { Self.batcher(Endpoint(holdFirst: false)) }
            #expect(table.count == 2, "the busy batcher and the new one")
            #expect(table.batcher(for: busy) { Self.batcher(Endpoint(holdFirst: false)) } === busyBatcher)
            held.release()
            for try await outcome in group { #expect(outcome == nil) }
        }
    }
}
