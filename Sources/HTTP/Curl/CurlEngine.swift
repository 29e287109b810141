import Dispatch
import FoundationEssentials
import Glibc
import Logging
import Synchronization
internal import CCurl
internal import CCurlShim

/// Drives every transfer of one client on one dedicated thread with one curl multi handle.
///
/// Callers hand requests over through a `Mutex`-protected inbox and wake the thread with
/// `curl_multi_wakeup`; the thread adds them to the multi handle, runs `curl_multi_perform`,
/// resumes each caller's continuation when its transfer is done, and sleeps in
/// `curl_multi_poll`. So a thousand requests in flight cost one thread, not a thousand.
///
/// `@unchecked Sendable`: the inbox is behind a `Mutex`; `multi.wakeup()` is thread-safe;
/// every other stored property (`active`, `idle`, the share handle, the easy handles) is
/// touched only by the engine thread, after `start()`.
final class CurlEngine: @unchecked Sendable {
    /// What callers hand the engine thread. Internal for its tests.
    struct Inbox {
        var submitted: [PendingRequest] = []
        /// Held, not named by `ObjectIdentifier`: a request freed before the engine thread got
        /// to its cancel could leave its address to a new request, which would then be aborted.
        var cancelled: [PendingRequest] = []
        var stopping = false
        /// A wakeup was sent since the engine thread last took the inbox: the thread will see
        /// what is added now without another one (a wakeup is a write to curl's socket pair).
        var wakeupSent = false

        /// Whether the caller must wake the thread for what it just added.
        mutating func needsWakeup() -> Bool {
            defer { wakeupSent = true }
            return !wakeupSent
        }

        /// What the engine thread takes: everything added so far. The next addition wakes it.
        mutating func take() -> (submitted: [PendingRequest], cancelled: [PendingRequest], stopping: Bool) {
            defer {
                submitted.removeAll()
                cancelled.removeAll()
                wakeupSent = false
            }
            return (submitted, cancelled, stopping)
        }
    }

    private let inbox = Mutex(Inbox())
    private let multi: CurlMultiHandle
    private let share: CurlShareHandle
    private let configuration: CurlHTTPClient.Configuration
    private let logger: Logger
    private let exited = DispatchSemaphore(value: 0)

    // Engine thread only.
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    private var activeByRequest: [ObjectIdentifier: UnsafeMutableRawPointer] = [:]
    private var idle: [CurlEasyHandle] = []
    private var backoff = CurlLoopBackoff()
    private var performBackoff = CurlLoopBackoff()
    private static let maxIdleHandles = 32

    init(configuration: CurlHTTPClient.Configuration, logger: Logger) throws(HTTPClientError) {
        try CurlGlobal.ensureInitialized()
        self.configuration = configuration
        self.logger = logger
        self.multi = try CurlMultiHandle(
            maxConnectionsPerHost: configuration.maxConnectionsPerHost,
            maxCachedConnections: configuration.maxCachedConnections
        )
        self.share = try CurlShareHandle()
    }

    /// Starts the engine thread, named `curl-multi`. The thread keeps the engine alive until
    /// `shutdown()`. If the thread cannot start, `shutdown()` returns at once.
    func start() throws(HTTPClientError) {
        let error = DetachedThread.start(name: "curl-multi") { [self] in
            self.run()
        }
        guard error == 0 else {
            exited.signal()
            let reason = String(cString: strerror(error))
            throw HTTPClientError(code: .other, message: "could not start the curl thread: \(reason)")
        }
    }

    func submit(_ request: PendingRequest) {
        let (accepted, wake) = inbox.withLock { inbox in
            guard !inbox.stopping else { return (false, false) }
            inbox.submitted.append(request)
            return (true, inbox.needsWakeup())
        }
        if !accepted {
            request.finish(.failure(.clientShutDown))
        } else if wake {
            multi.wakeup()
        }
    }

    /// Asks the engine thread to drop the request's transfer (its caller has already been answered).
    func cancel(_ request: PendingRequest) {
        let wake = inbox.withLock { inbox in
            guard !inbox.stopping else { return false }
            inbox.cancelled.append(request)
            return inbox.needsWakeup()
        }
        if wake { multi.wakeup() }
    }

    /// Stops the thread: transfers in flight and queued requests fail with `.cancelled`.
    /// Waits for the thread to finish; safe to call more than once and from any thread
    /// other than the engine thread.
    func shutdown() {
        inbox.withLock { $0.stopping = true }
        multi.wakeup()
        exited.wait()
        exited.signal()  // let any other waiter through as well
    }

    // MARK: Engine thread

