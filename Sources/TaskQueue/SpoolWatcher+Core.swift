import FoundationEssentials
import Glibc
import JSON
import Logging
import Synchronization

extension SpoolWatcher {
    /// The shared state behind the watcher, owned by the inotify handler, the rescan task and the consumer.
    final class Core: Sendable {
        /// How many of its names a rescan queues ahead of the consumer before it waits.
        static let rescanAhead = 128
        /// How many names inotify may queue; beyond that events are dropped and the rescan finds them.
        static let eventAhead = 8_192
        static let batchSize = 256

        struct State {
            var pending: [String] = []
            var pendingHead = 0
            var inFlight: Set<JSONKey> = []
            /// Names in flight that inotify reported again meanwhile (a new file under a name whose
            /// task still runs): offered again once released.
            var eventsWhileInFlight: Set<JSONKey> = []
            /// How many times the skipped files were forgotten (``SpoolWatcher/forgetSkipped()``).
            var skipEpoch: UInt64 = 0
            var consumers: [(id: UInt64, continuation: CheckedContinuation<String?, Never>)] = []
            /// The rescan's wait for room in `pending`, by the id that its cancellation finds it by.
            var producers: [(id: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
            var nextID: UInt64 = 0
            var skipped: SkipCache
            var rescanInterval: Duration
            var stopped = false
            var rescanRequested = false
            /// ``SpoolWatcher/rescanNow()`` requests so far, and the last one whose pass ended.
            var rescanRequests: UInt64 = 0
            var rescansServed: UInt64 = 0
            var wake: CheckedContinuation<Void, Never>?

            /// Names ever queued in `pending` and taken from it, and the places (in that count)
            /// of the rescan's names still pending, from `rescanPlacesHead` on: the rescan waits
            /// while ``Core/rescanAhead`` of its own names are pending, not of all names: under a
            /// steady flood of events (never fewer than that many queued) the rescan, which alone
            /// finds the names dropped when the queue was full, would otherwise wait for good.
            var queuedTotal = 0
            var takenTotal = 0
            var rescanPlaces: [Int] = []
            var rescanPlacesHead = 0

            var pendingCount: Int { pending.count - pendingHead }
            var rescanIsAhead: Bool { rescanPlaces.count - rescanPlacesHead >= Core.rescanAhead }

            mutating func popPending() -> String? {
                guard pendingHead < pending.count else { return nil }
                let name = pending[pendingHead]
                pendingHead += 1
                takenTotal += 1
                while rescanPlacesHead < rescanPlaces.count, rescanPlaces[rescanPlacesHead] < takenTotal {
                    rescanPlacesHead += 1
                }
                if rescanPlacesHead > 256, rescanPlacesHead * 2 > rescanPlaces.count {
                    rescanPlaces.removeFirst(rescanPlacesHead)
                    rescanPlacesHead = 0
                }
                if pendingHead > 1024, pendingHead * 2 > pending.count {
                    pending.removeFirst(pendingHead)
                    pendingHead = 0
                }
                return name
            }

            /// Takes the rescan loop's wait, if it waits, for the caller to resume after the lock.
            mutating func takeWake() -> CheckedContinuation<Void, Never>? {
                defer { wake = nil }
                return wake
            }

            /// Hands `name` to a waiting consumer or queues it. Returns a continuation to resume.
            mutating func deliver(_ name: String) -> CheckedContinuation<String?, Never>? {
                inFlight.insert(JSONKey(name))
                if !consumers.isEmpty {
                    return consumers.removeFirst().continuation
                }
                pending.append(name)
                queuedTotal += 1
                return nil
            }
        }

        let directory: String
        let logger: Logger
        let logLimiter: LogRateLimiter
        let state: Mutex<State>
        /// Where the rescan's calls on `new/` run (the listing, the looks at skipped files, the
        /// renames): off the cooperative pool, which a file system that hangs must not hold.
        let lanes: BlockingLanes

        init(
            directory: String, rescanInterval: Duration, skipCacheCapacity: Int, logger: Logger,
            logLimiter: LogRateLimiter, lanes: BlockingLanes
        ) {
            self.directory = directory
            self.logger = logger
            self.logLimiter = logLimiter
            self.lanes = lanes
            self.state = Mutex(
                State(skipped: SkipCache(capacity: skipCacheCapacity), rescanInterval: rescanInterval))
        }

        // MARK: Consumer

        func next() async -> String? {
            let id = state.withLock { state in
                state.nextID += 1
                return state.nextID
            }
            return await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
                    enum Action {
                        case resume(String?)
                        case wait
                    }
                    var producer: CheckedContinuation<Void, Never>? = nil
                    let action: Action = state.withLock { state in
                        if let name = state.popPending() {
                            if !state.producers.isEmpty { producer = state.producers.removeFirst().continuation }
                            return .resume(name)
                        }
                        if state.stopped || Task.isCancelled { return .resume(nil) }
                        state.consumers.append((id, continuation))
                        return .wait
                    }
                    producer?.resume()
                    if case .resume(let name) = action { continuation.resume(returning: name) }
                }
            } onCancel: {
                let waiting = state.withLock { state -> CheckedContinuation<String?, Never>? in
                    guard let index = state.consumers.firstIndex(where: { $0.id == id }) else { return nil }
                    return state.consumers.remove(at: index).continuation
                }
                waiting?.resume(returning: nil)
            }
        }

