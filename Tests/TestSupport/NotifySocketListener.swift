import Foundation
import Glibc
import Synchronization

/// Plays systemd's side of `sd_notify(3)`: a Unix datagram socket in a fresh temporary
/// directory that collects every message sent to it.
///
/// Start a child with `NOTIFY_SOCKET=<path>` in its own environment (never `setenv` in the test
/// process) and wait for the assignments it sends:
///
///     let listener = try NotifySocketListener()
///     // run the daemon with environment["NOTIFY_SOCKET"] = listener.path
///     try await listener.waitForAssignment("READY=1")
///
/// A thread drains the socket continuously, as systemd does: Linux queues only
/// `net.unix.max_dgram_qlen` (often 10) datagrams, after which the sender's `sd_notify` blocks,
/// so a listener read only now and then would wedge a daemon that sends `WATCHDOG=1` often.
public final class NotifySocketListener: Sendable {
    /// The socket path to put in the child's `NOTIFY_SOCKET`.
    public let path: String
    private let directory: String
    private let shared: Shared

    private struct State {
        var descriptor: Int32
        var datagrams: [String] = []
    }

    /// The state the listener and its draining thread share.
    private final class Shared: Sendable {
        let state: Mutex<State>
        init(descriptor: Int32) { state = Mutex(State(descriptor: descriptor)) }
    }

    public init() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("notify-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        let path = directory + "/notify.sock"
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else {
            throw JournalTestError("socket(AF_UNIX, SOCK_DGRAM) failed: errno \(errno)")
        }
        let bound = JournalTestHelper.withUnixAddress(path) { address, length in bind(descriptor, address, length) }
        guard bound == 0 else {
            let error = errno
            _ = Glibc.close(descriptor)
            throw JournalTestError("cannot bind \(path): errno \(error)")
        }
        self.path = path
        self.directory = directory
        let shared = Shared(descriptor: descriptor)
        self.shared = shared
        Thread {
            while shared.state.withLock({ state in
                Self.drain(&state)
                return state.descriptor >= 0
            }) {
                usleep(5_000)
            }
        }.start()
    }

    deinit {
        close()
    }

    /// Every datagram received so far, oldest first.
    public var datagrams: [String] {
        shared.state.withLock { state in
            Self.drain(&state)
            return state.datagrams
        }
    }

    /// Every `NAME=value` line received so far, across datagrams, oldest first.
    public var assignments: [String] {
        datagrams.flatMap { $0.split(separator: "\n").map(String.init) }
    }

    /// Waits for a datagram containing the line `assignment` (e.g. `READY=1`) and returns that
    /// datagram.
    @discardableResult
    public func waitForAssignment(_ assignment: String, timeout: Duration = .seconds(60)) async throws -> String {
        try await waitForDatagram(timeout: timeout) { datagram in
            datagram.split(separator: "\n").contains { $0 == assignment }
        }
    }

    /// Waits for the first datagram that satisfies `predicate`.
    public func waitForDatagram(
        timeout: Duration = .seconds(60),
        where predicate: (String) -> Bool
    ) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let match = datagrams.first(where: predicate) { return match }
            guard ContinuousClock.now < deadline else {
                throw JournalTestError("no matching notify message within \(timeout); received \(datagrams)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Closes the socket and removes its directory. Called by `deinit` too.
    public func close() {
        let descriptor = shared.state.withLock { state in
            Self.drain(&state)
            defer { state.descriptor = -1 }
            return state.descriptor
        }
        guard descriptor >= 0 else { return }
        _ = Glibc.close(descriptor)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Reads every queued datagram without blocking.
    private static func drain(_ state: inout State) {
        guard state.descriptor >= 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let received = buffer.withUnsafeMutableBytes { raw in
                recv(state.descriptor, raw.baseAddress, raw.count, Int32(MSG_DONTWAIT))
            }
            if received < 0 && errno == EINTR { continue }
            guard received >= 0 else { return }  // EAGAIN: nothing more queued
            state.datagrams.append(String(decoding: buffer[0..<received], as: UTF8.self))
        }
    }
}
