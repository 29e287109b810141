import FileNames
import FoundationEssentials
import Glibc
import Logging
import Synchronization

/// The delegate's side of the spool directory: `tmp/`, `new/`, `cur/<delegate>/`, `done/`.
///
/// Transport only: it moves task bytes in and result bytes out. Parsing, selection and execution
/// belong to the caller. Every state change is a `rename(2)` or an atomic replace, so several
/// delegate processes can share one spool, and a delegate killed at any point leaves the spool in a
/// state the next start can resume from (``recoverClaimed()``).
public final class Spool: Sendable {
    /// The spool root.
    public let directory: String
    /// This delegate's name: its claims live in `cur/<delegateName>/`.
    public let delegateName: String
    /// Task files larger than this are reported as ``SpoolTaskFile/Contents/oversize(byteCount:)``.
    public let maximumTaskBytes: Int
    let logger: Logger
    /// For what a producer can make happen at will (things planted at result names, names that
    /// are not UTF-8): the first few per kind are logged, the rest counted.
    let logLimiter: LogRateLimiter
    /// `done/`'s fsyncs, shared by results finishing together.
    private let doneSync: DirectorySync
    /// Claimed tasks (by path) whose result is in `done/` but whose name is not yet durable, with
    /// the result's path: a `complete` again goes on from the fsync and never writes the result
    /// again, which the producer may have collected meanwhile; the retention sweep leaves it.
    /// Keyed by the path's bytes: two names Swift finds equal (`é` composed and decomposed) are two
    /// files, and one's placed result must not stand for the other's.
    private let placedResults = Mutex<[[UInt8]: String]>([:])
    /// Results being completed (by path, with how many tasks complete one under it): in `done/`
    /// maybe long before ``complete(_:resultID:result:)`` returns (its fsync, the group's fsync of
    /// `done/`), which the retention sweep must not take for old results.
    private let completingResults = Mutex<[String: Int]>([:])
    /// Called with a result's path between the look that found something planted there and its
    /// removal (tests put a result there meanwhile, as a task with the same id finishing would).
    private let afterPlantedLook: @Sendable (String) -> Void
    /// Where results are written and fsynced, off the cooperative pool.
    private let resultLanes = BlockingLanes(label: "TaskQueue.Spool.result", count: 8)
    /// Names whose kept result (`cur/<delegate>/.<name>.result`) could not be deleted after its
    /// task was done: a later task of that name deletes it when claimed, so that a crash while
    /// that task runs cannot hand it the old result at the next start.
    private let keptResultsLeft = Mutex<Set<[UInt8]>>([])
    /// Set when the start's recovery could not list `cur/<delegate>/`: the kept results an
    /// earlier run left there are then unknown, so each claim looks for its name's
    /// (``claimsUncheckedKeptResults()``).
    private let keptResultsUnknown = Atomic<Bool>(false)
    /// `cur/<delegate>/`, open and `flock`ed while this delegate runs (``lockClaims()``).
    private let claimLock = Mutex<Int32?>(nil)

    /// Mode for the spool root and `cur/`, which only the delegates write.
    public static let directoryMode: mode_t = 0o750
    /// Mode for `tmp/`, `new/` and `done/`: producers in the group write tasks there and delete
    /// the results they collected; setgid, so every file there belongs to the group and tasks
    /// (0640) stay readable by the delegate and results (0640) by the producers.
    public static let sharedDirectoryMode: mode_t = 0o2770
    /// Mode of result files.
    public static let resultMode: mode_t = 0o640

    /// - Parameters:
    ///   - directory: the spool root (created by ``prepare()`` if missing).
    ///   - delegateName: one path component (`[A-Za-z0-9._-]`), the name the delegate claims under.
    ///   - maximumTaskBytes: bound on a task file read into memory (1 MiB by the spec).
    ///   - logLimiter: the daemon's, which is flushed (a limiter of its own is flushed only by
    ///     the next warning of a kind).
    public init(
        directory: String,
        delegateName: String,
        maximumTaskBytes: Int = 1 << 20,
        logger: Logger,
        logLimiter: LogRateLimiter = LogRateLimiter(),
        doneFsync: @escaping @Sendable (String) throws(TaskQueueError) -> Void = Spool.fsyncDirectory,
        afterPlantedLook: @escaping @Sendable (String) -> Void = { _ in }
    ) throws(TaskQueueError) {
        try SpoolName.checkID(delegateName, what: "delegate name")
        self.directory = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        self.delegateName = delegateName
        self.maximumTaskBytes = maximumTaskBytes
        self.logger = logger
        self.logLimiter = logLimiter
        self.doneDirectory = self.directory + "/done"
        self.tmpDirectory = self.directory + "/tmp"
        self.newDirectory = self.directory + "/new"
        self.claimDirectory = self.directory + "/cur/" + delegateName
        // `doneFsync`: tests make the fsync of done/ fail.
        self.doneSync = DirectorySync(path: doneDirectory, fsync: doneFsync)
        self.afterPlantedLook = afterPlantedLook
    }

    /// Makes a directory's entries durable (`fsync(2)` of the directory).
    @Sendable public static func fsyncDirectory(_ path: String) throws(TaskQueueError) {
        try FileIO.fsyncDirectory(path)
    }

    deinit {
        if let fd = claimLock.withLock({ $0 }) { FileIO.close(fd) }
    }

