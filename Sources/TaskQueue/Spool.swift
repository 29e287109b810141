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
    let doneSync: DirectorySync
    /// `cur/<delegate>/`'s, for claims that must survive a power loss (``makeClaimDurable()``).
    let claimsSync: DirectorySync
    /// Claimed tasks (by path) whose result is in `done/` but whose name is not yet durable, with
    /// the result's path: a `complete` again goes on from the fsync and never writes the result
    /// again, which the producer may have collected meanwhile; the retention sweep leaves it.
    /// Keyed by the path's bytes: two names Swift finds equal (`é` composed and decomposed) are two
    /// files, and one's placed result must not stand for the other's.
    let placedResults = Mutex<[[UInt8]: String]>([:])
    /// Results being completed (by path, with how many tasks complete one under it): in `done/`
    /// maybe long before ``complete(_:resultID:result:)`` returns (its fsync, the group's fsync of
    /// `done/`), which the retention sweep must not take for old results.
    let completingResults = Mutex<[String: Int]>([:])
    /// Called with a result's path between the look that found something planted there and its
    /// removal (tests put a result there meanwhile, as a task with the same id finishing would).
    let afterPlantedLook: @Sendable (String) -> Void
    /// Where results are written and fsynced, off the cooperative pool.
    let resultLanes = BlockingLanes(label: "TaskQueue.Spool.result", count: 8)
    /// Where the intake's other calls on the spool's files run (``offPool(for:_:)``).
    @usableFromInline let fileLanes = BlockingLanes(label: "TaskQueue.Spool.file", count: 2)
    /// Where the retention sweep runs: a long one (a hundred thousand results kept) delays no read
    /// or claim.
    @usableFromInline let sweepLane = BlockingLanes(label: "TaskQueue.Spool.sweep", count: 1)
    /// Where the rescan of `new/` runs (``watch(rescanInterval:skipCacheCapacity:holding:)``): a
    /// long batch (a large backlog on a slow NFS) delays no read or claim either.
    let rescanLane = BlockingLanes(label: "TaskQueue.Spool.rescan", count: 1)
    /// Called with a name before its claim (tests make it hang, as a frozen file system does).
    let beforeClaim: @Sendable (String) -> Void
    /// Names whose kept result (`cur/<delegate>/.<name>.result`) could not be deleted after its
    /// task was done: a later task of that name deletes it when claimed, so that a crash while
    /// that task runs cannot hand it the old result at the next start.
    let keptResultsLeft = Mutex<Set<[UInt8]>>([])
    /// Set when the start's recovery could not list `cur/<delegate>/`: the kept results an
    /// earlier run left there are then unknown, so each claim looks for its name's
    /// (``claimsUncheckedKeptResults()``).
    let keptResultsUnknown = Atomic<Bool>(false)
    /// `done/`'s group as last seen (``prepare()``, each sweep), which results are given; `UInt32.max`
    /// before it was seen.
    let resultGroup = Atomic<UInt32>(UInt32.max)
    /// Whether a file made beside the claims needs `fchown` to get ``resultGroup`` (it gets the
    /// delegate's group, or a setgid claims directory's): not in the packaged layout, so the
    /// usual way costs no system call per result.
    let resultGroupToGive = Atomic<Bool>(true)
    /// Set once it was said that results go to `done/` directly, for a lasting cause (not in
    /// `done/`'s group, `done/` on another file system): said at the first only.
    let resultsInDoneSaid = Atomic<Bool>(false)
    /// One more at each ``noteResultGroup()`` (each sweep).
    let resultGroupEpoch = Atomic<UInt64>(0)
    /// The ``resultGroupEpoch`` in which a result could not be made beside the claims for a
    /// lasting cause (EPERM: not in `done/`'s group; EXDEV: `done/` on another mount, found only
    /// after the file's fsync): the results after it go to `done/` directly, not through a write
    /// that fails the same way, until the next ``noteResultGroup()`` tries the claims' way again,
    /// so that an operator's fix is taken up. By epoch, not a flag: a write that began before a
    /// sweep and failed after it does not undo the sweep's try.
    let resultsGoToDoneIn = Atomic<UInt64>(.max)
    /// `fchown(2)` of a result's group (tests refuse it, as a delegate outside done/'s group is).
    let resultGroupChange: @Sendable (Int32, gid_t) -> Int32
    /// `fsync(2)` of a result file before its rename (tests make it fail).
    let resultFsync: Spool.FileSync

    /// Makes an open file's data durable: its descriptor, and its path for the error.
    public typealias FileSync = @Sendable (_ fd: Int32, _ path: String) throws(TaskQueueError) -> Void

    /// `fsync(2)`, retried on `EINTR`.
    public static let fsyncFile: FileSync = { fd, path throws(TaskQueueError) in try FileIO.fsync(fd: fd, path: path) }

    /// Gives the file open at a descriptor a group, its owner kept.
    public static let changeGroup: @Sendable (Int32, gid_t) -> Int32 = { fchown($0, uid_t.max, $1) }

    /// `cur/<delegate>/` and its `.lock`, open and `flock`ed while this delegate runs
    /// (``lockClaims(lock:)``).
    let claimLock = Mutex<[Int32]>([])

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
        claimsFsync: @escaping @Sendable (String) throws(TaskQueueError) -> Void = Spool.fsyncDirectory,
        afterPlantedLook: @escaping @Sendable (String) -> Void = { _ in },
        resultGroupChange: @escaping @Sendable (Int32, gid_t) -> Int32 = Spool.changeGroup,
        resultFsync: @escaping FileSync = Spool.fsyncFile,
        beforeClaim: @escaping @Sendable (String) -> Void = { _ in }
    ) throws(TaskQueueError) {
        try SpoolName.checkID(delegateName, what: "delegate name")
        self.directory = Self.withoutTrailingSlash(directory)
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
        self.claimsSync = DirectorySync(path: claimDirectory, fsync: claimsFsync)
        self.afterPlantedLook = afterPlantedLook
        self.resultGroupChange = resultGroupChange
        self.resultFsync = resultFsync
        self.beforeClaim = beforeClaim
    }

    /// What runs on the spool's threads (``offPool(for:_:)``).
    public enum FileWork: Sendable {
        /// A task's reads and claim, the look at `cur/<delegate>/` (two threads; the rescan of
        /// `new/` has one of its own).
        case tasks
        /// The retention sweep (a thread of its own).
        case sweep
    }

    /// Runs `body`, calls on the spool's files, on threads of the spool's own, suspending the
    /// caller until it returns. A file system that hangs (frozen for a snapshot, a hard mount
    /// whose server is gone) then holds those threads, never the cooperative pool's (one per
    /// core), which the socket's and SQS's tasks, the credentials socket and the watchdog's
    /// keep-alive need.
    ///
    /// - Throws: what `body` throws; ``TaskQueueError/Code/cancelled`` at once when the caller is
    ///   cancelled (the stop), which does not wait for a file system that hangs: `body` goes on
    ///   on its thread (a claim it makes is the next start's to recover), and what it returns is
    ///   dropped. A caller cancelled already starts nothing.
    @inlinable public func offPool<T: Sendable>(
        for work: FileWork = .tasks, _ body: @escaping @Sendable () throws(TaskQueueError) -> T
    ) async throws(TaskQueueError) -> T {
        let lanes = work == .sweep ? sweepLane : fileLanes
        guard let result = await lanes.runUnlessCancelled(body) else {
            throw TaskQueueError(code: .cancelled, message: "given up at the stop (the spool's file system may hang)")
        }
        return try result.get()
    }

    /// Makes a directory's entries durable (`fsync(2)` of the directory).
    @Sendable public static func fsyncDirectory(_ path: String) throws(TaskQueueError) {
        try FileIO.fsyncDirectory(path)
    }

    deinit {
        for fd in claimLock.withLock({ $0 }) { FileIO.close(fd) }
    }

    /// Makes this run's claims durable (an fsync of `cur/<delegate>/`, shared by those asking
    /// at once): a task claimed so is found claimed after a power loss, and run again as one
    /// that may have made its calls. A claim is not synced otherwise: after a power loss it may
    /// be back in `new/`.
    public func makeClaimDurable() async throws(TaskQueueError) {
        try await claimsSync.sync()
    }

    let tmpDirectory: String
    let newDirectory: String
    package let claimDirectory: String
    /// `cur/<delegate>/.lock`, whose lock says which process runs as the delegate. Neither a
    /// task's name nor a leftover's, so recovery passes it by.
    var claimLockPath: String { claimDirectory + "/.lock" }
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
                message:
                    "belongs to uid \(owner), the spool's delegates' user, and this delegate runs as uid \(geteuid()): "
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
        noteResultGroup()
    }

    /// Remembers `done/`'s group for the results to come (``resultGroup``), and whether a file made
    /// beside the claims must be given it (``resultGroupToGive``).
    func noteResultGroup() {
        guard let done = try? FileIO.lstat(doneDirectory) else { return }
        let claims = try? FileIO.lstat(claimDirectory)
        let madeWith = claims.map { $0.st_mode & S_ISGID != 0 ? $0.st_gid : getegid() } ?? getegid()
        resultGroupToGive.store(done.st_gid != madeWith, ordering: .relaxed)
        resultGroup.store(done.st_gid, ordering: .relaxed)
        resultGroupEpoch.add(1, ordering: .releasing)  // after the group: see writeResultFile
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
    /// same device, inode, size, modification time, owner and group- or other-writability (a rename changes none of them; one
    /// `lstat` instead of five calls). A file replaced in `new/` between the look and the claim,
    /// or written to since, is read again. "Written to since" is seen through the size and the
    /// modification time, which advances by the kernel's clock tick: bytes its owner rewrote in
    /// place, at the same size, within one tick of the first read are not, as a producer writing
    /// into `new/` (not renaming a finished file there, as the contract asks) could always race
    /// any read. Whoever wrote them, the task's principal is the same: the file's owner.
    public func read(_ claimed: ClaimedTask, peeked: SpoolTaskFile?) throws(TaskQueueError) -> SpoolTaskFile? {
        if let peeked, case .data = peeked.contents, peeked.name == claimed.name,
            let info = try FileIO.lstat(claimed.path), info.st_mode & S_IFMT == S_IFREG,
            FileFingerprint(info) == peeked.fingerprint, info.st_uid == peeked.ownerUID,
            Self.writableByOthersMode(info) == peeked.writableByOthersMode,
            Self.linkCount(info) == peeked.linkCount
        {
            return peeked
        }
        return try read(claimed)
    }

    /// ``SpoolTaskFile/linkCount`` of a file so described.
    static func linkCount(_ info: stat) -> UInt64? {
        info.st_nlink > 1 ? UInt64(info.st_nlink) : nil
    }

    /// ``SpoolTaskFile/writableByOthersMode`` of a file so described.
    static func writableByOthersMode(_ info: stat) -> UInt32? {
        info.st_mode & 0o022 != 0 ? UInt32(info.st_mode & 0o7777) : nil
    }

    private func readFile(name: String, path: String) throws(TaskQueueError) -> SpoolTaskFile? {
        let fd: Int32
        do {
            // O_NONBLOCK: opening a FIFO must not hang the daemon.
            guard let opened = try FileIO.open(path, flags: O_RDONLY | O_NOFOLLOW | O_NONBLOCK) else { return nil }
            fd = opened
        } catch  where error.errno == ELOOP {
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
        let writableByOthers = Self.writableByOthersMode(info)
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
        return SpoolTaskFile(
            name: name, fingerprint: fingerprint, contents: .data(data), ownerUID: info.st_uid,
            writableByOthersMode: writableByOthers, linkCount: Self.linkCount(info))
    }

    /// Claims `new/<name>` by renaming it into `cur/<delegate>/`.
    ///
    /// - Returns: the claimed task, or nil when another delegate won the race (or the file was withdrawn).
    /// - Throws: ``TaskQueueError/Code/claimConflict`` when a task of the same name is still claimed by
    ///   this delegate (a rerun in progress), or a result kept for an earlier task of the name cannot
    ///   be deleted (or, after a recovery that gave up, looked at); the new file stays in `new/` for
    ///   a later attempt. ``TaskQueueError/Code/badLayout`` for a directory the delegate may not
    ///   write (it cannot be moved); ``TaskQueueError/Code/claimsRemoved`` when `cur/<delegate>/`
    ///   is gone.
    public func claim(_ name: String) throws(TaskQueueError) -> ClaimedTask? {
        try SpoolName.checkTaskFileName(name)
        beforeClaim(name)
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
        } catch  where error.errno == EACCES || error.errno == EPERM {
            // Moving a directory to another parent rewrites its `..`: it needs write permission
            // on the directory itself, which a producer's `mkdir` (umask 022 or 027) withholds.
            guard let info = try? FileIO.lstat(source), info.st_mode & S_IFMT == S_IFDIR else { throw error }
            throw TaskQueueError(
                code: .badLayout,
                message:
                    "this is a directory the delegate may not write (mode 0\(String(info.st_mode & 0o7777, radix: 8)), "
                    + "owner uid \(info.st_uid)): it cannot be claimed, so it is not answered; remove it "
                    + "(producers write task files, not directories)",
                path: source)
        }
        switch outcome {
        case .renamed:
            return ClaimedTask(name: name, path: target)
        case .sourceMissing:
            // ENOENT also when `cur/<delegate>/` itself is gone (removed while the delegate ran, or
            // hidden by a file system mounted over the spool): then no claim can succeed, which
            // must not pass for races lost. Said as the periodic look says it (which, before the
            // claims are locked, looks at nothing: then whether it is there at all).
            if try !checkClaimsDirectory(), try FileIO.lstat(claimDirectory) == nil { throw claimsRemoved }
            return nil
        case .targetExists:
            throw TaskQueueError(code: .claimConflict, message: "a task of this name is already claimed", path: target)
        }
    }

    /// Puts a claimed task that has not started back into `new/`, as it was (a stop began as it
    /// was claimed): for the next start or another delegate. False when it could not go back (a
    /// new file of that name is in `new/`, or the claim is gone): a claim left is recovered at
    /// the next start.
    ///
    /// Never by a look and a plain `rename(2)`, where the file system has no `RENAME_NOREPLACE`
    /// (NFS) and `fs.protected_hardlinks` refuses the link that stands in for it: any producer
    /// may rename a file into `new/` between the two, and it would be replaced, lost.
    public func unclaim(_ claimed: ClaimedTask) throws(TaskQueueError) -> Bool {
        switch try FileIO.renameNoReplace(claimed.path, .joining(newDirectory, "/", claimed.name)) {
        case .renamed: true
        case .sourceMissing, .targetExists: false
        }
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
            logger: logger, logLimiter: logLimiter, lanes: rescanLane)
    }
}

extension Spool {
    /// `directory` as the spool's paths are made from it: `/srv/spool/` is `/srv/spool` (`/` stays).
    static func withoutTrailingSlash(_ directory: String) -> String {
        directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
    }
}
