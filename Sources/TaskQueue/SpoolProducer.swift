import FoundationEssentials
import Glibc

/// The producer's side of the spool (what `secrets-delegate submit --spool` uses): put a task in
/// `new/`, wait for its result in `done/`. Needs no delegate name.
public struct SpoolProducer: Sendable {
    /// The spool root.
    public let directory: String
    /// Results larger than this are refused by ``waitForResult(id:timeout:removeAfterReading:)``.
    public let maximumResultBytes: Int

    /// Called after ``enqueue(id:data:)``'s first look for the id (for tests, which move an
    /// earlier task with the id on there).
    var afterFirstLook: (@Sendable () -> Void)?

    /// Sets up the wait's inotify watch of `done/` (tests make it fail as a host out of inotify
    /// instances does).
    var makeWatch:
        @Sendable (
            _ directory: String, _ onName: @escaping @Sendable (String) -> Void,
            _ onOverflow: @escaping @Sendable () -> Void
        ) throws(TaskQueueError) -> InotifyWatch = { directory, onName, onOverflow throws(TaskQueueError) in
            try InotifyWatch(
                directory: directory, label: "TaskQueue.SpoolProducer", onName: onName, onOverflow: onOverflow)
        }

    /// The task file's `fsync(2)` and `new/`'s (tests make them fail).
    package var fileSync: Spool.FileSync = Spool.fsyncFile
    package var directorySync: @Sendable (String) throws(TaskQueueError) -> Void = Spool.fsyncDirectory

    public init(directory: String, maximumResultBytes: Int = 64 << 20) {
        // As the delegate's spool takes it: `--spool /srv/spool/` names `/srv/spool/new/...`.
        self.directory = Spool.withoutTrailingSlash(directory)
        self.maximumResultBytes = maximumResultBytes
    }

    /// Writes `tmp/<unique>`, fsyncs it, and renames it to `new/<id>.json` (mode 0640), so a
    /// delegate only ever sees complete files.
    ///
    /// - Returns: the path of the queued file.
    /// - Throws: ``TaskQueueError/Code/alreadyExists`` when `new/<id>.json` already exists (the
    ///   existing task is left untouched), a task with the id runs (`cur/<delegate>/<id>.json`),
    ///   or a delegate's result for the id waits uncollected in `done/<id>.json` (either way the
    ///   delegate would not run the new task, and a waiter would take the old result for its own;
    ///   anything else at the result's name is not a result, and the delegate replaces it),
    ///   ``TaskQueueError/Code/invalidName`` for a bad id,
    ///   ``TaskQueueError/Code/queuedNotDurable`` when the task was queued but `new/` could not be
    ///   synced (its `path` is the queued file).
    ///
    /// An earlier task with the id only moves forward (`new/`, then `cur/`, then its result in
    /// `done/` before its claim goes), so it is looked for in that order: whatever it does
    /// between two looks, one of them finds it (looked for the other way round, a task finished
    /// between the looks was missed, and a waiter took its result for the new task's).
    @discardableResult
    public func enqueue(id: String, data: Data) throws(TaskQueueError) -> String {
        try SpoolName.checkTaskID(id, what: "task id")
        let target = directory + "/new/" + id + ".json"
        if try FileIO.lstat(target) != nil {
            throw TaskQueueError(
                code: .alreadyExists,
                message:
                    "a task with id \(id) is queued in new/; its result comes to done/\(id).json (read it there, then "
                    + "delete it), or use another id", path: target)
        }
        afterFirstLook?()
        if let delegate = claimingDelegate(id: id) {
            throw TaskQueueError(
                code: .alreadyExists,
                message:
                    "a task with id \(id) is running (claimed by delegate \(delegate)); its result comes to done/\(id).json "
                    + "(read it there, then delete it), or use another id",
                path: directory + "/cur/" + delegate + "/" + id + ".json")
        }
        let result = resultPath(id: id)
        if try isDelegatesResult(result) {
            throw TaskQueueError(
                code: .alreadyExists,
                message:
                    "a result for task id \(id) waits uncollected in done/; collect or delete it, or use another id",
                path: result)
        }
        let temporary = directory + "/tmp/" + id + ".\(getpid()).\(UInt64.random(in: 0...UInt64.max)).tmp"
        try Spool.writeDurably(
            data, temporary: temporary, target: target, mode: 0o640, replace: false, syncDirectory: false,
            fileSync: fileSync)
        do {
            try directorySync(directory + "/new")
        } catch {
            throw TaskQueueError(
                code: .queuedNotDurable,
                message: "queued \(target), but syncing \(directory)/new failed (\(error.errnoText)): a crash of "
                    + "the host before the file system writes it back may lose the task", path: target,
                errno: error.errno)
        }
        return target
    }

    private func resultPath(id: String) -> String {
        Spool.resultPath(spool: directory, id: id)
    }