    /// Takes `cur/<delegate>/` for this process (an exclusive `flock` held until it ends), so that
    /// two processes with one delegate name (a `secrets-delegate run` beside the service, a cloned
    /// host) never take each other's claimed tasks for a dead delegate's and run them again.
    ///
    /// - Throws: ``TaskQueueError/Code/badLayout`` when another process holds it.
    public func lockClaims() throws(TaskQueueError) {
        guard claimLock.withLock({ $0 }) == nil else { return }
        guard let fd = try FileIO.open(claimDirectory, flags: O_RDONLY | O_DIRECTORY) else {
            throw .system("open", path: claimDirectory, errno: ENOENT)
        }
        if FileIO.retrying({ flock(fd, LOCK_EX | LOCK_NB) }) != 0 {
            let number = Glibc.errno
            FileIO.close(fd)
            if number == EWOULDBLOCK {
                throw TaskQueueError(
                    code: .badLayout,
                    message: "another process runs as delegate \(delegateName) on this spool (it holds cur/\(delegateName)); "
                        + "give each delegate its own [delegate] name, or stop the other one",
                    path: claimDirectory)
            }
            throw .system("flock", path: claimDirectory, errno: number)
        }
        claimLock.withLock { $0 = fd }
    }

    let tmpDirectory: String
    let newDirectory: String
    let claimDirectory: String
    /// `done/`, where results go.
    let doneDirectory: String

    /// Checks the layout and creates what is missing.
    ///
    /// The layout normally comes from systemd-tmpfiles (the packaged `tmpfiles.d` entry) and the
    /// unit's `StateDirectory=`; the daemon needs no privilege beyond writing into it. A directory
    /// that exists and is usable is never a reason to fail, whatever its mode: a mode other than
    /// the expected one is logged as a warning. A missing directory is created; where the process
    /// may not set the setgid bit (a unit with `RestrictSUIDSGID=yes`), it is created without it
    /// and a warning says how to restore it.
    ///
    /// - Throws: ``TaskQueueError/Code/badLayout`` naming the path and what the daemon needs when a
    ///   directory is not a directory, cannot be created, or cannot be written by this process.
    public func prepare() throws(TaskQueueError) {
        // Producers take a result in done/ for a delegate's only when cur/'s owner (the delegates'
        // user) wrote it: a delegate running as anyone else would answer tasks no waiter collects,
        // and leave results and claims the delegates' user may not be able to touch. Before
        // anything is made: not even its claims directory. (A cur/ it cannot look at is the
        // directories' checks' to report, saying what the delegate needs.)
        let cur = directory + "/cur"
        if let owner = (try? FileIO.lstat(cur))?.st_uid, owner != geteuid() {
            throw TaskQueueError(
                code: .badLayout,
                message: "belongs to uid \(owner), the spool's delegates' user, and this delegate runs as uid \(geteuid()): "
                    + "producers would not take its results for a delegate's. Run it as that user (the packaged service "
                    + "does), or give it a spool of its own",
                path: cur)
        }
        for path in [directory, tmpDirectory, newDirectory, cur, claimDirectory, doneDirectory] {
            let shared = path == tmpDirectory || path == newDirectory || path == doneDirectory
            let wanted = shared ? Self.sharedDirectoryMode : Self.directoryMode
            for notice in try SpoolDirectory(path: path, mode: wanted).ensure() {
                logger.warning("\(notice)", metadata: ["event": "spool_layout", "path": "\(path)"])
            }
        }
    }

    /// Reads `new/<name>`; nil when it is gone (claimed by another delegate or withdrawn).
    ///
    /// Bounded: an oversize file is reported, not read; a non-regular file is never opened for reading.
    public func read(_ name: String) throws(TaskQueueError) -> SpoolTaskFile? {
        try SpoolName.checkTaskFileName(name)
        return try readFile(name: name, path: .joining(newDirectory, "/", name))
    }

    /// Reads a claimed task (the file in `cur/<delegate>/`), e.g. one returned by ``recoverClaimed()``.
    public func read(_ claimed: ClaimedTask) throws(TaskQueueError) -> SpoolTaskFile? {
        try readFile(name: claimed.name, path: claimed.path)
    }

    /// The claimed task as ``read(_:)-(ClaimedTask)`` gives it, without reading it again when it
    /// is the very file `peeked` was read from before the claim: still a regular file with the
    /// same device, inode, size, modification time and owner (a rename changes none of them; one
    /// `lstat` instead of five calls). A file replaced in `new/` between the look and the claim,
    /// or written to since, is read again. "Written to since" is seen through the size and the
    /// modification time, which advances by the kernel's clock tick: bytes its owner rewrote in
    /// place, at the same size, within one tick of the first read are not, as a producer writing
    /// into `new/` (not renaming a finished file there, as the contract asks) could always race
    /// any read. Whoever wrote them, the task's principal is the same: the file's owner.
    public func read(_ claimed: ClaimedTask, peeked: SpoolTaskFile?) throws(TaskQueueError) -> SpoolTaskFile? {
        if let peeked, case .data = peeked.contents, peeked.name == claimed.name,
            let info = try FileIO.lstat(claimed.path), info.st_mode & S_IFMT == S_IFREG,
            FileFingerprint(info) == peeked.fingerprint, info.st_uid == peeked.ownerUID
        {
            return peeked
        }
        return try read(claimed)
    }

