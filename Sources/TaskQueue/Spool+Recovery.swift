import FileNames
import FoundationEssentials
import Glibc
import Logging
import Synchronization

/// What an earlier run left: its claimed tasks run again, other delegates' claims noted, and old
/// results swept.
extension Spool {
    /// When a task recovered at a start was claimed by the earlier run (its file's status change,
    /// which the claim's rename made), as the recovery read it before touching the file: that
    /// run may have made its calls since. Nil if the file could not be looked at.
    public func claimedAt(_ claimed: ClaimedTask) -> Date? {
        claimed.claimedAt ?? Self.statusChange(of: claimed.path)
    }

    /// The owner of a claimed task's file (its principal); nil if it cannot be looked at. For the
    /// lines about a file that could not be read, whose read gave no owner.
    public func owner(of claimed: ClaimedTask) -> UInt32? {
        (try? FileIO.lstat(claimed.path))?.map(\.st_uid)
    }

    /// A file's status change time; nil if it cannot be looked at.
    static func statusChange(of path: String) -> Date? {
        guard let info = try? FileIO.lstat(path) else { return nil }
        return Date(
            timeIntervalSince1970: TimeInterval(info.st_ctim.tv_sec) + TimeInterval(info.st_ctim.tv_nsec)
                / 1_000_000_000)
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
                    let path = claimDirectory + "/" + entry.name
                    tasks.append(
                        ClaimedTask(
                            name: entry.name, path: path, recovered: true, claimedAt: Self.statusChange(of: path)))
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
        // Where `RENAME_NOREPLACE` is missing (NFS) a task handed back (`unclaim`), and a claim
        // by versions before this one, is a link and an unlink: a crash between the two left the
        // same file in `new/` too, where it would be claimed and run a second time. That copy
        // goes; another file of the same name stays (a conflict).
        for task in tasks {
            let queued = newDirectory + "/" + task.name
            do {
                guard let copy = try FileIO.lstat(queued), let claimed = try FileIO.lstat(task.path),
                    copy.st_dev == claimed.st_dev, copy.st_ino == claimed.st_ino
                else { continue }
                // Gone meanwhile (another delegate on the spool claimed it): nothing was removed.
                guard try FileIO.unlink(queued) else { continue }
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
                // A planted directory moved aside from done/ (``removePlanted``) is a leftover too.
                try Self.removeEntry(claimDirectory + "/" + name)
            } catch {
                logger.error("a leftover of an earlier run cannot be deleted (it stays in \(claimDirectory)): \(error)")
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
                let (from, to) = (claims.shellQuoted, claimDirectory.shellQuoted)
                logger.notice(
                    """
                    \(count) task(s) in cur/\(entry.name)/ are claimed by delegate \(entry.name), not this one \
                    (\(delegateName)), which does not run them; if no delegate of that name runs any more (a host \
                    or delegate renamed), stop this delegate and move each, with its kept result, to its own \
                    claims unless one of its name is there: cd \(from) && for t in *.json; do [ -e \
                    \(to)/"$t" ] || [ -e \(to)/".$t.result" ] || { mv -n -- "$t" \
                    \(to)/; [ ! -e ".$t.result" ] || \
                    mv -n -- ".$t.result" \(to)/; }; done (at the next start a task with a kept \
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
                        .joining(claimDirectory, "/.", name, ".result"),
                        .joining(claimDirectory, "/.", newName, ".result"))
                }
                let claimedAt = Self.statusChange(of: claimDirectory + "/" + name)
                switch try FileIO.renameIntoOwnDirectory(claimDirectory + "/" + name, claimDirectory + "/" + newName) {
                case .renamed:
                    logger.warning(
                        "a task claimed by an earlier run has a name longer than \(SpoolName.maximumTaskFileNameBytes) bytes; renamed it to \(newName)",
                        metadata: ["event": "spool_layout", "path": "\(claimDirectory)/\(newName)"])
                    tasks.append(
                        ClaimedTask(
                            name: newName, path: claimDirectory + "/" + newName, recovered: true, claimedAt: claimedAt))
                case .targetExists, .sourceMissing:
                    logger.error(
                        "a claimed task's name is too long and it cannot be renamed to \(newName): the name is taken")
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
        noteResultGroup()  // an operator's chgrp of done/ reaches the results within a sweep
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
                    // A name that is not UTF-8 is never a result of this delegate's; its lossy
                    // `name` names no file, so every entry goes by its bytes.
                    if entry.invalidUTF8Name == nil, placed.contains(path) { continue }
                    switch Self.sweep(folder, entry.invalidUTF8Name ?? Array(entry.name.utf8), cutoff: cutoff) {
                    case .deleted: deleted += 1
                    case .kept: break
                    case .failed(let call, let number):
                        failures += 1
                        firstFailure = firstFailure ?? .system(call, path: path, errno: number)
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

    private enum Swept {
        case deleted, kept
        case failed(String, Int32)
    }

    /// ``sweepResults(olderThan:now:)`` for one entry of `folder`: a regular file older than
    /// `cutoff` is deleted, by the bytes of its name (which need not be UTF-8).
    private static func sweep(_ folder: String, _ name: [UInt8], cutoff: Double) -> Swept {
        FileIO.withRawPath(in: folder, name) { cPath -> Swept in
            var info = stat()
            guard FileIO.retrying({ Glibc.lstat(cPath, &info) }) == 0 else {
                return errno == ENOENT ? .kept : .failed("lstat", errno)
            }
            let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
            guard info.st_mode & S_IFMT == S_IFREG, modified < cutoff else { return .kept }
            guard FileIO.retrying({ Glibc.unlink(cPath) }) == 0 else {
                return errno == ENOENT ? .kept : .failed("unlink", errno)
            }
            return .deleted
        }
    }
}