        func release(_ name: String) {
            let reported = state.withLock { state in
                state.inFlight.remove(JSONKey(name))
                return state.eventsWhileInFlight.remove(JSONKey(name)) != nil
            }
            // A file that came under this name while it was in flight is offered now, not at the
            // next rescan.
            if reported { offerFromEvent(name) }
        }

        func markSkipped(_ name: String, fingerprint: FileFingerprint, epoch: UInt64) {
            let (decidedBeforeAReload, reported) = state.withLock { state in
                state.inFlight.remove(JSONKey(name))
                let reported = state.eventsWhileInFlight.remove(JSONKey(name)) != nil
                guard state.skipEpoch == epoch, !reported else { return (true, reported) }
                state.skipped.insert(name, fingerprint: fingerprint)
                return (false, reported)
            }
            if reported {
                offerFromEvent(name)
            } else if decidedBeforeAReload {
                // The reload's own rescan may have passed over it while it was in flight.
                requestRescan()
            }
        }

        func stop() {
            let (consumers, producers, wake) = state.withLock { state in
                state.stopped = true
                defer {
                    state.consumers = []
                    state.producers = []
                    state.wake = nil
                }
                return (state.consumers.map(\.continuation), state.producers.map(\.continuation), state.wake)
            }
            for consumer in consumers { consumer.resume(returning: nil) }
            for producer in producers { producer.resume() }
            wake?.resume()
        }

        // MARK: inotify

        /// A name reported by inotify: always a fresh event, so it bypasses the skip cache.
        func offerFromEvent(_ name: String) {
            let (consumer, wake) = state.withLock {
                state -> (CheckedContinuation<String?, Never>?, CheckedContinuation<Void, Never>?) in
                state.skipped.remove(name)
                guard !state.stopped else { return (nil, nil) }
                guard !state.inFlight.contains(JSONKey(name)) else {
                    state.eventsWhileInFlight.insert(JSONKey(name))
                    return (nil, nil)
                }
                guard state.pendingCount < Self.eventAhead else {
                    // Too many names ahead: a rescan finds this one, and it starts now rather than
                    // at the next interval.
                    state.rescanRequested = true
                    return (nil, state.takeWake())
                }
                return (state.deliver(name), nil)
            }
            wake?.resume()
            consumer?.resume(returning: name)
        }

        // MARK: Rescan