    private func readFile(name: String, path: String) throws(TaskQueueError) -> SpoolTaskFile? {
        let fd: Int32
        do {
            // O_NONBLOCK: opening a FIFO must not hang the daemon.
            guard let opened = try FileIO.open(path, flags: O_RDONLY | O_NOFOLLOW | O_NONBLOCK) else { return nil }
            fd = opened
        } catch where error.errno == ELOOP {
            guard let info = try FileIO.lstat(path) else { return nil }
            return SpoolTaskFile(
                name: name, fingerprint: FileFingerprint(info), contents: .notRegularFile, ownerUID: info.st_uid)
        }
        defer { FileIO.close(fd) }
        let info = try FileIO.stat(fd: fd, path: path)
        let fingerprint = FileFingerprint(info)
        guard info.st_mode & S_IFMT == S_IFREG else {
            return SpoolTaskFile(name: name, fingerprint: fingerprint, contents: .notRegularFile, ownerUID: info.st_uid)
        }
        if info.st_mode & 0o022 != 0 {
            return SpoolTaskFile(
                name: name, fingerprint: fingerprint, contents: .writableByOthers(mode: UInt32(info.st_mode & 0o7777)),
                ownerUID: info.st_uid)
        }
        if Int64(info.st_size) > Int64(maximumTaskBytes) {
            return SpoolTaskFile(
                name: name, fingerprint: fingerprint, contents: .oversize(byteCount: Int64(info.st_size)),
                ownerUID: info.st_uid)
        }
        guard let data = try FileIO.read(fd: fd, limit: maximumTaskBytes, sizeHint: Int(info.st_size), path: path)
        else {
            // It grew past the bound while we read it.
            return SpoolTaskFile(
                name: name, fingerprint: fingerprint, contents: .oversize(byteCount: Int64(maximumTaskBytes) + 1),
                ownerUID: info.st_uid)
        }
        return SpoolTaskFile(name: name, fingerprint: fingerprint, contents: .data(data), ownerUID: info.st_uid)
    }

    /// Claims `new/<name>` by renaming it into `cur/<delegate>/`.
    ///
    /// - Returns: the claimed task, or nil when another delegate won the race (or the file was withdrawn).
    /// - Throws: ``TaskQueueError/Code/claimConflict`` when a task of the same name is still claimed by
    ///   this delegate (a rerun in progress), or a result kept for an earlier task of the name cannot
    ///   be deleted (or, after a recovery that gave up, looked at); the new file stays in `new/` for
    ///   a later attempt.
    public func claim(_ name: String) throws(TaskQueueError) -> ClaimedTask? {
        try SpoolName.checkTaskFileName(name)
        let target = String.joining(claimDirectory, "/", name)
        let source = String.joining(newDirectory, "/", name)
        // A result kept for an earlier task of this name that is left: claimed, a crash would
        // hand it to this task at the next start. The task stays in new/ (not moved: no event, it
        // is looked at again at the next rescan) until it can be deleted.
        if try keptResultLeft(named: name, claimedAt: target), !removeKeptResultLeft(named: name) {
            throw TaskQueueError(
                code: .claimConflict,
                message: "a result kept for an earlier task of this name cannot be deleted, so the task stays in new/",
                path: pendingResultPath(named: name))
        }
        // Into this delegate's own directory: no `link` needed where RENAME_NOREPLACE is missing.
        let outcome: FileIO.RenameOutcome
        do {
            outcome = try FileIO.renameIntoOwnDirectory(source, target)
        } catch where error.errno == EACCES || error.errno == EPERM {
            // Moving a directory to another parent rewrites its `..`: it needs write permission
            // on the directory itself, which a producer's `mkdir` (umask 022 or 027) withholds.
            guard let info = try? FileIO.lstat(source), info.st_mode & S_IFMT == S_IFDIR else { throw error }
            throw TaskQueueError(
                code: .badLayout,
                message: "this is a directory the delegate may not write (mode 0\(String(info.st_mode & 0o7777, radix: 8)), "
                    + "owner uid \(info.st_uid)): it cannot be claimed, so it is not answered; remove it "
                    + "(producers write task files, not directories)",
                path: source)
        }
        switch outcome {
        case .renamed:
            return ClaimedTask(name: name, path: target)
        case .sourceMissing:
            // ENOENT also when `cur/<delegate>/` itself is gone (removed while the delegate ran):
            // then no claim can succeed, which must not pass for races lost.
            guard try FileIO.lstat(claimDirectory) != nil else {
                throw TaskQueueError(
                    code: .badLayout,
                    message: "this delegate's claims directory was removed while it ran; no spool task can be claimed "
                        + "until the delegate restarts, which makes it again (systemctl restart secrets-delegate)",
                    path: claimDirectory)
            }
            return nil
        case .targetExists:
            throw TaskQueueError(code: .claimConflict, message: "a task of this name is already claimed", path: target)
        }
    }

    /// Puts a claimed task that has not started back into `new/`, as it was (a stop began as it
    /// was claimed): for the next start or another delegate. False when it could not go back (a
    /// new file of that name is in `new/`, or the claim is gone): a claim left is recovered at
    /// the next start.
    public func unclaim(_ claimed: ClaimedTask) throws(TaskQueueError) -> Bool {
        switch try FileIO.renameNoReplace(claimed.path, .joining(newDirectory, "/", claimed.name)) {
        case .renamed: true
        case .sourceMissing, .targetExists: false
        }
    }