    /// Waits until `done/<id>.json` appears and returns its bytes.
    ///
    /// Watches `done/` with inotify and also looks every second (network file systems do not
    /// deliver inotify events for other hosts' writes). When the host's inotify limits are used up
    /// (`fs.inotify.max_user_instances`, `max_user_watches`), the once-a-second look alone waits:
    /// the task is queued already, and its result must not be left uncollected for want of a watch.
    ///
    /// - Parameter removeAfterReading: delete the result once read (collecting it), so it does not
    ///   wait for the retention sweep.
    /// - Throws: ``TaskQueueError/Code/timedOut``, ``TaskQueueError/Code/cancelled``, or an I/O error.
    public func waitForResult(
        id: String, timeout: Duration, removeAfterReading: Bool = true
    ) async throws(TaskQueueError) -> Data {
        try SpoolName.checkTaskID(id, what: "task id")
        let path = resultPath(id: id)
        let fileName = id + ".json"
        let (signals, signal) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let watch: InotifyWatch?
        do {
            watch = try makeWatch(
                directory + "/done", { name in if name == fileName { signal.yield() } }, { signal.yield() })
        } catch  where InotifyWatch.resourceShortages.contains(error.errno ?? 0) {
            watch = nil
        }
        defer { watch?.cancel() }
        let deadline = ContinuousClock.now.advanced(by: timeout)

        func collect() async throws(TaskQueueError) -> Data {
            if let data = try readResult(path: path, remove: removeAfterReading) { return data }
            for await _ in signals {
                if let data = try readResult(path: path, remove: removeAfterReading) { return data }
            }
            if Task.isCancelled {
                throw TaskQueueError(code: .cancelled, message: "stopped waiting for the result", path: path)
            }
            throw TaskQueueError(code: .timedOut, message: "no result within \(timeout)", path: path)
        }

        // The once-a-second look runs beside the wait, as a child task: it ends with it.
        let outcome = await withTaskGroup(of: Void.self) { group -> Result<Data, TaskQueueError> in
            group.addTask {
                while !Task.isCancelled {
                    let remaining = ContinuousClock.now.duration(to: deadline)
                    if remaining <= .zero { break }
                    try? await Task.sleep(for: min(remaining, .seconds(1)))
                    signal.yield()
                }
                signal.finish()
            }
            defer { group.cancelAll() }
            do throws(TaskQueueError) {
                return .success(try await collect())
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }

    /// Deletes the result `done/<id>.json` that a wait read without removing it
    /// (``waitForResult(id:timeout:removeAfterReading:)``), once the caller has passed it on.
    public func removeResult(id: String) throws(TaskQueueError) {
        try SpoolName.checkTaskID(id, what: "task id")
        _ = try FileIO.unlink(resultPath(id: id))
    }

    /// Whether `path` is a result a delegate wrote: a regular file (not followed if a link)
    /// owned by the owner of `cur/`, as ``readResult(path:remove:)`` takes only. A name this
    /// producer may not look at is taken for none (the delegate decides when the task comes).
    private func isDelegatesResult(_ path: String) throws(TaskQueueError) -> Bool {
        do throws(TaskQueueError) {
            guard let info = try FileIO.lstat(path) else { return false }
            return try isDelegatesFile(info)
        } catch  where [EACCES, EPERM, ENOTDIR].contains(error.errno ?? 0) {
            return false
        }
    }

    /// Whether `info` is that of a file a delegate wrote: a regular file owned by the owner of
    /// `cur/` (the delegates' user; `done/` is writable by every producer in the group).
    private func isDelegatesFile(_ info: stat) throws(TaskQueueError) -> Bool {
        guard info.st_mode & S_IFMT == S_IFREG, let owner = try FileIO.lstat(directory + "/cur")?.st_uid else {
            return false
        }
        return info.st_uid == owner
    }

    /// Waits, looking every 10 ms for at most `limit`, until no delegate holds a claim on `id`;
    /// true when none does. A delegate renames a result into `done/`, syncs `done/`, then deletes
    /// its task file: a producer that collected the result and at once queued a task under the
    /// same id found it "running" (``enqueue(id:data:)``) for as long as that sync took.
    /// (`cur/` is listed once; then only the claim found is looked at.)
    public func waitUntilUnclaimed(id: String, limit: Duration) async -> Bool {
        guard let holder = claimingDelegate(id: id) else { return true }
        let claim = directory + "/cur/" + holder + "/" + id + ".json"
        let end = ContinuousClock.now + limit
        while (try? FileIO.lstat(claim)) != nil {
            guard ContinuousClock.now < end else { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    /// The delegate whose claim (`cur/<delegate>/<id>.json`) holds the task `id`: it is running
    /// there; nil if none does or `cur/` cannot be looked into.
    public func claimingDelegate(id: String) -> String? {
        guard let reader = try? DirectoryReader(path: directory + "/cur") else { return nil }
        while let entries = try? reader.next(limit: 64), !entries.isEmpty {
            for entry in entries where entry.invalidUTF8Name == nil {
                if (try? FileIO.lstat(directory + "/cur/" + entry.name + "/" + id + ".json")) != nil {
                    return entry.name
                }
            }
        }
        return nil
    }

    /// The result at `path`, or nil when there is none yet. Only a regular file of the delegates'
    /// user (the owner of `cur/`) is a result: `done/` is writable by every producer in the group,
    /// so anything else there (a FIFO, another user's file) was planted, and the delegate replaces
    /// it when it writes the real result.
    private func readResult(path: String, remove: Bool) throws(TaskQueueError) -> Data? {
        let fd: Int32
        do {
            guard let opened = try FileIO.open(path, flags: O_RDONLY | O_NOFOLLOW | O_NONBLOCK) else { return nil }
            fd = opened
        } catch  where error.errno == ELOOP || error.errno == EACCES || error.errno == EPERM || error.errno == ENXIO {
            // A link, another producer's file it may not read, or a socket (ENXIO): planted, not
            // a result.
            return nil
        }
        defer { FileIO.close(fd) }
        let info = try FileIO.stat(fd: fd, path: path)
        guard try isDelegatesFile(info) else { return nil }
        guard let data = try FileIO.read(fd: fd, limit: maximumResultBytes, sizeHint: Int(info.st_size), path: path)
        else {
            throw TaskQueueError(code: .tooLarge, message: "result exceeds \(maximumResultBytes) bytes", path: path)
        }
        if remove { try FileIO.unlink(path) }
        return data
    }
}