    private func run() {
        logger.debug("curl engine started")
        while true {
            let (submitted, cancelled, stopping) = inbox.withLock { $0.take() }
            if stopping {
                for request in submitted { request.finish(.failure(.clientShutDown)) }
                break
            }
            for request in submitted { begin(request) }
            for request in cancelled { abort(request) }

            var running: Int32 = 0
            let performCode = ccurlshim_multi_perform(multi.raw, &running)
            // A failing perform need not pause the loop (the poll waits), but its warning is
            // thinned out the same way: 1st, 2nd, 4th, ... failure in a row.
            if performBackoff.record(failed: performCode != CURLM_OK).log {
                logger.warning(
                    "curl_multi_perform failed",
                    metadata: ["code": "\(performCode.rawValue)", "failures_in_a_row": "\(performBackoff.failures)"])
            }
            collectFinished()

            var ready: Int32 = 0
            let pollCode = ccurlshim_multi_poll(multi.raw, nil, 0, 1000, &ready)
            let step = backoff.record(failed: pollCode != CURLM_OK)
            if step.log {
                logger.warning(
                    "curl_multi_poll failed; pausing the engine before the next turn",
                    metadata: ["code": "\(pollCode.rawValue)", "failures_in_a_row": "\(backoff.failures)"])
            }
            if let failures = step.recoveredAfter {
                logger.notice("curl_multi_poll works again", metadata: ["failures_in_a_row": "\(failures)"])
            }
            if let pause = step.pause { self.pause(pause) }
        }
        tearDown()
        logger.debug("curl engine stopped")
        exited.signal()
    }

    /// Sleeps for `duration` in 10 ms steps, ending early at a stop (whose wakeup a failing
    /// poll may not deliver), so that `shutdown()` waits 10 ms at most for a pause.
    private func pause(_ duration: Duration) {
        var left = duration
        while left > .zero, !inbox.withLock({ $0.stopping }) {
            let step = min(left, CurlLoopBackoff.firstPause)
            let (seconds, attoseconds) = step.components
            usleep(useconds_t(seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
            left -= step
        }
    }

    private func begin(_ request: PendingRequest) {
        guard !request.isFinished else { return }  // cancelled while queued
        let easy: CurlEasyHandle
        if let reused = idle.popLast() {
            easy = reused
        } else {
            do throws(HTTPClientError) {
                easy = try CurlEasyHandle()
            } catch {
                request.finish(.failure(error))
                return
            }
        }
        do throws(HTTPClientError) {
            let transfer = try CurlTransfer(pending: request, easy: easy, share: share, configuration: configuration)
            let code = ccurlshim_multi_add_handle(multi.raw, easy.raw)
            guard code == CURLM_OK else {
                throw HTTPClientError(
                    code: .other, message: "curl_multi_add_handle failed: \(String(cString: ccurlshim_multi_strerror(code)))"
                )
            }
            active[easy.raw] = transfer
            activeByRequest[ObjectIdentifier(request)] = easy.raw
        } catch {
            recycle(easy)
            request.finish(.failure(error))
        }
    }

    private func abort(_ request: PendingRequest) {
        let id = ObjectIdentifier(request)
        guard let raw = activeByRequest[id], let transfer = active[raw], transfer.pending === request else {
            return  // already finished
        }
        activeByRequest.removeValue(forKey: id)
        active.removeValue(forKey: raw)
        ccurlshim_multi_remove_handle(multi.raw, raw)
        recycle(transfer.easy)
        transfer.pending.finish(.failure(.cancelledRequest))
    }

    private func collectFinished() {
        var remaining: Int32 = 0
        while let message = ccurlshim_multi_info_read(multi.raw, &remaining) {
            guard ccurlshim_msg_is_done(message) != 0, let raw = message.pointee.easy_handle else { continue }
            let code = ccurlshim_msg_result(message)  // read before remove_handle invalidates it
            guard let transfer = active.removeValue(forKey: raw) else { continue }
            activeByRequest.removeValue(forKey: ObjectIdentifier(transfer.pending))
            let outcome = transfer.outcome(for: code)
            ccurlshim_multi_remove_handle(multi.raw, raw)
            recycle(transfer.easy)
            if case .failure(let error) = outcome {
                logger.debug("HTTP request failed", metadata: ["error": "\(error)"])
            }
            transfer.pending.finish(outcome)
        }
    }

    private func recycle(_ easy: CurlEasyHandle) {
        easy.reset()
        if idle.count < Self.maxIdleHandles {
            idle.append(easy)
        }
    }

    private func tearDown() {
        for (raw, transfer) in active {
            ccurlshim_multi_remove_handle(multi.raw, raw)
            transfer.pending.finish(.failure(.clientShutDown))
        }
        active.removeAll()
        activeByRequest.removeAll()
        idle.removeAll()
    }
}