    /// Writes `done/<resultID>.json` atomically (mode 0640), then deletes the claimed task file.
    ///
    /// Order matters: the task file may hold secret values, so it goes as soon as the result is
    /// durable, and never before (a crash in between reruns the task, which is idempotent). The
    /// result file is fsynced on its own; the fsync of `done/` that makes its name durable is
    /// shared with the other results finishing at the same time (group commit), and this returns
    /// only after it. The write and its fsync run on threads of their own (``BlockingLanes``), up
    /// to eight at once, so that waiting on the disk never holds the cooperative pool.
    ///
    /// A call again after one that failed at `done/`'s fsync (the result was renamed into place,
    /// but its name not yet durable) goes on from the fsync and does not write the result again:
    /// its producer may have collected it meanwhile. (After a restart, a result found there byte
    /// for byte is this task's own, not another task's with the same id.)
    ///
    /// - Throws: ``TaskQueueError/Code/resultExists`` when `done/<resultID>.json` is already there
    ///   with other contents (a result its producer has not collected yet): that result is never
    ///   replaced, and the claimed task file stays for the caller to ``discard(_:)``.
    public func complete(_ claimed: ClaimedTask, resultID: String, result: Data) async throws(TaskQueueError) {
        let path = resultPath(id: resultID)
        completingResults.withLock { $0[path, default: 0] += 1 }
        defer {
            completingResults.withLock { completing in
                let left = (completing[path] ?? 1) - 1
                completing[path] = left > 0 ? left : nil
            }
        }
        let placedBefore = hasPlacedResult(claimed)
        if !placedBefore {
            try await resultLanes.run { () throws(TaskQueueError) in
                do throws(TaskQueueError) {
                    try self.writeResult(id: resultID, data: result, syncDirectory: false)
                } catch where error.code == .resultExists {
                    guard try self.resultHolds(id: resultID, exactly: result) else { throw error }
                }
            }
        }
        do {
            try await doneSync.sync()
        } catch {
            // Remembered only now, so that the usual way costs no entry (a key of the path's bytes).
            if !placedBefore { placedResults.withLock { $0[claimed.pathBytes] = path } }
            throw error
        }
        if placedBefore { forgetPlacedResult(claimed) }
        removeAfterResult(claimed)
    }

    /// Whether `claimed`'s result is in `done/` already, only its name not yet durable (a
    /// ``complete(_:resultID:result:)`` failed at the fsync).
    public func hasPlacedResult(_ claimed: ClaimedTask) -> Bool {
        placedResults.withLock { !$0.isEmpty && $0[claimed.pathBytes] != nil }
    }

    /// Forgets that `claimed`'s result was placed, for a caller that gives up on completing it
    /// (a stop): a later task claimed at the same path writes its own.
    public func forgetPlacedResult(_ claimed: ClaimedTask) {
        placedResults.withLock { if !$0.isEmpty { $0.removeValue(forKey: claimed.pathBytes) } }
    }

    /// Whether `done/<id>.json` is one of this delegate's results holding exactly `data`.
    private func resultHolds(id: String, exactly data: Data) throws(TaskQueueError) -> Bool {
        let path = resultPath(id: id)
        guard let fd = try FileIO.open(path, flags: O_RDONLY | O_NOFOLLOW | O_NONBLOCK) else { return false }
        defer { FileIO.close(fd) }
        let info = try FileIO.stat(fd: fd, path: path)
        guard Self.isOwnResult(info), Int(info.st_size) == data.count else { return false }
        return try FileIO.read(fd: fd, limit: data.count, sizeHint: data.count, path: path) == data
    }

    /// The result is written: what follows is cleanup, and a failure here must not be taken for a
    /// failed write (the caller would retry into its own result).
    private func removeAfterResult(_ claimed: ClaimedTask) {
        do {
            // The task first: a crash between the two leaves a kept result without its task,
            // which the next start deletes, never a task without its kept result, which would
            // run again.
            try removeClaimed(claimed)
        } catch {
            // Rate-limited: a producer can drop any number of directories it keeps from removal.
            logLimiter.log(
                .error, "the result was written but the claimed task cannot be removed: \(error)",
                key: "spool-claimed-unremovable", logger: logger)
            return
        }
        // For every task, though only a recovered one or one whose result this run kept has a
        // kept result of its own: the unlink also sweeps one left by a task of the same name that
        // the start's recovery could not delete, which a crash with this task claimed would
        // otherwise hand to it at the next start.
        removeKeptResultLeft(named: claimed.name)
    }

    /// Whether a result kept for an earlier task of `name` lies in `cur/<delegate>/` though that
    /// task is done: one remembered (``keptResultsLeft``), or, after a recovery that gave up, one
    /// found there while no task of the name is claimed (`target`: a claimed one keeps its own,
    /// and the claim fails on it). One that cannot be looked at then keeps the task in `new/`.
    private func keptResultLeft(named name: String, claimedAt target: String) throws(TaskQueueError) -> Bool {
        if keptResultsLeft.withLock({ !$0.isEmpty && $0.contains(Array(name.utf8)) }) { return true }
        guard keptResultsUnknown.load(ordering: .relaxed) else { return false }
        do {
            guard try FileIO.lstat(pendingResultPath(named: name)) != nil else { return false }
            return try FileIO.lstat(target) == nil
        } catch {
            throw TaskQueueError(
                code: .claimConflict,
                message: "whether a result kept for an earlier task of this name is left cannot be told, so the task "
                    + "stays in new/: \(error.message)",
                path: error.path)
        }
    }

