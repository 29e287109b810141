import FoundationEssentials
import Glibc
import JSON
import Logging
import Synchronization

/// The names of candidate task files in `new/`, as an `AsyncSequence`.
///
/// Fed by inotify (milliseconds from a producer's rename to the name being yielded) and by a full
/// rescan every `rescanInterval` that walks the directory in bounded batches, with backpressure: a
/// backlog of 100,000 files never becomes a list of 100,000 names in memory.
///
/// A yielded name stays *in flight* until the caller calls ``release(_:)`` (done with it: claimed
/// and completed, found gone, or failed) or ``markSkipped(_:fingerprint:epoch:)`` (not for this
/// delegate); a name in flight is never yielded twice. Only one `for await` loop should consume
/// the sequence; it ends when ``stop()`` is called. The rescans run in ``run()``, which the owner
/// runs beside the consumer (a child task of its own), so no task outlives the owner.
public final class SpoolWatcher: AsyncSequence, Sendable {
    public typealias Element = String

    public struct AsyncIterator: AsyncIteratorProtocol {
        let watcher: SpoolWatcher

        public mutating func next() async -> String? {
            await watcher.core.next()
        }
    }

    let core: Core
    /// Nil when inotify could not be set up for want of a resource (`fs.inotify.max_user_instances`,
    /// said at the start): tasks are found by the rescan alone, as when the watch is lost later.
    private let inotify: InotifyWatch?

    /// - Parameter lanes: where the rescan's calls on `directory` run (the spool's rescan lane, a
    ///   thread of its own apart from ``Spool/offPool(for:_:)``'s).
    /// - Parameter held: names the caller already handles (tasks recovered at start): in flight
    ///   from the first moment, not yielded, and each offered once when the caller releases it, so
    ///   that a file under its name in `new/` (there at the start, or come since) is looked at then.
    init(
        directory: String, rescanInterval: Duration, skipCacheCapacity: Int, held: [String] = [], logger: Logger,
        logLimiter: LogRateLimiter, inotifyCalls: InotifyWatch.SystemCalls = InotifyWatch.SystemCalls(),
        lanes: BlockingLanes = BlockingLanes(label: "TaskQueue.SpoolWatcher", count: 1)
    ) throws(TaskQueueError) {
        let core = Core(
            directory: directory, rescanInterval: rescanInterval, skipCacheCapacity: skipCacheCapacity, logger: logger,
            logLimiter: logLimiter, lanes: lanes)
        core.state.withLock { state in
            state.inFlight.formUnion(held.map(JSONKey.init))
            state.eventsWhileInFlight.formUnion(held.map(JSONKey.init))
        }
        self.core = core
        // The watch is set up before the first rescan starts, so a file renamed in between is seen
        // by at least one of them. One the user's inotify limits refuse is no reason not to start
        // (the socket and SQS intakes would go down with it): the rescan finds the tasks meanwhile.
        let inotify: InotifyWatch?
        do {
            inotify = try Self.watch(
                directory: directory, core: core, logger: logger, logLimiter: logLimiter, calls: inotifyCalls)
        } catch let error where error.errno.map(InotifyWatch.resourceShortages.contains) == true {
            inotify = nil
            logger.warning(
                """
                inotify cannot be set up (\(error.errnoText)): tasks in the spool are found by the rescan alone \
                (rescan_interval_seconds); EMFILE: raise fs.inotify.max_user_instances (or the unit's LimitNOFILE), \
                then restart the delegate
                """,
                metadata: ["directory": "\(directory)"])
        }
        self.inotify = inotify
        if let number = inotify?.unwatchedAtStart {
            Self.warnUnwatched(number, again: false, directory: directory, logger: logger)
        }
    }

    /// The watch of `new/` feeding `core`.
    private static func watch(
        directory: String, core: Core, logger: Logger, logLimiter: LogRateLimiter, calls: InotifyWatch.SystemCalls
    ) throws(TaskQueueError) -> InotifyWatch {
        try InotifyWatch(
            directory: directory,
            label: "TaskQueue.SpoolWatcher",
            onName: { name in
                if SpoolName.isTaskFileName(name) {
                    core.offerFromEvent(name)
                } else if SpoolName.needsRepair(name.utf8, isUTF8: true) {
                    core.requestRescan()  // renamed there, then offered
                }
            },
            onNameNotUTF8: { bytes in
                // A task under a name that is no UTF-8: the rescan renames it, then offers it.
                if SpoolName.needsRepair(bytes, isUTF8: false) { core.requestRescan() }
            },
            onOverflow: {
                // A producer flooding new/ with renames can make the kernel drop events again and
                // again: limited like every warning a client can bring about.
                logLimiter.warning(
                    "inotify queue overflowed; rescanning the spool", metadata: ["directory": "\(directory)"],
                    key: "spool-inotify-overflow", logger: logger)
                core.requestRescan()
            },
            onDirectoryGone: {
                // Removed or renamed away (an operator replacing new/): the rescan looks at the
                // path, and each pass watches whatever directory is there by then.
                logLimiter.warning(
                    "the spool directory was removed or renamed; watching its path again once it exists",
                    metadata: ["directory": "\(directory)"], key: "spool-directory-gone", logger: logger)
                core.requestRescan()
            },
            calls: calls
        )
    }

