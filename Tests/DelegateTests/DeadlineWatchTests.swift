import AWSCore
import Synchronization
import TestSupport
import Testing

@testable import Delegate

/// The shared deadline timer and `Deadline.run` on it. Deadlines here are short real durations;
/// nothing asserts how long anything took (the machine is shared): only what was cancelled,
/// what was reported, and that nothing is held afterwards.
@Suite struct DeadlineWatchTests {
    @Test func anOperationPastItsDeadlineIsCancelledAndReportedAsExpired() async {
        let watch = DeadlineWatch()
        let cancelled = Mutex(0)
        let ticket = watch.watch(for: .milliseconds(150)) { cancelled.withLock { $0 += 1 } }
        #expect(watch.isTicking)
        #expect(await eventually(within: .seconds(90)) { cancelled.withLock { $0 } == 1 })
        #expect(watch.finish(ticket), "finished after its deadline: expired")
        #expect(watch.held == 0)
        #expect(await eventually(within: .seconds(90)) { !watch.isTicking }, "the timer stops when nothing is watched")
        #expect(cancelled.withLock { $0 } == 1, "cancelled once")
    }

    @Test func operationsThatFinishInTimeAreNeverCancelledAndNothingIsHeld() async throws {
        let watch = DeadlineWatch()
        let cancelled = Mutex(0)
        // Deadlines spread over many ticks, some sharing one, all given back before they pass.
        let tickets = (0..<500).map { i in
            watch.watch(for: .seconds(30) + .milliseconds(i * 7)) { cancelled.withLock { $0 += 1 } }
        }
        #expect(watch.held == 500)
        for ticket in tickets { #expect(!watch.finish(ticket)) }
        #expect(watch.held == 0)
        #expect(await eventually(within: .seconds(90)) { !watch.isTicking })
        #expect(cancelled.withLock { $0 } == 0)
        // A ticket given back twice is not mistaken for an expired one.
        #expect(!watch.finish(tickets[0]))
    }

    @Test func onlyTheOperationsWhoseDeadlinesPassedAreCancelled() async {
        let watch = DeadlineWatch()
        let cancelled = Mutex<Set<Int>>([])
        let short = (0..<3).map { i in watch.watch(for: .milliseconds(50 * i)) { _ = cancelled.withLock { $0.insert(i) } } }
        let long = watch.watch(for: .seconds(60)) { _ = cancelled.withLock { $0.insert(99) } }
        #expect(await eventually(within: .seconds(90)) { cancelled.withLock { $0 } == [0, 1, 2] })
        for ticket in short { #expect(watch.finish(ticket)) }
        #expect(watch.isTicking, "one operation is still watched")
        #expect(!watch.finish(long))
        #expect(cancelled.withLock { $0 } == [0, 1, 2])
        #expect(watch.held == 0)
    }

    @Test func theTimerStartsAgainForOperationsWatchedAfterAnIdlePause() async {
        let watch = DeadlineWatch()
        _ = watch.finish(watch.watch(for: .seconds(5)) {})
        #expect(await eventually(within: .seconds(90)) { !watch.isTicking })
        let cancelled = Mutex(false)
        let ticket = watch.watch(for: .milliseconds(100)) { cancelled.withLock { $0 = true } }
        #expect(await eventually(within: .seconds(90)) { cancelled.withLock { $0 } })
        #expect(watch.finish(ticket))
    }

    /// What `Deadline.run` (1 s deadline, `remaining` left) reports for an operation that keeps
    /// going until the deadline cancels it and then throws `failure`; the watch holds nothing
    /// afterwards.
    func errorOfAnOperationCutOff(remaining: Duration, throwing failure: AWSError) async -> AWSError? {
        let watch = DeadlineWatch()
        defer { #expect(watch.held == 0) }
        do {
            _ = try await Deadline.run(seconds: 1, remaining: remaining, watch: watch) {
                () async throws(AWSError) -> Int in
                while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(20)) }
                throw failure
            }
            Issue.record("the operation cannot succeed")
            return nil
        } catch {
            return error
        }
    }

    /// An answer that came as the deadline passed (AWS refused, here) is the task's answer, not
    /// a DeadlineExceeded that would invite a retry of what cannot succeed.
    @Test func aFailureOfItsOwnAtTheDeadlineIsReportedAsItIs() async {
        let error = await errorOfAnOperationCutOff(
            remaining: .milliseconds(100),
            throwing: AWSError(
                kind: .service, code: .accessDeniedException, message: "not allowed", retryable: false, attempts: 1))
        #expect(error?.code == .accessDeniedException)
        #expect(error?.retryable == false)
    }

    /// The operation stands for an HTTP transfer: it ends (with the attempts it made) once cancelled.
    @Test func runReportsDeadlineExceededWithTheAttemptsOfTheCancelledOperation() async {
        let error = await errorOfAnOperationCutOff(
            remaining: .milliseconds(200),
            throwing: AWSError(kind: .transport, code: .cancelled, message: "aborted", retryable: true, attempts: 2))
        #expect(error?.code == .deadlineExceeded)
        #expect(error?.attempts == 2)
        #expect(error?.message == "the task did not finish within its deadline of 1 s")
    }

    @Test func runReturnsAValueThatArrivesInTimeAndLeavesTheCallerUncancelled() async throws {
        let watch = DeadlineWatch()
        let value = try await Deadline.run(seconds: 60, remaining: .seconds(60), watch: watch) {
            () async throws(AWSError) -> Int in 42
        }
        #expect(value == 42)
        #expect(!Task.isCancelled)
        #expect(watch.held == 0)
    }

    @Test func runPassesOnTheOperationsOwnFailure() async {
        let watch = DeadlineWatch()
        do {
            _ = try await Deadline.run(seconds: 60, remaining: .seconds(60), watch: watch) {
                () async throws(AWSError) -> Int in
                throw AWSError(kind: .service, code: AWSError.Code(rawValue: "AccessDeniedException"), message: "no",
                               retryable: false, attempts: 1)
            }
            Issue.record("the operation failed")
        } catch {
            #expect(error.code.rawValue == "AccessDeniedException")
        }
    }

    /// The operation runs with its deadline as `AWSCallDeadline.current`, so that AWS calls make
    /// no retry that could only be cut off; outside `run` there is none.
    @Test func runGivesTheOperationItsDeadlineForAWSRetries() async throws {
        let before = SuspendingClock.now
        let deadline = try await Deadline.run(seconds: 60, remaining: .seconds(42), watch: DeadlineWatch()) {
            () async throws(AWSError) -> SuspendingClock.Instant? in AWSCallDeadline.current
        }
        let given = try #require(deadline)
        #expect(given >= before + .seconds(42) && given <= SuspendingClock.now + .seconds(42))
        #expect(AWSCallDeadline.current == nil)
    }

    /// What `Deadline.run` reports when its caller is cancelled while the operation runs; the
    /// operation waits for the cancellation, then throws `failure`.
    func errorOfACancelledCaller(operationThrows failure: AWSError, watch: DeadlineWatch) async -> AWSError? {
        let started = Mutex(false)
        let caller = Task { () async -> AWSError? in
            do throws(AWSError) {
                _ = try await Deadline.run(seconds: 60, remaining: .seconds(60), watch: watch) {
                    () async throws(AWSError) -> Int in
                    started.withLock { $0 = true }
                    while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(20)) }
                    throw failure
                }
                return nil
            } catch {
                return error
            }
        }
        #expect(await eventually(within: .seconds(90)) { started.withLock { $0 } })
        caller.cancel()
        return await caller.value
    }

    @Test func cancellingTheCallerCancelsTheOperationAndReportsCancelled() async {
        let watch = DeadlineWatch()
        let error = await errorOfACancelledCaller(
            operationThrows: AWSError(kind: .transport, code: .cancelled, message: "aborted", retryable: true, attempts: 1),
            watch: watch)
        #expect(error?.code == .cancelled)
        #expect(error?.message == "the task was cancelled (the delegate is stopping)")
        #expect(error?.attempts == 1)
        #expect(watch.held == 0)
    }

    /// A stop that comes while the operation fails on its own does not turn that failure into a
    /// retryable `Cancelled`.
    @Test func anOperationsOwnFailureIsKeptWhenTheCallerIsCancelled() async {
        let error = await errorOfACancelledCaller(
            operationThrows: AWSError(
                kind: .service, code: AWSError.Code(rawValue: "AccessDeniedException"), message: "no",
                retryable: false, attempts: 1),
            watch: DeadlineWatch())
        #expect(error?.code.rawValue == "AccessDeniedException")
        #expect(error?.retryable == false)
    }

    @Test func aDeadlinePassedBeforeTheStartRunsNothing() async {
        let watch = DeadlineWatch()
        let ran = Mutex(false)
        do {
            _ = try await Deadline.run(seconds: 5, waited: .seconds(6), remaining: .seconds(-1), watch: watch) {
                () async throws(AWSError) -> Int in
                ran.withLock { $0 = true }
                return 1
            }
        } catch {
            #expect(error.code == .deadlineExceeded)
            #expect(error.attempts == 0)
        }
        #expect(!ran.withLock { $0 })
        #expect(!watch.isTicking)
    }
}