    /// Deletes the kept result of a task's name, if any; one that cannot be deleted is
    /// remembered, and tried again when a task of that name is next claimed (false then). Its
    /// error comes back at every look at a task of that name while it lasts: rate-limited.
    @discardableResult
    private func removeKeptResultLeft(named name: String) -> Bool {
        do {
            try FileIO.unlink(pendingResultPath(named: name))
            keptResultsLeft.withLock { if !$0.isEmpty { $0.remove(Array(name.utf8)) } }
            return true
        } catch {
            keptResultsLeft.withLock { _ = $0.insert(Array(name.utf8)) }
            logLimiter.log(
                .error,
                "the result kept for \(name) cannot be deleted; it is tried again when a task of that name is claimed: \(error)",
                key: "spool-kept-result-undeletable", logger: logger)
            return false
        }
    }

    /// Keeps a result that could not be written to `done/` beside its claimed task
    /// (`cur/<delegate>/.<name>.result`, mode 0600), so that a restart writes it instead of
    /// running the task again.
    ///
    /// Its fsyncs run on the result lanes, like ``complete(_:resultID:result:)``'s: this is the path
    /// of a sick disk, where an fsync may hang.
    public func keepPendingResult(_ claimed: ClaimedTask, resultID: String, result: Data) async throws(TaskQueueError) {
        try SpoolName.checkTaskID(resultID, what: "result id")
        let path = pendingResultPath(claimed)
        let temporary = path + ".\(getpid()).\(UInt64.random(in: 0...UInt64.max)).tmp"
        try await resultLanes.run { () throws(TaskQueueError) in
            try Self.writeDurably(
                Data((resultID + "\n").utf8) + result, temporary: temporary, target: path, mode: 0o600, replace: true,
                conflict: TaskQueueError(code: .io, message: "unexpected conflict", path: path))
        }
    }

    /// The result an earlier run kept (``keepPendingResult(_:resultID:result:)``) for a recovered
    /// task (``ClaimedTask/recovered``), if any. A task this run claimed is not looked at: it had
    /// none when claimed, and one this run keeps is retried from the caller's memory.
    public func pendingResult(for claimed: ClaimedTask) throws(TaskQueueError) -> (resultID: String, result: Data)? {
        guard claimed.recovered else { return nil }
        let path = pendingResultPath(claimed)
        guard let fd = try FileIO.open(path, flags: O_RDONLY | O_NOFOLLOW) else { return nil }
        defer { FileIO.close(fd) }
        guard let data = try FileIO.read(fd: fd, limit: 64 << 20, sizeHint: 4096, path: path),
            let newline = data.firstIndex(of: UInt8(ascii: "\n"))
        else { return nil }
        let resultID = String(decoding: data[data.startIndex..<newline], as: UTF8.self)
        guard SpoolName.isValidTaskID(resultID) else { return nil }
        return (resultID, Data(data[(newline + 1)...]))
    }

    private func pendingResultPath(_ claimed: ClaimedTask) -> String {
        pendingResultPath(named: claimed.name)
    }

    private func pendingResultPath(named name: String) -> String {
        .joining(claimDirectory, "/.", name, ".result")
    }

    /// Deletes what a claim moved into `cur/<delegate>/`: normally a task file, but a producer
    /// may have dropped anything into `new/` (a directory, a socket, a FIFO), and every claimed
    /// entry must go once its rejection is written.
    private func removeClaimed(_ claimed: ClaimedTask) throws(TaskQueueError) {
        do {
            try FileIO.unlink(claimed.path)
        } catch where error.errno == EISDIR || error.errno == EPERM {
            // A producer's directory, which it may still change: never followed through a link.
            try FileIO.removeTree(claimed.path)
        }
    }

    /// Whether `done/<id>.json` exists: a result its producer has not collected yet.
    ///
    /// Only a regular file this delegate's user owns counts: `done/` is writable by every producer
    /// in the group, so anything else at that name (a link, a directory, another user's file) was
    /// planted, is not a result, and is replaced when the real result is written.
    public func hasResult(id: String) throws(TaskQueueError) -> Bool {
        try SpoolName.checkTaskID(id, what: "result id")
        guard let info = try FileIO.lstat(resultPath(id: id)) else { return false }
        return Self.isOwnResult(info)
    }

    static func isOwnResult(_ info: stat) -> Bool {
        info.st_mode & S_IFMT == S_IFREG && info.st_uid == geteuid()
    }

    /// Makes the names of the results in `done/` durable (an fsync of `done/`, shared with the
    /// results finishing at the same time): for a result found there after a crash, which may
    /// have been renamed in before its name was synced.
    public func syncResults() async throws(TaskQueueError) {
        try await doneSync.sync()
    }

    /// Deletes a claimed task file without writing a result (for a task whose result file name is
    /// taken by an earlier result).
    public func discard(_ claimed: ClaimedTask) throws(TaskQueueError) {
        try removeClaimed(claimed)
        // One that cannot be deleted is remembered (and logged): the next task of this name is
        // not claimed while it lies there.
        removeKeptResultLeft(named: claimed.name)
    }

