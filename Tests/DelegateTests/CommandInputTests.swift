import Foundation
import Glibc
import TestSupport
import Testing

@testable import Delegate

/// What `submit` and `open` read: never more than one byte past the limit, and a reason when it
/// cannot be read.
@Suite struct CommandInputTests {
    @Test func aFileWithinTheLimitIsReadWhole() throws {
        let directory = try TemporaryDirectory(prefix: "input")
        let path = directory.path("task.json")
        let text = Data(String(repeating: "x", count: 100_000).utf8)
        try text.write(to: URL(fileURLWithPath: path))
        #expect(try CommandInput.read(path, limit: 100_000, what: "a task").get() == text)
        let refused = #expect(throws: CommandInput.Failure.self) {
            try CommandInput.read(path, limit: 99_999, what: "a task").get()
        }
        #expect(refused?.message == "\(path) holds more than 99999 bytes; a task is at most 99999")
    }

    /// Standard input another process made non-blocking (the flag belongs to the shared open
    /// pipe), read before the producer wrote: waited on, not refused with EAGAIN.
    @Test(.timeLimit(.minutes(1))) func aNonBlockingPipeIsWaitedOn() throws {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        defer { close(ends[0]) }
        #expect(fcntl(ends[0], F_SETFL, fcntl(ends[0], F_GETFL) | O_NONBLOCK) == 0)
        let writer = ends[1]
        let producer = Thread {
            usleep(100_000)
            _ = write(writer, "{}", 2)
            close(writer)
        }
        producer.start()
        #expect(RegularFile.readToEnd(ends[0], limit: 1 << 20) == .success(Array("{}".utf8)))
    }

    /// A pipe whose writer never closes it (`yes | submit -`) is refused once past the limit, not
    /// read to an end that never comes: what the pipe holds beyond one byte past the limit is left.
    @Test func aPipeIsReadOnlyToOneBytePastTheLimit() throws {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        defer { close(ends[0]); close(ends[1]) }
        let written = [UInt8](repeating: 0x79, count: 5_000)
        #expect(write(ends[1], written, written.count) == written.count)

        let refused = #expect(throws: CommandInput.Failure.self) {
            try CommandInput.read("/proc/self/fd/\(ends[0])", limit: 1_000, what: "a task").get()
        }
        #expect(refused?.message.hasSuffix("holds more than 1000 bytes; a task is at most 1000") == true)
        var left = 0
        #expect(ioctl(ends[0], UInt(FIONREAD), &left) == 0)
        #expect(left == 5_000 - 1_001)
    }

    @Test func whyAFileCannotBeReadIsSaid() throws {
        let directory = try TemporaryDirectory(prefix: "input")
        let missing = #expect(throws: CommandInput.Failure.self) {
            try CommandInput.read(directory.path("none.json"), limit: 10, what: "a task").get()
        }
        #expect(missing?.message == "cannot read \(directory.path("none.json")): No such file or directory")
        let folder = #expect(throws: CommandInput.Failure.self) {
            try CommandInput.read(directory.url.path, limit: 10, what: "a result").get()
        }
        #expect(folder?.message == "cannot read \(directory.url.path): Is a directory")
    }
}
