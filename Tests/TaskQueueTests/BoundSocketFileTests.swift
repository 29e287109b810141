import Foundation
import Glibc
import TestSupport
import Testing

@testable import TaskQueue

/// A server removes the socket file it bound when it closes, and only that one: a socket bound
/// anew at the path meanwhile (a systemd socket unit started while the delegate served the path
/// itself) stays, or socket activation would break until that unit restarted.
@Suite struct BoundSocketFileTests {
    /// Binds a fresh listening socket at `path` (after removing what is there), as systemd would.
    static func rebind(_ path: String) throws -> Int32 {
        _ = unlink(path)
        let fd = try SocketServer.bind(path: path, mode: 0o600)
        return fd
    }

    @Test func theTaskSocketLeavesASocketBoundAnewInItsPlace() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let path = dir.file("d.sock")
        let server = SocketServer(listener: .path(path), logger: quietLogger, handler: EchoHandler().handler)
        try server.start()
        defer { server.shutdown() }
        let other = try Self.rebind(path)
        defer { close(other) }
        let replaced = try #require(try FileIO.lstat(path))

        await server.close()

        let after = try #require(try FileIO.lstat(path), "the socket bound anew was removed")
        #expect(after.st_ino == replaced.st_ino)
    }

    @Test func theCredentialsSocketLeavesASocketBoundAnewInItsPlace() async throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let path = dir.file("c.sock")
        let server = CredentialSocketServer(
            listener: .path(path), logLimiter: LogRateLimiter(), logger: quietLogger, handler: { _ in .value(Data()) })
        try server.start()
        defer { server.shutdown() }
        let other = try Self.rebind(path)
        defer { close(other) }

        await server.stopAccepting()
        await server.close()

        #expect(try FileIO.lstat(path) != nil, "the socket bound anew was removed")
    }

    /// A server that listens but accepts nothing (hung, its backlog full) is a live server: the
    /// start says so at once rather than wait in connect(2) for a place in its backlog.
    @Test func aHungServerWithAFullBacklogIsFoundAtOnce() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let path = dir.file("hung.sock")
        let hung = try SocketServer.bind(path: path, mode: 0o600)
        defer { close(hung) }
        #expect(listen(hung, 0) == 0)
        var waiting: [Int32] = []
        defer { waiting.forEach { _ = close($0) } }
        for _ in 0..<64 {
            let client = try UnixSocketAddress.makeSocket(nonBlocking: true)
            waiting.append(client)
            do { try UnixSocketAddress.connect(client, to: path) } catch { break }
        }
        let error = #expect(throws: TaskQueueError.self) { try SocketServer.bind(path: path, mode: 0o600) }
        #expect(error?.code == .addressInUse)
        #expect(error?.message.contains("accepts no connections") == true, "\(String(describing: error))")
        #expect(try FileIO.lstat(path) != nil, "a live server's socket stays")
    }

    /// The socket swapped for a symbolic link between bind and chmod (its directory writable by
    /// another user): the mode is not given to what the link names (a file of the delegate's,
    /// 0600), and the bind fails saying why.
    @Test func aSymbolicLinkPutAtTheSocketAfterTheBindGetsNoMode() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let kept = dir.file("kept.result")
        #expect(FileManager.default.createFile(atPath: kept, contents: Data("private".utf8)))
        #expect(chmod(kept, 0o600) == 0)
        let path = dir.file("delegate.sock")
        let error = #expect(throws: TaskQueueError.self) {
            try SocketServer.bind(path: path, mode: 0o660, afterBind: {
                #expect(unlink(path) == 0 && symlink(kept, path) == 0)
            })
        }
        #expect(error?.code == .socketPathUnusable, "\(String(describing: error))")
        #expect(error?.description.contains("replaced by a symbolic link") == true, "\(String(describing: error))")
        var info = Glibc.stat()
        #expect(stat(kept, &info) == 0 && info.st_mode & 0o777 == 0o600, "the linked file keeps its mode")
    }

    /// A change of mode that fails with `number`, as the kernel or glibc would refuse it.
    static func failing(_ number: Int32) -> (String, mode_t) -> Int32 {
        { _, _ in
            errno = number
            return -1
        }
    }

    /// A start that fails after the bind (the mode cannot be set, listen refused) leaves no
    /// socket file nobody listens on at the path; what replaced the socket meanwhile stays.
    @Test func aBindThatFailsLaterRemovesTheSocketItMade() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let path = dir.file("delegate.sock")
        let refused = #expect(throws: TaskQueueError.self) {
            try SocketServer.bind(
                path: path, mode: 0o660,
                changeMode: Self.failing(EACCES))
        }
        #expect(refused?.errno == EACCES, "\(String(describing: refused))")
        var info = Glibc.stat()
        #expect(lstat(path, &info) == -1 && errno == ENOENT, "the socket file stayed")

        // Replaced by a link between the bind and the change of mode: the link is not removed.
        #expect(throws: TaskQueueError.self) {
            try SocketServer.bind(
                path: path, mode: 0o660,
                changeMode: { path, _ in
                    _ = unlink(path)
                    _ = symlink("/nonexistent", path)
                    errno = EACCES
                    return -1
                })
        }
        #expect(lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK)
    }

    /// Without /proc (a chroot), glibc cannot change a mode without following links, and says
    /// EOPNOTSUPP for any file: a socket still at the path gets its mode all the same, not a
    /// refusal that names a symbolic link that is not there.
    @Test func withoutProcTheSocketStillGetsItsMode() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let path = dir.file("delegate.sock")
        let fd = try SocketServer.bind(
            path: path, mode: 0o660,
            changeMode: Self.failing(EOPNOTSUPP))
        defer { FileIO.close(fd) }
        var info = Glibc.stat()
        #expect(lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFSOCK && info.st_mode & 0o777 == 0o660)

        // In a directory others may write (not sticky), a link could be put at the path between
        // the look and the change by name: refused, and nothing changed.
        let shared = dir.file("shared")
        #expect(mkdir(shared, 0o755) == 0 && chmod(shared, 0o777) == 0)
        let open = shared + "/delegate.sock"
        let refused = #expect(throws: TaskQueueError.self) {
            try SocketServer.bind(
                path: open, mode: 0o660,
                changeMode: Self.failing(EOPNOTSUPP))
        }
        #expect(refused?.code == .socketPathUnusable)
        #expect(refused?.description.contains("without following a link (no /proc)") == true, "\(String(describing: refused))")
        #expect(SocketServer.onlyTheOwnerReplaces(inDirectoryOf: open) == false)
        // Nor one whose own directory is private, under one others may write: the private one
        // could be renamed away and another made in its place.
        let inner = shared + "/private"
        #expect(mkdir(inner, 0o700) == 0)
        #expect(SocketServer.onlyTheOwnerReplaces(inDirectoryOf: inner + "/delegate.sock") == false)
        #expect(chmod(shared, 0o1777) == 0)
        #expect(SocketServer.onlyTheOwnerReplaces(inDirectoryOf: open), "sticky: nobody else renames the delegate's names")
        #expect(SocketServer.onlyTheOwnerReplaces(inDirectoryOf: inner + "/delegate.sock"))
        #expect(SocketServer.onlyTheOwnerReplaces(inDirectoryOf: path))
        // A directory reached through a link (/var/run, say) is judged as the one it names.
        #expect(symlink(inner, dir.file("link")) == 0)
        #expect(SocketServer.onlyTheOwnerReplaces(inDirectoryOf: dir.file("link") + "/delegate.sock"))
    }

    /// What only the operator can repair (a missing directory, a file that is no socket at the
    /// path) is `socketPathUnusable`, which the start turns into exit 78; a live server is not.
    @Test func aPathOnlyTheOperatorCanRepairIsUnusable() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let missing = dir.file("missing/delegate.sock")
        let error = #expect(throws: TaskQueueError.self) { try SocketServer.bind(path: missing, mode: 0o600) }
        #expect(error?.code == .socketPathUnusable)
        #expect(error?.errno == ENOENT)
        #expect(error?.description.contains("its directory does not exist") == true, "\(String(describing: error))")
        #expect(error?.path == missing)

        let file = dir.file("file.sock")
        #expect(FileManager.default.createFile(atPath: file, contents: Data("not a socket".utf8)))
        let planted = #expect(throws: TaskQueueError.self) { try SocketServer.bind(path: file, mode: 0o600) }
        #expect(planted?.code == .socketPathUnusable)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "not a socket", "a file that is no socket stays")

        let throughAFile = #expect(throws: TaskQueueError.self) {
            try SocketServer.bind(path: file + "/delegate.sock", mode: 0o600)
        }
        #expect(throughAFile?.code == .socketPathUnusable, "\(String(describing: throughAFile))")
        #expect(throughAFile?.errno == ENOTDIR)

        #expect(SocketServer.bindFailure(path: file, errno: EROFS).description.contains("ReadWritePaths="))
        let unlinkRefused = SocketServer.operatorRepair(.system("unlink", path: file, errno: EROFS))
        #expect(unlinkRefused.code == .socketPathUnusable)
        #expect(SocketServer.bindFailure(path: file, errno: EACCES).code == .socketPathUnusable)
        #expect(SocketServer.bindFailure(path: file, errno: EADDRINUSE).code == .io, "a race for the name is no repair")
    }

    @Test func itsOwnSocketFileGoes() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let path = dir.file("own.sock")
        let fd = try SocketServer.bind(path: path, mode: 0o600)
        defer { close(fd) }
        let bound = try #require(try BoundSocketFile(path: path))
        #expect(bound.removeIfOurs())
        #expect(try FileIO.lstat(path) == nil)
        #expect(!bound.removeIfOurs())
    }
}