    /// The path a result with this id is written to.
    public func resultPath(id: String) -> String {
        Self.resultPath(spool: directory, id: id)
    }

    /// The path a delegate writes the result for `id` to, in the spool at `spool`: for producers
    /// (``SpoolProducer``) as for the delegate.
    public static func resultPath(spool: String, id: String) -> String {
        .joining(spool, "/done/", id, ".json")
    }

    func writeResult(id: String, data: Data, syncDirectory: Bool = true) throws(TaskQueueError) {
        try SpoolName.checkTaskID(id, what: "result id")
        let target = resultPath(id: id)
        do {
            try writeResultFile(data, id: id, target: target, syncDirectory: syncDirectory)
        } catch where error.code == .resultExists {
            // Something is at the result's name (looked at only now: a second lstat per result
            // otherwise). One of our results stays, and the caller hears so. Anything else was
            // planted by a producer (see hasResult): it goes, and the result takes its place.
            let info = try FileIO.lstat(target)
            if let info, Self.isOwnResult(info) { throw error }
            if info != nil {
                afterPlantedLook(target)
                try removePlanted(at: target)
            }
            do {
                try writeResultFile(data, id: id, target: target, syncDirectory: syncDirectory)
            } catch where error.code == .resultExists {
                // Again: a result of a task with the same id that finished meanwhile stays; if
                // something was planted again, the result is not dropped but kept and retried.
                if let info = try FileIO.lstat(target), Self.isOwnResult(info) { throw error }
                throw TaskQueueError(
                    code: .io, message: "something keeps appearing at the result's name (planted by a producer?)",
                    path: target)
            }
        }
    }

    /// This process's id and a random number drawn once: with a counter, a temporary name no other
    /// process (nor an earlier one with the same id) uses, without two system calls per result.
    /// It starts with its separator: `done/.<id>` + `.<pid>.<random>` + `.<n>.tmp`.
    private static let temporaryStem = ".\(getpid()).\(UInt64.random(in: 0...UInt64.max))"
    private static let temporaryCounter = Atomic<UInt64>(0)

    private func writeResultFile(_ data: Data, id: String, target: String, syncDirectory: Bool) throws(TaskQueueError) {
        let number = Self.temporaryCounter.add(1, ordering: .relaxed).newValue
        let temporary = String.joining(doneDirectory, "/.", id, Self.temporaryStem, ".\(number).tmp")
        try Self.writeDurably(
            data, temporary: temporary, target: target, mode: Self.resultMode, replace: false,
            syncDirectory: syncDirectory,
            conflict: TaskQueueError(
                code: .resultExists, message: "an uncollected result with this id is already there", path: target))
    }

    /// Removes what a producer left at a result's name that is not one of our results.
    ///
    /// Moved aside first, then judged by what was moved: between the look and the removal a task
    /// with the same id may have put its result there, which a removal by name would take. Such a
    /// result goes back (a result is never removed here, and the caller finds it there).
    private func removePlanted(at target: String) throws(TaskQueueError) {
        logLimiter.warning(
            "replacing something at a result's name that is not a result (planted by a producer?)",
            metadata: ["event": "spool_layout", "path": "\(target)"], key: "spool-planted-result", logger: logger)
        let number = Self.temporaryCounter.add(1, ordering: .relaxed).newValue
        let aside = String.joining(doneDirectory, "/.planted", Self.temporaryStem, ".\(number).tmp")
        var removed = aside
        do {
            switch try FileIO.renameNoReplace(target, aside) {
            case .renamed: break
            case .sourceMissing: return  // gone meanwhile
            case .targetExists: throw TaskQueueError(code: .io, message: "a temporary name is taken", path: aside)
            }
        } catch {
            // No RENAME_NOREPLACE, and a directory cannot be hard-linked aside (an NFS spool):
            // removed by name, as it was looked at.
            removed = target
        }
        guard let moved = try FileIO.lstat(removed) else { return }
        if Self.isOwnResult(moved) {
            if removed == aside { _ = try FileIO.renameNoReplace(aside, target) }
            return
        }
        if moved.st_mode & S_IFMT == S_IFDIR {
            try FileIO.removeTree(removed)
        } else {
            try FileIO.unlink(removed)
        }
    }

    /// temp file, write, fsync, fchmod, rename, fsync of the directory (unless `syncDirectory` is
    /// false: then the caller makes the rename durable).
    ///
    /// - Parameter conflict: thrown when `replace` is false and `target` exists.
    static func writeDurably(
        _ data: Data, temporary: String, target: String, mode: mode_t, replace: Bool, syncDirectory: Bool = true,
        conflict: @autoclosure () -> TaskQueueError = TaskQueueError(
            code: .alreadyExists, message: "a task with this id is already queued")
    ) throws(TaskQueueError) {
        guard let fd = try FileIO.open(temporary, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o600) else {
            throw .system("open", path: temporary, errno: ENOENT)
        }
        var renamed = false
        defer { if !renamed { _ = try? FileIO.unlink(temporary) } }
        do {
            defer { FileIO.close(fd) }
            try FileIO.writeAll(fd: fd, data: data, path: temporary)
            if FileIO.retrying({ fchmod(fd, mode) }) != 0 { throw .system("fchmod", path: temporary, errno: errno) }
            try FileIO.fsync(fd: fd, path: temporary)
        }
        if replace {
            guard try FileIO.rename(temporary, target) else { throw .system("rename", path: temporary, errno: ENOENT) }
        } else {
            switch try FileIO.renameNoReplace(temporary, target) {
            case .renamed: break
            case .targetExists:
                var error = conflict()
                error.path = error.path ?? target
                throw error
            case .sourceMissing: throw .system("rename", path: temporary, errno: ENOENT)
            }
        }
        renamed = true
        if syncDirectory {
            try FileIO.fsyncDirectory(String(target[..<(target.lastIndex(of: "/") ?? target.startIndex)]))
        }
    }

