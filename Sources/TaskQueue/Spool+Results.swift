import FileNames
import FoundationEssentials
import Glibc
import Logging
import Synchronization

/// Completing a claimed task: its result written durably into `done/` (never over another
/// task's), kept beside the claim when `done/` refuses it, and the claim removed.
extension Spool {
    /// Writes `done/<resultID>.json` atomically (mode 0640), then deletes the claimed task file.
    ///
    /// Order matters: the task file may hold secret values, so it goes as soon as the result is
    /// durable, and never before (a crash in between reruns the task, which is idempotent). The
    /// result file is fsynced on its own; the fsync of `done/` that makes its name durable is
    /// shared with the other results finishing at the same time (group commit), and this returns
    /// only after it. The write and its fsync run on threads of their own (``BlockingLanes``), up
    /// to eight at once, and the claim's removal on the spool's file threads, so that waiting on
    /// the disk never holds the cooperative pool.
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
                } catch  where error.code == .resultExists {
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
        // On the spool's file threads, not behind the result lanes' fsyncs: a removal queued
        // there held the task's turn for an fsync of another result's.
        await fileLanes.run { self.removeAfterResult(claimed) }
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
            try Self.removeEntry(claimed.path)
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
    func keptResultLeft(named name: String, claimedAt target: String) throws(TaskQueueError) -> Bool {
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
    func removeKeptResultLeft(named name: String) -> Bool {
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
    /// Its fsyncs run off the cooperative pool, like ``complete(_:resultID:result:)``'s (the file's
    /// on the result lanes, the directory's on the claims' own queue): this is the path of a sick
    /// disk, where an fsync may hang. Once renamed into place the result is kept, for a restart
    /// finds it: a failing fsync of the directory after that is logged, not thrown (a power loss
    /// before the disk writes the directory back may lose it, and the task then runs again, as
    /// after a claim never made durable).
    public func keepPendingResult(_ claimed: ClaimedTask, resultID: String, result: Data) async throws(TaskQueueError) {
        try SpoolName.checkTaskID(resultID, what: "result id")
        let path = pendingResultPath(claimed)
        let temporary = path + ".\(getpid()).\(UInt64.random(in: 0...UInt64.max)).tmp"
        try await resultLanes.run { () throws(TaskQueueError) in
            try Self.writeDurably(
                Data((resultID + "\n").utf8) + result, temporary: temporary, target: path, mode: 0o600, replace: true,
                syncDirectory: false, fileSync: self.resultFsync,
                conflict: TaskQueueError(code: .io, message: "unexpected conflict", path: path))
        }
        do {
            try await claimsSync.sync()
        } catch {
            logLimiter.log(
                .warning,
                """
                the result kept for \(claimed.name) is in place, but \(claimDirectory) could not be synced: \
                a power loss before the disk writes it back may lose it, and the task then runs again: \(error)
                """,
                key: "spool-kept-result-unsynced", logger: logger)
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

    func pendingResultPath(_ claimed: ClaimedTask) -> String {
        pendingResultPath(named: claimed.name)
    }

    func pendingResultPath(named name: String) -> String {
        .joining(claimDirectory, "/.", name, ".result")
    }

    /// Deletes `path` whatever it is: what a claim moved into `cur/<delegate>/` (normally a task
    /// file, but a producer may have dropped anything into `new/`: a directory, a socket, a FIFO),
    /// or a leftover of an earlier run; a directory with what it holds (which the producer may
    /// still change: never followed through a link). The unlink first is the common case's fast
    /// path: ``FileIO/removeTree(_:)`` would open the parent directory for every file.
    static func removeEntry(_ path: String) throws(TaskQueueError) {
        do {
            try FileIO.unlink(path)
        } catch  where error.errno == EISDIR || error.errno == EPERM {
            try FileIO.removeTree(path)
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
        try Self.removeEntry(claimed.path)
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
        } catch  where error.code == .resultExists {
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
            } catch  where error.code == .resultExists {
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
    /// It starts with its separator: `.<id>` + `.<pid>.<random>` + `.<n>.tmp`.
    /// (Internal for the tests, which plant names of this pattern.)
    static let temporaryStem = ".\(getpid()).\(UInt64.random(in: 0...UInt64.max))"
    static let temporaryCounter = Atomic<UInt64>(0)

    /// A result is written beside this delegate's claims (`cur/<delegate>/`, which only it may
    /// write), given `done/`'s group where it would not have it (producers read results through
    /// it; ``noteResultGroup()`` says, for a setgid claims directory too), and renamed into
    /// `done/`: in `done/`, every producer's to write, a producer could take its name first or
    /// unlink it before its rename, and keep results from being written (the spool paused), and
    /// the retention sweep could take one whose fsync outlasted the retention. Where that fails
    /// (the delegate not in that group, `cur/<delegate>/` gone, `done/` on another mount), it is
    /// written in `done/` itself (setgid: the group comes with it) under a name with a random part
    /// of its own; for the lasting causes, so are the results after it until the next sweep
    /// (``resultsGoToDoneIn``).
    private func writeResultFile(_ data: Data, id: String, target: String, syncDirectory: Bool) throws(TaskQueueError) {
        let conflict = TaskQueueError(
            code: .resultExists, message: "an uncollected result with this id is already there", path: target)
        // The epoch first, acquiring what noteResultGroup() released with it: a write that sees
        // a sweep's epoch sees its group too, so its failure is never the group the sweep replaced.
        let epoch = resultGroupEpoch.load(ordering: .acquiring)
        let group = resultGroup.load(ordering: .relaxed)
        if group != UInt32.max, resultsGoToDoneIn.load(ordering: .relaxed) != epoch {
            let number = Self.temporaryCounter.add(1, ordering: .relaxed).newValue
            do {
                try Self.writeDurably(
                    data, temporary: .joining(claimDirectory, "/.", id, Self.temporaryStem, ".\(number).tmp"),
                    target: target, mode: Self.resultMode, replace: false,
                    group: resultGroupToGive.load(ordering: .relaxed) ? group : nil,
                    syncDirectory: syncDirectory, setGroup: resultGroupChange, fileSync: resultFsync, conflict: conflict
                )
                return
            } catch  where error.errno != nil {
                // Not in done/'s group (EPERM), the claims directory removed (ENOENT), done/ on
                // another mount (EXDEV), the claims' file system refusing: in done/ below. (A
                // result already at the name has no errno: it is the caller's to judge.) Said
                // once, for the causes that last (not a full disk's, which the fallback meets too):
                // in done/ a producer may take a result's temporary name first.
                let lasting = error.errno.map { [EPERM, EXDEV].contains($0) } ?? false
                if lasting { resultsGoToDoneIn.store(epoch, ordering: .relaxed) }
                if lasting, !resultsInDoneSaid.exchange(true, ordering: .relaxed) {
                    logger.notice(
                        """
                        a result could not be made beside the claims and given done/'s group (\(error)): it is written \
                        in done/ itself, as others will be, where a producer may take their temporary names first; \
                        let the delegate's user join done/'s group (SupplementaryGroups= in a drop-in), or keep \
                        done/ on the claims' file system
                        """,
                        metadata: ["event": "results-written-in-done", "directory": "\(doneDirectory)"])
                }
            }
        }
        try Self.writeDurably(
            data, temporary: .joining(doneDirectory, "/.", id, ".\(getpid()).\(UInt64.random(in: 0...UInt64.max)).tmp"),
            target: target, mode: Self.resultMode, replace: false, syncDirectory: syncDirectory, fileSync: resultFsync,
            conflict: conflict)
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
        // Aside into this delegate's claims, where no producer can take the name first (a
        // producer's directory, which cannot be moved there, is removed by name below).
        let number = Self.temporaryCounter.add(1, ordering: .relaxed).newValue
        let aside = String.joining(claimDirectory, "/.planted", Self.temporaryStem, ".\(number).tmp")
        var removed = aside
        do {
            switch try FileIO.renameNoReplace(target, aside) {
            case .renamed: break
            case .sourceMissing:
                // Gone meanwhile, or the claims directory is (ENOENT either way): by name then.
                guard try FileIO.lstat(target) != nil else { return }
                removed = target
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

    /// temp file (0600), write, fchown to `group`, fchmod, fsync, rename, fsync of the directory
    /// (unless `syncDirectory` is false: then the caller makes the rename durable).
    ///
    /// The group first: a mode that lets a group read, set before the group is given, would let
    /// the group the file was made with (the delegate's, whose socket users may not be `done/`'s)
    /// open it meanwhile, and keep reading through that descriptor.
    ///
    /// - Parameters:
    ///   - conflict: thrown when `replace` is false and `target` exists.
    ///   - setGroup: `fchown(2)` of the group; tests look at the file's mode then.
    ///   - fileSync: the file's `fsync(2)`; tests make it fail.
    static func writeDurably(
        _ data: Data, temporary: String, target: String, mode: mode_t, replace: Bool, group: gid_t? = nil,
        syncDirectory: Bool = true, setGroup: (Int32, gid_t) -> Int32 = Spool.changeGroup,
        fileSync: FileSync = Spool.fsyncFile,
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
            if let group, FileIO.retrying({ setGroup(fd, group) }) != 0 {
                throw .system("fchown", path: temporary, errno: errno)
            }
            if FileIO.retrying({ fchmod(fd, mode) }) != 0 { throw .system("fchmod", path: temporary, errno: errno) }
            try fileSync(fd, temporary)
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
}
