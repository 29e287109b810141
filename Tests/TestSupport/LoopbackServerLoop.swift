import Foundation
import HTTP
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The poll loop behind `LoopbackHTTPServer`.
///
/// `@unchecked Sendable`: `stats` and `stopping` are behind `Mutex`es and the wake pipe is
/// written from any thread; `connections` and the sockets are used only by the loop thread.
final class LoopbackServerLoop: @unchecked Sendable {
    let port: Int
    let stats = Mutex(LoopbackServerStats())
    private let handler: LoopbackHTTPServer.Handler
    private let listener: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let stopping = Mutex(false)
    private let exited = DispatchSemaphore(value: 0)
    private let started = Mutex(false)
    private var connections: [LoopbackConnection] = []

    init(handler: @escaping LoopbackHTTPServer.Handler) throws(LoopbackServerError) {
        self.handler = handler
        let fd = socket(
            AF_INET,
            Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
                | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw LoopbackServerError(message: "socket", errno: errno) }
        let boundPort = LoopbackPorts.bindToAnyPort(fd)
        let bound = boundPort != nil && listen(fd, 1024) == 0
        guard bound else {
            let code = errno
            close(fd)
            throw LoopbackServerError(message: "bind/listen on 127.0.0.1", errno: code)
        }
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else {
            let code = errno
            close(fd)
            throw LoopbackServerError(message: "pipe2", errno: code)
        }
        for descriptor in pipeFDs { Self.makeNonBlocking(descriptor) }
        listener = fd
        wakeRead = pipeFDs[0]
        wakeWrite = pipeFDs[1]
        port = boundPort ?? 0
    }

    deinit {
        close(listener)
        close(wakeRead)
        close(wakeWrite)
    }

    func start() {
        started.withLock { $0 = true }
        let thread = Thread { [self] in self.run() }
        thread.name = "loopback-http"
        thread.start()
    }

    func stop() {
        let wasRunning = started.withLock { $0 }
        stopping.withLock { $0 = true }
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
        if wasRunning {
            exited.wait()
            exited.signal()
        }
    }

    // MARK: Loop thread

    private func run() {
        while !stopping.withLock({ $0 }) {
            var fds = [
                pollfd(fd: listener, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
            ]
            for connection in connections {
                var events = Int16(POLLIN)
                if connection.hasOutput { events |= Int16(POLLOUT) }
                fds.append(pollfd(fd: connection.fd, events: events, revents: 0))
            }
            let polled = connections
            _ = poll(&fds, nfds_t(fds.count), pollTimeout())

            if fds[1].revents != 0 { drainWakePipe() }
            if fds[0].revents != 0 { acceptConnections() }
            let now = ContinuousClock.now
            for (index, connection) in connections.enumerated() {
                // Connections accepted just now were not polled; read them on the next round.
                let revents = index < polled.count ? fds[index + 2].revents : 0
                if revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 { connection.readAvailable() }
                connection.fireDueAction(now: now)
                connection.processRequests(handler: handle)
                if revents & Int16(POLLOUT) != 0 || connection.hasOutput { connection.flush() }
            }
            for connection in connections where connection.isClosed { connection.close() }
            connections.removeAll { $0.isClosed }
        }
        for connection in connections { connection.close() }
        connections.removeAll()
        exited.signal()
    }

    private func handle(_ request: RecordedRequest) -> ScriptedResponse {
        stats.withLock { $0.requests.append(request) }
        return handler(request)
    }

    /// Milliseconds until the earliest delayed action, or -1 to wait for I/O only.
    private func pollTimeout() -> Int32 {
        let deadlines = connections.compactMap(\.dueAt)
        guard let first = deadlines.min() else { return -1 }
        let remaining = ContinuousClock.now.duration(to: first)
        if remaining <= .zero { return 0 }
        let (seconds, attoseconds) = remaining.components
        let millis = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: millis)
    }

    private func drainWakePipe() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(wakeRead, &buffer, buffer.count) > 0 {}
    }

    private func acceptConnections() {
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return  // EAGAIN: nothing more to accept; other errors: try again on the next poll
            }
            Self.makeNonBlocking(fd)
            let number = stats.withLock { stats in
                stats.connections += 1
                return stats.connections
            }
            connections.append(LoopbackConnection(fd: fd, number: number))
        }
    }

    private static func makeNonBlocking(_ fd: Int32) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }
}