    deinit {
        stop()
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(watcher: self)
    }

    /// The caller is done with `name`; it may be yielded again when it (re)appears.
    public func release(_ name: String) {
        core.release(name)
    }

    /// The caller read `name`, decided it is not for this delegate, and leaves it in `new/`.
    ///
    /// Rescans will not yield it again while its fingerprint (inode, size, mtime) is unchanged; a
    /// new inotify event for the name (the file was replaced) yields it again. Also releases it.
    ///
    /// - Parameter epoch: ``skipEpoch`` as it was before the decision was made. If
    ///   ``forgetSkipped()`` came since, the decision may follow the old tags: the file is not
    ///   remembered as skipped, and a rescan looks at it again.
    public func markSkipped(_ name: String, fingerprint: FileFingerprint, epoch: UInt64) {
        core.markSkipped(name, fingerprint: fingerprint, epoch: epoch)
    }

    /// Counts the calls of ``forgetSkipped()``: taken before a task's selectors are matched and
    /// given back to ``markSkipped(_:fingerprint:epoch:)``.
    public var skipEpoch: UInt64 {
        core.state.withLock { $0.skipEpoch }
    }

    /// Forgets which files were skipped and rescans at once: after a reload, tasks left for other
    /// delegates under the old tags or connectors may be this delegate's now.
    public func forgetSkipped() {
        core.state.withLock { state in
            state.skipEpoch &+= 1
            state.skipped.removeAll()
        }
        core.requestRescan()
    }

    /// Rescans every `interval` from now on (a reload). When it changed, a rescan runs at once, so
    /// that a wait under the old interval does not delay the new one.
    public func setRescanInterval(_ interval: Duration) {
        let changed = core.state.withLock { state in
            defer { state.rescanInterval = interval }
            return state.rescanInterval != interval
        }
        if changed { core.requestRescan() }
    }

    /// Asks for a full rescan now instead of at the next interval. Returns the request's number:
    /// the pass that serves it has ended once ``rescansServed`` reaches it. (For tests.)
    @discardableResult
    public func rescanNow() -> UInt64 {
        core.requestRescan()
    }

    /// The number of the last ``rescanNow()`` request whose pass has ended (for tests: what that
    /// pass found is queued by then).
    var rescansServed: UInt64 {
        core.state.withLock { $0.rescansServed }
    }

    /// Rescans `new/` once right away (files that were there before the start) and then every
    /// rescan interval or when asked, until ``stop()`` or until the caller is cancelled.
    public func run() async {
        let inotify = inotify
        let logger = core.logger
        let directory = core.directory
        let failing = Mutex<Int32?>(inotify?.unwatchedAtStart)
        await core.rescanLoop(beforeEachPass: {
            // A new/ that was replaced (or not watched at the start) is watched from this pass on
            // (files that came in between are found by the pass itself).
            guard let inotify else { return }
            failing.withLock { Self.note(inotify.rearm(), failing: &$0, directory: directory, logger: logger) }
        })
    }

    /// Logs what a look at the watched directory found: watched again, or not watchable for
    /// another reason than its absence (said once for each failure in a row; until watched
    /// again, tasks there are found by the rescan alone).
    static func note(_ rearm: InotifyWatch.Rearm, failing: inout Int32?, directory: String, logger: Logger) {
        switch rearm {
        case .moved:
            failing = nil
            logger.notice("watching the spool directory made again", metadata: ["directory": "\(directory)"])
        case .failed(let number) where number != ENOENT && number != ENOTDIR:
            guard failing != number else { return }
            failing = number
            warnUnwatched(number, again: true, directory: directory, logger: logger)
        case .failed, .unchanged:
            break
        }
    }

    /// The warning that `new/` cannot be watched (`number`, the `errno`), at the start or `again`
    /// (once replaced).
    private static func warnUnwatched(_ number: Int32, again: Bool, directory: String, logger: Logger) {
        logger.warning(
            """
            the spool directory cannot be watched\(again ? " again" : "") (\(String(cString: strerror(number)))): \
            tasks there are found by the rescan alone (rescan_interval_seconds) until it can; ENOSPC: raise \
            fs.inotify.max_user_watches
            """,
            metadata: ["directory": "\(directory)"])
    }

    /// Stops watching: inotify is closed, ``run()`` returns, and the sequence finishes.
    public func stop() {
        core.stop()
        inotify?.cancel()
    }

    /// How many names are yielded or waiting to be yielded and not yet released (for tests).
    public var inFlightCount: Int {
        core.state.withLock { $0.inFlight.count }
    }
}