    /// Tasks left in `cur/<delegate>/` by an earlier run of this delegate that died: run them again.
    public func recoverClaimed() throws(TaskQueueError) -> [ClaimedTask] {
        guard let reader = try DirectoryReader(path: claimDirectory) else { return [] }
        var tasks: [ClaimedTask] = []
        var leftovers: [String] = []
        var tooLong: [String] = []
        while true {
            let batch = try reader.next(limit: 256)
            if batch.isEmpty { break }
            // A name that is not UTF-8 was never claimed (the watcher renames such names in new/
            // first), and read as text it would name no file: not a task, left as it is.
            for entry in batch where entry.invalidUTF8Name == nil {
                if SpoolName.isTaskFileName(entry.name) {
                    tasks.append(
                        ClaimedTask(name: entry.name, path: claimDirectory + "/" + entry.name, recovered: true))
                } else if SpoolName.needsRepair(entry.name.utf8, isUTF8: true) {
                    tooLong.append(entry.name)
                } else if entry.name.utf8.first == UInt8(ascii: "."),
                    FileNameBytes.endsWith(entry.name, ".tmp") || FileNameBytes.endsWith(entry.name, ".result")
                {
                    leftovers.append(entry.name)
                }
            }
        }
        tasks += renameClaimedOverLongNames(tooLong)
        // Where `RENAME_NOREPLACE` is missing (NFS) a claim is a link and an unlink: a crash
        // between the two left the same file in `new/` too, where it would be claimed and run a
        // second time. That copy goes; another file of the same name stays (a conflict).
        for task in tasks {
            let queued = newDirectory + "/" + task.name
            do {
                guard let copy = try FileIO.lstat(queued), let claimed = try FileIO.lstat(task.path),
                    copy.st_dev == claimed.st_dev, copy.st_ino == claimed.st_ino
                else { continue }
                try FileIO.unlink(queued)
                logger.info("removed new/\(task.name), the other name of a task claimed by an earlier run")
            } catch {
                logger.error("the other name of a claimed task cannot be removed from new/: \(error)")
            }
        }
        // A kept result whose task is gone (or a half-written one) belongs to nothing: a later
        // task of the same name must never be answered with it.
        // By bytes: two names Swift finds equal (`é` composed and decomposed) are two files, and
        // one's kept result must not stay for the other.
        let claimedNames = Set(tasks.map { Array($0.name.utf8) })
        for name in leftovers {
            let owner =
                FileNameBytes.endsWith(name, ".result")
                ? FileNameBytes.trimming(name, suffixBytes: ".result".utf8.count, leadingDot: true) : nil
            if let owner, claimedNames.contains(Array(owner.utf8)) { continue }
            do {
                try FileIO.unlink(claimDirectory + "/" + name)
            } catch {
                logger.error("a leftover of an earlier run cannot be deleted: \(error)")
                // A kept result: no task of its name is claimed while it lies there.
                if let owner { keptResultsLeft.withLock { _ = $0.insert(Array(owner.utf8)) } }
            }
        }
        if !tasks.isEmpty {
            logger.info(
                "recovering tasks claimed by an earlier run",
                metadata: ["count": "\(tasks.count)", "directory": "\(claimDirectory)"])
        }
        noteOtherDelegatesClaims()
        return tasks.sorted { $0.name < $1.name }
    }

    /// The start's recovery (``recoverClaimed()``) gave up: from now on each claim looks for a
    /// kept result of its name an earlier run left (its task gone) and deletes it first, as the
    /// recovery would have (else a crash while the new task runs would answer it with the old
    /// result at the next start).
    public func claimsUncheckedKeptResults() {
        keptResultsUnknown.store(true, ordering: .relaxed)
    }

    /// Names, at the start, the tasks claimed under other delegate names: this delegate never runs
    /// them (a delegate of that name may be running them, on this host or, over NFS, another).
    /// Claimed under this delegate's earlier name (a new host name, `[delegate] name` changed),
    /// they would wait there unseen, their ids refused by `submit` as running, for good: the
    /// notice says how many there are and how to hand them back.
    private func noteOtherDelegatesClaims() {
        guard let reader = try? DirectoryReader(path: directory + "/cur") else { return }
        while let batch = try? reader.next(limit: 256), !batch.isEmpty {
            for entry in batch where entry.invalidUTF8Name == nil && entry.name != delegateName {
                let claims = directory + "/cur/" + entry.name
                guard let tasks = try? DirectoryReader(path: claims) else { continue }  // not a directory
                var count = 0
                while let names = try? tasks.next(limit: 256), !names.isEmpty {
                    count += names.count { $0.invalidUTF8Name == nil && SpoolName.isTaskFileName($0.name) }
                }
                guard count > 0 else { continue }
                logger.notice(
                    """
                    \(count) task(s) in cur/\(entry.name)/ are claimed by delegate \(entry.name), not this one \
                    (\(delegateName)), which does not run them; if no delegate of that name runs any more (a host \
                    or delegate renamed), stop this delegate and move each, with its kept result, to its own \
                    claims unless one of its name is there: cd \(claims) && for t in *.json; do [ -e \
                    \(claimDirectory)/"$t" ] || [ -e \(claimDirectory)/".$t.result" ] || { mv -n -- "$t" \
                    \(claimDirectory)/; [ ! -e ".$t.result" ] || \
                    mv -n -- ".$t.result" \(claimDirectory)/; }; done (at the next start a task with a kept \
                    result has it written, not run again; the others run, or go back to new/ if they are for \
                    other delegates)
                    """,
                    metadata: ["event": "spool-claims-of-another", "directory": "\(claims)", "count": "\(count)"])
            }
        }
    }

