import DelegateClient
import Foundation
import Glibc
import Testing

/// `get` prints a value whole or not at all: a non-blocking stdout that is full for a moment
/// (another process set `O_NONBLOCK` on the pipe, its reader is slower) is waited on, not
/// taken for a failed write with part of the value already out.
@Suite struct FileDescriptorWriterTests {
    @Test func aFullNonBlockingPipeIsWaitedOnAndGetsEverything() async throws {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        let (reader, writer) = (ends[0], ends[1])
        defer { close(reader) }
        #expect(fcntl(writer, F_SETFL, fcntl(writer, F_GETFL) | O_NONBLOCK) == 0)
        // Four times what a pipe holds by default, so the writer finds it full.
        let value = (0..<(256 * 1024)).map { UInt8(truncatingIfNeeded: $0 % 251) }

        let received = Task.detached { () -> [UInt8] in
            // The reader starts late: the pipe fills first.
            usleep(200_000)
            var all: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 16 * 1024)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(reader, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                if count <= 0 { return all }
                all.append(contentsOf: chunk[0..<count])
            }
        }
        let failure = await Task.detached { () -> Int32? in
            defer { close(writer) }
            return FileDescriptorWriter.writeAll(writer, value)
        }.value
        #expect(failure == nil, "errno \(failure ?? 0)")
        #expect(await received.value == value)
    }

    /// Output to a regular file counts as written once synced: a file system that fails its
    /// write-back (NFS, a quota, EIO) says so only at the sync, after every write succeeded, and
    /// that is stdout refusing the output (74), not a success. A pipe is not asked to sync.
    @Test func outputToAFileThatDoesNotReachItIsRefused() throws {
        let path = FileManager.default.temporaryDirectory.path + "/fdw-\(UUID().uuidString)"
        let file = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        try #require(file >= 0)
        defer {
            close(file)
            unlink(path)
        }
        let failing: (Int32) -> Int32 = { _ in
            errno = EIO
            return -1
        }
        let value = Array("v".utf8)
        #expect(FileDescriptorWriter.emit(output: value, errorOutput: "", status: 0, what: nil, fd: file, sync: failing) == 74)
        #expect(FileDescriptorWriter.emit(output: value, errorOutput: "", status: 0, what: nil, fd: file) == 0)
        // A file system that cannot sync is no refusal.
        let unsupported: (Int32) -> Int32 = { _ in
            errno = EINVAL
            return -1
        }
        #expect(FileDescriptorWriter.emit(output: value, errorOutput: "", status: 0, what: nil, fd: file, sync: unsupported) == 0)
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        defer { close(ends[0]); close(ends[1]) }
        #expect(FileDescriptorWriter.emit(output: value, errorOutput: "", status: 0, what: nil, fd: ends[1], sync: failing) == 0)
    }
}
