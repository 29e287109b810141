import Foundation
import Logging
import Synchronization
import TestSupport
import Testing

@testable import TaskQueue

@Suite struct LogRateLimiterTests {
    @Test func theFirstEventsOfAKeyPassAndTheRestAreSummarisedWhenTheWindowEnds() {
        let clock = ManualMonotonicClock()
        let recorder = LogRecorder()
        let limiter = LogRateLimiter(burst: 2, interval: .seconds(10), now: { clock.now })
        for index in 0..<1000 {
            limiter.warning("peer refused", metadata: ["n": "\(index)"], key: "refused", logger: recorder.logger())
        }
        #expect(recorder.records.count == 2)
        limiter.flush()
        #expect(recorder.records.count == 2, "the window has not ended yet")
        clock.advance(by: .seconds(10))
        limiter.flush()
        #expect(recorder.records.count == 3)
        let summary = recorder.records.last ?? ""
        #expect(summary.hasPrefix("warning peer refused (998 more suppressed)"), "got: \(summary)")
        #expect(summary.contains("suppressed=998"))
        #expect(summary.contains("n=999"), "the summary repeats the last suppressed event")
        // A new window starts afresh.
        limiter.warning("peer refused", key: "refused", logger: recorder.logger())
        #expect(recorder.records.count == 4)
    }

    /// At a close or a stop every open window is summarised: no suppressed count goes with the
    /// process.
    @Test func aFinalFlushSummarisesWindowsStillOpen() {
        let clock = ManualMonotonicClock()
        let recorder = LogRecorder()
        let limiter = LogRateLimiter(burst: 1, interval: .seconds(10), now: { clock.now })
        for _ in 0..<5 { limiter.warning("peer refused", key: "refused", logger: recorder.logger()) }
        limiter.flush()
        #expect(recorder.records.count == 1, "the window has not ended")
        limiter.flush(all: true)
        #expect(recorder.records.last == "warning peer refused (4 more suppressed) suppressed=4")
        #expect(limiter.suppressedCount(key: "refused") == 0)
    }

    @Test func theSummaryComesBeforeTheNextEventWhenNothingFlushed() {
        let clock = ManualMonotonicClock()
        let recorder = LogRecorder()
        let limiter = LogRateLimiter(burst: 1, interval: .seconds(5), now: { clock.now })
        for _ in 0..<3 { limiter.warning("line too long", key: "long", logger: recorder.logger()) }
        clock.advance(by: .seconds(6))
        limiter.warning("line too long", key: "long", logger: recorder.logger())
        #expect(
            recorder.records == [
                "warning line too long ", "warning line too long (2 more suppressed) suppressed=2",
                "warning line too long ",
            ])
    }

    @Test func keysAreCountedSeparatelyAndQuietKeysAreNotSummarised() {
        let clock = ManualMonotonicClock()
        let recorder = LogRecorder()
        let limiter = LogRateLimiter(burst: 1, interval: .seconds(1), now: { clock.now })
        limiter.warning("a", key: "a", logger: recorder.logger())
        limiter.warning("b", key: "b", logger: recorder.logger())
        limiter.warning("a", key: "a", logger: recorder.logger())
        #expect(recorder.records.count == 2)
        #expect(limiter.suppressedCount(key: "a") == 1)
        #expect(limiter.suppressedCount(key: "b") == 0)
        clock.advance(by: .seconds(1))
        limiter.flush()
        #expect(recorder.records.count == 3)
        #expect(recorder.records.last == "warning a (1 more suppressed) suppressed=1")
        clock.advance(by: .seconds(1))
        limiter.flush()
        #expect(recorder.records.count == 3)
    }

    /// A summary being written and a new line of its key come in the order they were decided:
    /// the summary of a window that ended (a queue's suppressed recovery) never lands after the
    /// first line of the next (its failing again), which would leave the journal's last word
    /// wrong.
    @Test(.timeLimit(.minutes(1))) func aSummaryAndTheNextLineOfItsKeyAreWrittenInTheirOrder() async throws {
        let clock = ManualMonotonicClock()
        let limiter = LogRateLimiter(burst: 1, interval: .seconds(10), now: { clock.now })
        let lines = Mutex<[String]>([])
        let entered = DispatchSemaphore(value: 0)
        let proceed = DispatchSemaphore(value: 0)
        let logger = Logger(label: "test") { _ in
            ClosureLogHandler { _, message, metadata in
                // The summary takes a while to write.
                if metadata["suppressed"] != nil {
                    entered.signal()
                    proceed.wait()
                }
                lines.withLock { $0.append("\(message)") }
            }
        }
        limiter.log(.error, "failing", key: "state", logger: logger)
        limiter.log(.notice, "recovered", key: "state", logger: logger)
        clock.advance(by: .seconds(10))
        async let flushed: Void = offPool { limiter.flush() }
        try await offPool { entered.wait() }
        let logging = DispatchSemaphore(value: 0)
        async let logged: Void = offPool {
            logging.signal()
            limiter.log(.error, "failing again", key: "state", logger: logger)
        }
        try await offPool { logging.wait() }
        try await Task.sleep(for: .milliseconds(300))
        proceed.signal()
        _ = try await (flushed, logged)
        #expect(lines.withLock { $0 } == ["failing", "recovered (1 more suppressed)", "failing again"])
    }
}
