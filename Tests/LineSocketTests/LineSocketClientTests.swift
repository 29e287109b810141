import Foundation
import LineSocket
import TestSupport
import Testing

/// The command line's socket client against listening sockets made here (`get`, `exec`,
/// `submit --socket`, `status`).
@Suite struct LineSocketClientTests {
    /// A server whose backlog is full accepts nobody: the connect ends at its timeout, not at
    /// the 120 s of a `get`, nor never.
    @Test func aConnectToAFullBacklogEndsAtTheTimeout() throws {
        let directory = try TemporaryDirectory(prefix: "sd-line")
        let path = directory.path("full.sock")
        let server = try UnixListener.listen(at: path, backlog: 0)
        defer { close(server) }
        var waiting: [LineSocketClient] = []
        var refusal: LineSocketError?
        let started = ContinuousClock.now
        for _ in 0..<4 where refusal == nil {
            do {
                waiting.append(try LineSocketClient.connect(path: path, timeout: .milliseconds(300)))
            } catch {
                refusal = error
            }
        }
        let elapsed = ContinuousClock.now - started
        #expect(refusal?.code == .timedOut, "\(String(describing: refusal)) after \(waiting.count) connections")
        #expect(refusal?.path == path)
        // (Far from the 120 s, with room for a loaded host.)
        #expect(elapsed >= .milliseconds(250) && elapsed < .seconds(60), "\(elapsed)")
    }

    /// A server that reads nothing: a send larger than the socket buffers ends at the timeout.
    @Test func aSendNobodyReadsEndsAtTheTimeout() throws {
        let directory = try TemporaryDirectory(prefix: "sd-line")
        let path = directory.path("deaf.sock")
        let server = try UnixListener.listen(at: path, backlog: 4)
        defer { close(server) }
        let client = try LineSocketClient.connect(path: path, timeout: .milliseconds(300))
        #expect(throws: LineSocketError(code: .timedOut, message: "the server read nothing in time")) {
            try client.send([UInt8](repeating: UInt8(ascii: "x"), count: 16 << 20))
        }
    }

    @Test func linesArriveWholeAndTheLastOneWithoutANewline() throws {
        let directory = try TemporaryDirectory(prefix: "sd-line")
        let path = directory.path("lines.sock")
        let server = try UnixListener.listen(at: path, backlog: 4)
        defer { close(server) }
        let client = try LineSocketClient.connect(path: path)
        let peer = accept(server, nil, nil)
        try #require(peer >= 0)
        func send(_ part: String) {
            _ = part.utf8CString.withUnsafeBufferPointer { write(peer, $0.baseAddress, $0.count - 1) }
        }
        // "second" arrives in two reads: the client keeps the first half until the rest comes.
        send("first\nsec")
        #expect(try client.readLine(timeout: .seconds(10)) == Array("first".utf8))
        #expect(throws: LineSocketError.self) { try client.readLine(timeout: .milliseconds(50)) }
        send("ond\n")
        send("last")
        close(peer)
        #expect(try client.readLine(timeout: .seconds(10)) == Array("second".utf8))
        #expect(try client.readLine(timeout: .seconds(10)) == Array("last".utf8))
        #expect(try client.readLine(timeout: .seconds(10)) == nil)
    }

    /// A line over the limit is refused also when its newline comes in the same read; one of
    /// exactly the limit is a line.
    @Test func aLineOverTheLimitIsRefusedWhateverReadBringsItsNewline() throws {
        let directory = try TemporaryDirectory(prefix: "sd-line")
        let path = directory.path("long.sock")
        let server = try UnixListener.listen(at: path, backlog: 4)
        defer { close(server) }
        let client = try LineSocketClient.connect(path: path, maximumLineBytes: 10)
        let peer = accept(server, nil, nil)
        try #require(peer >= 0)
        defer { close(peer) }
        let text = String(repeating: "y", count: 10) + "\n" + String(repeating: "x", count: 20) + "\n"
        _ = text.utf8CString.withUnsafeBufferPointer { write(peer, $0.baseAddress, $0.count - 1) }
        #expect(try client.readLine(timeout: .seconds(10)) == Array(repeating: UInt8(ascii: "y"), count: 10))
        #expect(throws: LineSocketError(code: .tooLarge, message: "line exceeds 10 bytes")) {
            try client.readLine(timeout: .seconds(10))
        }
    }

    @Test(arguments: ["", String(repeating: "p", count: 200), "a\u{0}b"])
    func aPathASocketCannotHaveIsRefusedBeforeAnyCall(path: String) {
        #expect(throws: UnixSocketPath.invalid(path)) { try LineSocketClient.connect(path: path) }
    }
}
