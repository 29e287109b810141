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
    func store(_ directory: TemporaryDirectory, ahead seconds: TimeInterval = 60) -> CredentialRefStore {
        CredentialRefStore(directories: [directory.url.path], clock: ManualClock(Date().addingTimeInterval(seconds)))
    }

    @Test func aFileChangedJustBeforeItWasReadIsNotKept() throws {
        let directory = try TemporaryDirectory()
        try write("fresh-secret\n", to: directory.path("key"))
        let store = CredentialRefStore(directories: [directory.url.path])
        #expect(try store.value(of: "key") == "fresh-secret")
        #expect(store.keptFileCount == 0, "a file written within the last two seconds is read every time")
    }

    @Test func aSettledFileIsKeptAndReadAgainOnceRewrittenInPlace() throws {
        let directory = try TemporaryDirectory()
        try write("first-secret\n", to: directory.path("key"))
        let store = store(directory)
        #expect(try store.value(of: "key") == "first-secret")
        #expect(store.keptFileCount == 1)
        #expect(try store.value(of: "key") == "first-secret")

        // Same inode, another length.
        let handle = try #require(FileHandle(forWritingAtPath: directory.path("key")))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: Data("second-secret-longer\n".utf8))
        try handle.close()
        #expect(try store.value(of: "key") == "second-secret-longer")

        // Same inode, same length: only the change time tells (a later tick of the coarse clock).
        Thread.sleep(forTimeInterval: 0.05)
        let again = try #require(FileHandle(forWritingAtPath: directory.path("key")))
        try again.write(contentsOf: Data("third--secret-longer\n".utf8))
        try again.close()
        #expect(try store.value(of: "key") == "third--secret-longer")
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
    }

    @Test func aFileAddedToAnEarlierDirectoryTakesOver() throws {
        let systemd = try TemporaryDirectory()
        let configured = try TemporaryDirectory()
        try write("from-config", to: configured.path("key"))
        let store = CredentialRefStore(
            directories: [systemd.url.path, configured.url.path], clock: ManualClock(Date().addingTimeInterval(60)))
        #expect(try store.value(of: "key") == "from-config")
        #expect(store.keptFileCount == 1)
        try write("from-systemd", to: systemd.path("key"))
        #expect(try store.value(of: "key") == "from-systemd")
    }
}