    /// Tasks an earlier version claimed under names longer than this one takes (over
    /// ``SpoolName/maximumTaskFileNameBytes``, whose kept result would be no name): renamed in
    /// `cur/<delegate>/` as the watcher renames them in `new/`, their kept result first (a crash
    /// between the two leaves it where the renamed task finds it), and run again.
    private func renameClaimedOverLongNames(_ names: [String]) -> [ClaimedTask] {
        var tasks: [ClaimedTask] = []
        for name in names {
            let newName = SpoolName.repairedName(Array(name.utf8))
            do {
                // (Of a name over 247 bytes no kept result can exist: its name would be too long.)
                if name.utf8.count + ".".utf8.count + ".result".utf8.count <= 255 {
                    _ = try FileIO.renameIntoOwnDirectory(
                        .joining(claimDirectory, "/.", name, ".result"), .joining(claimDirectory, "/.", newName, ".result"))
                }
                switch try FileIO.renameIntoOwnDirectory(claimDirectory + "/" + name, claimDirectory + "/" + newName) {
                case .renamed:
                    logger.warning(
                        "a task claimed by an earlier run has a name longer than \(SpoolName.maximumTaskFileNameBytes) bytes; renamed it to \(newName)",
                        metadata: ["event": "spool_layout", "path": "\(claimDirectory)/\(newName)"])
                    tasks.append(ClaimedTask(name: newName, path: claimDirectory + "/" + newName, recovered: true))
                case .targetExists, .sourceMissing:
                    logger.error("a claimed task's name is too long and it cannot be renamed to \(newName): the name is taken")
                }
            } catch {
                logger.error("a claimed task's name is too long and it cannot be renamed: \(error)")
            }
        }
        return tasks
    }

    /// Deletes results in `done/` (and abandoned temporary files in `done/` and `tmp/`) whose
    /// modification time is older than `retention` before `now`; never a result whose task is
    /// still being completed (being made durable, or its name not yet durable after a failure:
    /// ``hasPlacedResult(_:)``).
    ///
    /// - Returns: how many files were deleted.
    @discardableResult
    public func sweepResults(olderThan retention: Duration, now: Date) throws(TaskQueueError) -> Int {
        let cutoff = now.timeIntervalSince1970 - retention / .seconds(1)
        var deleted = 0
        // An entry that cannot be judged or deleted (an immutable file, say) is passed over, not
        // the end of the pass: it would stop every later pass at the same place.
        var firstFailure: TaskQueueError?
        var failures = 0
        let placed = Set(placedResults.withLock { $0.values }).union(completingResults.withLock { $0.keys })
        for folder in [doneDirectory, tmpDirectory] {
            guard let reader = try DirectoryReader(path: folder) else { continue }
            while true {
                let batch = try reader.next(limit: 256)
                if batch.isEmpty { break }
                for entry in batch {
                    let path = folder + "/" + entry.name
                    if placed.contains(path) { continue }
                    do {
                        guard let info = try FileIO.lstat(path), info.st_mode & S_IFMT == S_IFREG else { continue }
                        let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
                        if modified < cutoff, try FileIO.unlink(path) { deleted += 1 }
                    } catch {
                        failures += 1
                        firstFailure = firstFailure ?? error
                    }
                }
            }
        }
        if deleted > 0 { logger.debug("swept old results", metadata: ["count": "\(deleted)"]) }
        if let firstFailure {
            logger.warning(
                "old spool files cannot be deleted; passed over",
                metadata: ["count": "\(failures)", "first": "\(firstFailure)"])
        }
        return deleted
    }

    /// Starts watching `new/`: inotify for prompt notice plus, while the watcher's
    /// ``SpoolWatcher/run()`` runs, a full rescan every `rescanInterval` (and once right away,
    /// for files that were there before the start).
    ///
    /// - Parameters:
    ///   - rescanInterval: time between full rescans (for NFS and missed events).
    ///   - skipCacheCapacity: how many skipped files to remember (bounded memory).
    /// - Parameter held: the names of tasks the caller already handles (recovered at start), in
    ///   flight from the first moment (``SpoolWatcher``'s `held`).
    public func watch(
        rescanInterval: Duration, skipCacheCapacity: Int = 65_536, holding held: [String] = []
    ) throws(TaskQueueError) -> SpoolWatcher {
        try SpoolWatcher(
            directory: newDirectory, rescanInterval: rescanInterval, skipCacheCapacity: skipCacheCapacity, held: held,
            logger: logger, logLimiter: logLimiter)
    }
}