        @discardableResult
        func requestRescan() -> UInt64 {
            let (request, wake) = state.withLock { state in
                state.rescanRequested = true
                state.rescanRequests += 1
                return (state.rescanRequests, state.takeWake())
            }
            wake?.resume()
            return request
        }

        func rescanLoop(beforeEachPass: @escaping @Sendable () -> Void = {}) async {
            while !Task.isCancelled, !state.withLock({ $0.stopped }) {
                _ = await lanes.runUnlessCancelled(beforeEachPass)
                await rescanPass()
                await waitForNextPass(interval: state.withLock { $0.rescanInterval })
            }
        }

        /// Sleeps for `interval` or until a rescan is requested, whichever comes first.
        private func waitForNextPass(interval: Duration) async {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { try? await Task.sleep(for: interval) }
                group.addTask { await self.waitForWake() }
                await group.next()
                group.cancelAll()
            }
        }

        private func waitForWake() async {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state in
                        if state.rescanRequested || state.stopped || Task.isCancelled { return true }
                        state.wake = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                state.withLock { $0.takeWake() }?.resume()
            }
        }

        /// One full walk of the directory.
        func rescanPass() async {
            let serving = state.withLock { state in
                state.rescanRequested = false
                state.skipped.beginPass()
                return state.rescanRequests
            }
            defer { state.withLock { $0.rescansServed = Swift.max($0.rescansServed, serving) } }
            // (Given up at the stop, which does not wait for a file system that hangs.)
            guard case .success(let listing?) = await lanes.runUnlessCancelled({ self.openListing() }) else { return }
            while !Task.isCancelled {
                guard case .success(let names?) = await lanes.runUnlessCancelled({ self.nextNames(listing) }) else {
                    return
                }
                for name in names {
                    guard await offerFromRescan(name) else { return }
                }
            }
        }

        /// `new/`'s listing for a pass, read one batch at a time (``nextNames(_:)``), each on a
        /// lane: one pass at a time uses it.
        final class Listing: @unchecked Sendable {
            let reader: DirectoryReader
            init(_ reader: DirectoryReader) { self.reader = reader }
        }

        /// `new/` opened for a pass; nil (said, rate-limited: failures come back at every pass
        /// while they last) when it is missing or cannot be listed.
        private func openListing() -> Listing? {
            do {
                guard let opened = try DirectoryReader(path: directory) else {
                    logLimiter.warning(
                        "spool directory is missing", metadata: ["directory": "\(directory)"], key: "spool-new-missing",
                        logger: logger)
                    return nil
                }
                return Listing(opened)
            } catch {
                logLimiter.log(
                    .error, "cannot scan the spool", metadata: ["error": "\(error)"], key: "spool-scan-failed",
                    logger: logger)
                return nil
            }
        }

        /// The next batch of `listing`'s names to offer (names to repair renamed first; files
        /// skipped and unchanged since left out); nil at the end of the pass, or when the
        /// listing fails.
        private func nextNames(_ listing: Listing) -> [String]? {
            let batch: [DirectoryReader.Entry]
            do {
                batch = try listing.reader.next(limit: Self.batchSize)
            } catch {
                logLimiter.log(
                    .error, "cannot scan the spool", metadata: ["error": "\(error)"], key: "spool-scan-failed",
                    logger: logger)
                return nil
            }
            if batch.isEmpty {
                state.withLock { $0.skipped.endPass() }
                return nil
            }
            for entry in batch {
                // Only what would be a task with a usable name: `*.json`, not hidden.
                if let raw = entry.invalidUTF8Name {
                    if SpoolName.needsRepair(raw, isUTF8: false) { repairName(raw) }
                } else if SpoolName.needsRepair(entry.name.utf8, isUTF8: true) {
                    repairName(Array(entry.name.utf8))
                }
            }
            return batch.compactMap { entry in
                guard entry.invalidUTF8Name == nil, SpoolName.isTaskFileName(entry.name), !isUnchangedSkip(entry.name)
                else { return nil }
                return entry.name
            }
        }

        /// A name that is not UTF-8 cannot be claimed or reported by name, and one longer than
        /// ``SpoolName/maximumTaskFileNameBytes`` leaves no room for what is kept beside a claimed
        /// task: rename it (by its bytes)
        /// to ``SpoolName/repairedName(_:)``, which the next pass picks up like any task, so that it too
        /// ends as a result or a rejection. One warning per entry, rate-limited (a producer can
        /// make any number); an entry at the new name already (the last one of that name, not yet
        /// judged) leaves this one for a later pass.
        private func repairName(_ raw: [UInt8]) {
            let newName = SpoolName.repairedName(raw)
            let why =
                String(validating: raw, as: UTF8.self) == nil
                ? "is not UTF-8" : "is longer than \(SpoolName.maximumTaskFileNameBytes) bytes"
            do {
                if try DirectoryReader.rename(in: directory, raw, to: newName) {
                    logLimiter.warning(
                        "a spool entry's name \(why); renamed it to \(newName) so it can be judged",
                        metadata: ["event": "spool_layout", "path": "\(directory)/\(newName)"],
                        key: "spool-name-not-utf8", logger: logger)
                    state.withLock { $0.rescanRequested = true }
                }
            } catch {
                logLimiter.log(
                    .error, "a spool entry's name \(why) and it cannot be renamed: \(error)",
                    metadata: ["event": "spool_layout"], key: "spool-name-not-utf8-kept", logger: logger)
            }
        }

        /// True when `name` was skipped and its file has not changed since.
        private func isUnchangedSkip(_ name: String) -> Bool {
            guard let remembered = state.withLock({ $0.skipped.fingerprint(of: name) }) else { return false }
            let current = (try? FileIO.lstat(directory + "/" + name)).flatMap { $0 }.map(FileFingerprint.init)
            return state.withLock { state in
                if current == remembered {
                    state.skipped.touch(name)
                    return true
                }
                state.skipped.remove(name)
                return false
            }
        }

        /// Queues a name found by the rescan, waiting while the consumer is behind. False once
        /// stopped or cancelled.
        private func offerFromRescan(_ name: String) async -> Bool {
            while true {
                enum Outcome {
                    case done(CheckedContinuation<String?, Never>?)
                    case stopped
                    case full
                }
                let outcome: Outcome = state.withLock { state in
                    if state.stopped { return .stopped }
                    if state.inFlight.contains(JSONKey(name)) {
                        // A file under a name still in flight: maybe one whose event was lost (an
                        // inotify overflow, a hard link), offered once the name is released.
                        state.eventsWhileInFlight.insert(JSONKey(name))
                        return .done(nil)
                    }
                    if state.rescanIsAhead { return .full }
                    let place = state.queuedTotal
                    let consumer = state.deliver(name)
                    if consumer == nil { state.rescanPlaces.append(place) }
                    return .done(consumer)
                }
                switch outcome {
                case .stopped:
                    return false
                case .done(let consumer):
                    consumer?.resume(returning: name)
                    return true
                case .full:
                    guard !Task.isCancelled else { return false }
                    await waitForRoom()
                }
            }
        }

        /// Waits until the consumer takes one of the rescan's names, the watcher stops or this task
        /// is cancelled.
        private func waitForRoom() async {
            let id = state.withLock { state in
                state.nextID += 1
                return state.nextID
            }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state in
                        if state.stopped || Task.isCancelled || !state.rescanIsAhead { return true }
                        state.producers.append((id, continuation))
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                let waiting = state.withLock { state -> CheckedContinuation<Void, Never>? in
                    guard let index = state.producers.firstIndex(where: { $0.id == id }) else { return nil }
                    return state.producers.remove(at: index).continuation
                }
                waiting?.resume()
            }
        }
    }
}
