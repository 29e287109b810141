import AWSCore
import Foundation
import TestSupport
import Testing

@testable import AWSCredentials

/// A credential file's value is kept while the file stays the one that was read, and read again
/// as soon as anything about it changes: a rotation takes effect at the next task, a file that
/// became exposed is refused at once.
@Suite struct CredentialFileCacheTests {
    func write(_ text: String, to path: String, mode: Int = 0o600) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }

    /// A store whose clock stands `ahead` seconds past now, so files written now look settled.
    func store(_ directory: TemporaryDirectory, clock: ManualClock = ManualClock(Date().addingTimeInterval(60)))
        -> CredentialRefStore
    {
        CredentialRefStore(directories: [directory.url.path], clock: clock)
    }

    @Test func aFileChangedJustBeforeItWasReadIsNotKept() throws {
        let directory = try TemporaryDirectory()
        try write("fresh-secret\n", to: directory.path("key"))
        // The store's clock one second after the file's change time, however slow this machine is.
        var info = stat()
        try #require(lstat(directory.path("key"), &info) == 0)
        let changed = Date(
            timeIntervalSince1970: TimeInterval(info.st_ctim.tv_sec) + Double(info.st_ctim.tv_nsec) / 1e9)
        let store = CredentialRefStore(
            directories: [directory.url.path], clock: ManualClock(changed.addingTimeInterval(1)))
        #expect(try store.value(of: "key") == "fresh-secret")
        #expect(try store.value(of: "key") == "fresh-secret")
        #expect(
            store.cacheCounts == (kept: 0, hits: 0), "a file written within the last two seconds is read every time")
    }

    /// The directory is checked for every lookup, a kept value's too: one that others may now
    /// write (where a file could be swapped) is refused at once, not a minute later.
    @Test func aKeptValueIsRefusedOnceItsDirectoryBecameWritableByOthers() throws {
        let directory = try TemporaryDirectory()
        try write("kept-secret\n", to: directory.path("key"))
        let store = store(directory)
        #expect(try store.value(of: "key") == "kept-secret")
        #expect(try store.value(of: "key") == "kept-secret")
        #expect(store.cacheCounts == (kept: 1, hits: 1))
        #expect(chmod(directory.url.path, 0o777) == 0)
        defer { _ = chmod(directory.url.path, 0o700) }
        let error = #expect(throws: AWSError.self) { try store.value(of: "key") }
        #expect(error?.message.contains("others than its owner may write") == true, "\(String(describing: error))")
        #expect(store.cacheCounts.hits == 1)
    }

    @Test func aSettledFileIsServedFromTheCacheAndReadAgainOnceRewrittenInPlace() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("key")
        try write("first-secret\n", to: path)
        let store = store(directory)
        #expect(try store.value(of: "key") == "first-secret")
        #expect(store.cacheCounts == (kept: 1, hits: 0))
        #expect(try store.value(of: "key") == "first-secret")
        #expect(store.cacheCounts == (kept: 1, hits: 1), "the second lookup is served without a read")

        // Same inode, another length.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: Data("second-secret-longer\n".utf8))
        try handle.close()
        #expect(try store.value(of: "key") == "second-secret-longer")

        // Same inode, same length, and the modification time put back: only the change time tells
        // (a later tick of the kernel's coarse clock).
        var before = stat()
        try #require(lstat(path, &before) == 0)
        Thread.sleep(forTimeInterval: 0.05)
        let again = try #require(FileHandle(forWritingAtPath: path))
        try again.write(contentsOf: Data("third--secret-longer\n".utf8))
        try again.close()
        var times = [before.st_atim, before.st_mtim]
        try #require(utimensat(AT_FDCWD, path, &times, 0) == 0)
        var after = stat()
        try #require(lstat(path, &after) == 0)
        try #require(after.st_mtim.tv_sec == before.st_mtim.tv_sec && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec)
        try #require(after.st_size == before.st_size)
        #expect(try store.value(of: "key") == "third--secret-longer")
    }

    @Test func aFullCacheKeepsAtMost64Files() throws {
        let directory = try TemporaryDirectory()
        for index in 0..<70 { try write("secret-\(index)", to: directory.path("key-\(index)")) }
        let store = store(directory)
        for index in 0..<70 { #expect(try store.value(of: "key-\(index)") == "secret-\(index)") }
        #expect(store.cacheCounts.kept == CredentialFileCache.maxEntries)
    }

    @Test func aKeptValueIsReadAgainOnceAMinuteOld() throws {
        let directory = try TemporaryDirectory()
        try write("aging-secret", to: directory.path("key"))
        let clock = ManualClock(Date().addingTimeInterval(60))
        let store = store(directory, clock: clock)
        #expect(try store.value(of: "key") == "aging-secret")
        clock.advance(by: 59)
        #expect(try store.value(of: "key") == "aging-secret")
        #expect(store.cacheCounts.hits == 1)
        clock.advance(by: 2)
        #expect(try store.value(of: "key") == "aging-secret")
        #expect(store.cacheCounts == (kept: 1, hits: 1), "read again, and kept again from then on")
        #expect(try store.value(of: "key") == "aging-secret")
        #expect(store.cacheCounts.hits == 2)

        // A wall clock set back makes the kept value look read in the future: read again.
        clock.advance(by: -120)
        #expect(try store.value(of: "key") == "aging-secret")
        #expect(store.cacheCounts.hits == 2)
    }

    /// A value nobody asks for again leaves memory once too old to be served (the daemon purges
    /// every status round), not only when its file is read again.
    @Test func aValueTooOldToServeIsPurged() throws {
        let directory = try TemporaryDirectory()
        try write("old-secret", to: directory.path("old"))
        try write("new-secret", to: directory.path("new"))
        let clock = ManualClock(Date().addingTimeInterval(60))
        let store = store(directory, clock: clock)
        #expect(try store.value(of: "old") == "old-secret")
        clock.advance(by: 30)
        #expect(try store.value(of: "new") == "new-secret")
        store.purgeExpired()
        #expect(store.cacheCounts.kept == 2, "values still young enough to serve stay")
        clock.advance(by: 31)
        store.purgeExpired()
        #expect(store.cacheCounts.kept == 1, "the value read 61 s ago is gone")
        clock.advance(by: 30)
        store.purgeExpired()
        #expect(store.cacheCounts.kept == 0)
    }

    @Test func aFileReplacedByRenameIsReadAgain() throws {
        let directory = try TemporaryDirectory()
        try write("old-secret", to: directory.path("key"))
        let store = store(directory)
        #expect(try store.value(of: "key") == "old-secret")
        try write("new-secret", to: directory.path("key.tmp"))
        #expect(rename(directory.path("key.tmp"), directory.path("key")) == 0)
        #expect(try store.value(of: "key") == "new-secret")
    }

    @Test func aKeptFileThatBecomesExposedOrALinkOrGoesAwayIsRefused() throws {
        let directory = try TemporaryDirectory()
        try write("exposed-secret", to: directory.path("key"))
        let store = store(directory)
        #expect(try store.value(of: "key") == "exposed-secret")

        #expect(chmod(directory.path("key"), 0o640) == 0)
        let exposed = #expect(throws: AWSError.self) { try store.value(of: "key") }
        #expect(exposed?.message.contains("mode 640") == true)
        #expect(exposed?.message.contains("exposed-secret") == false)

        #expect(chmod(directory.path("key"), 0o600) == 0)
        #expect(try store.value(of: "key") == "exposed-secret")
        #expect(rename(directory.path("key"), directory.path("target")) == 0)
        #expect(symlink(directory.path("target"), directory.path("key")) == 0)
        let link = #expect(throws: AWSError.self) { try store.value(of: "key") }
        #expect(link?.message.contains("symbolic link") == true)

        #expect(unlink(directory.path("key")) == 0)
        let gone = #expect(throws: AWSError.self) { try store.value(of: "key") }
        #expect(gone?.message.contains("was not found") == true)
        #expect(store.cacheCounts.kept == 0, "nothing of a file that is gone stays in memory")
    }

    @Test func aFileAddedToAnEarlierDirectoryTakesOver() throws {
        let systemd = try TemporaryDirectory()
        let configured = try TemporaryDirectory()
        try write("from-config", to: configured.path("key"))
        let store = CredentialRefStore(
            directories: [systemd.url.path, configured.url.path], clock: ManualClock(Date().addingTimeInterval(60)))
        #expect(try store.value(of: "key") == "from-config")
        #expect(store.cacheCounts.kept == 1)
        try write("from-systemd", to: systemd.path("key"))
        #expect(try store.value(of: "key") == "from-systemd")
    }
}
