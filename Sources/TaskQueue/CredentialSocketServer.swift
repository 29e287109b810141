import Dispatch
import FoundationEssentials
import Glibc
import Logging

/// The systemd credentials socket (docs/INTERFACE.md section 11): each connection is one request
/// whose whole content is who the peer is (`SO_PEERCRED`) and the address it bound
/// (`getpeername`); the peer sends nothing and reads until EOF. The handler turns a request into
/// an ``Answer``: the bytes to write (none: a close without a byte, an empty credential), or a
/// refusal.
///
/// systemd has no way to hear "no" on this socket (systemd/systemd#27373): an EOF before any byte
/// gives the unit an empty credential and the unit starts. A refusal therefore writes more bytes
/// than systemd takes for one credential (``refusalLength``, over its 1 MiB `CREDENTIAL_SIZE_MAX`,
/// which is also the limit for all of a unit's credentials together): systemd fails the unit's
/// start with E2BIG (`status=243/CREDENTIALS`). The bytes are a repeated line naming the delegate's
/// journal, so even a systemd with larger limits would hand the unit that text, never a secret.
///
/// Bounds:
/// - at most ``Limits/maximumConnections`` requests are open at once; with that many open the
///   server stops accepting until one closes, so a request beyond them waits in the listen backlog
///   (bounded by its unit's start timeout) rather than get an EOF or a refusal, either of which
///   would decide its unit's start;
/// - a request not answered ``Limits/requestTimeout`` after it was accepted gets the refusal (its
///   handler is cancelled), never an EOF; every connection is closed at the latest
///   ``Limits/drainTimeout`` after its answer, so a peer that never reads cannot keep its slot and
///   a late answer is never cut short by the answer deadline;
/// - all socket I/O is non-blocking on one serial dispatch queue; only the handler runs on the
///   cooperative pool.
public final class CredentialSocketServer: @unchecked Sendable {
    // @unchecked: mutable state is confined to `queue`; public methods hop onto it.

    /// One request as the kernel describes the peer.
    public struct Request: Sendable {
        public let peer: PeerCredentials
        /// The peer's `sun_path` bytes as `getpeername(2)` reported them (empty when unbound).
        public let sunPath: [UInt8]
        /// Marked when the server gives up on the request, before it cancels the handler.
        public let timeout: CredentialRequestTimeout

        public init(peer: PeerCredentials, sunPath: [UInt8], timeout: CredentialRequestTimeout = .init()) {
            self.peer = peer
            self.sunPath = sunPath
            self.timeout = timeout
        }
    }

    public struct Limits: Sendable, Equatable {
        public var maximumConnections: Int
        /// From accept to the answer: a request without one by then gets the refusal.
        public var requestTimeout: Duration
        /// From the answer to the close, for the peer to take what is being written.
        public var drainTimeout: Duration

        public init(
            maximumConnections: Int = 64, requestTimeout: Duration = .seconds(75), drainTimeout: Duration = .seconds(15)
        ) {
            self.maximumConnections = maximumConnections
            self.requestTimeout = requestTimeout
            self.drainTimeout = drainTimeout
        }
    }

    /// What a request gets.
    public enum Answer: Sendable, Equatable {
        /// The credential's bytes (a Secrets Manager value: at most 65,536 bytes).
        case value(Data)
        /// ``refusalLength`` bytes of ``refusalLine``: systemd fails the unit's start.
        case refuse
    }

    /// More than systemd reads into one credential, so that it fails the start (see above).
    public static let refusalLength = (1 << 20) + 1
    /// What a refusal repeats.
    public static let refusalLine = Array(
        "secrets-delegate refused this credential; see journalctl -u secrets-delegate MESSAGE_ID=111c1dbfd96e46589d35c40901d07e07\n"
            .utf8)

    /// The whole refusal: ``refusalLine`` repeated to ``refusalLength`` bytes.
    static var refusal: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(refusalLength)
        while bytes.count < refusalLength { bytes += refusalLine.prefix(refusalLength - bytes.count) }
        return bytes
    }

    public typealias Handler = @Sendable (Request) async -> Answer
    /// The fields that name a request in the server's own log lines (its unit and credential
    /// id, say), which the handler's lines carry too.
    public typealias Describer = @Sendable (Request) -> Logger.Metadata

    private final class Connection {
        let fd: Int32
        /// The handler's call, cancelled when the request's time is up.
        let call = CancellableCall()
        var timer: DispatchSourceTimer?
        var writer: DispatchSourceWrite?
        /// The bytes to write: the value, or the refusal line repeated until `total`.
        var pending: [UInt8] = []
        var total = 0
        var written = 0
        var holdsValue = false
        /// An answer was chosen (the handler's, or the refusal at the deadline): nothing replaces it.
        var answered = false
        /// On every line the server logs about this request: the peer's uid and ``describe``'s fields.
        let metadata: Logger.Metadata

        /// The unit, for rate-limiting lines per unit, when the service manager (root) asks: another
        /// peer names any unit it likes, and would get a window per name.
        var unitKey: String {
            guard metadata["peer_uid"] == "0", let unit = metadata["unit"] else { return "-" }
            return "\(unit)"
        }

        init(fd: Int32, metadata: Logger.Metadata) {
            self.fd = fd
            self.metadata = metadata
        }
    }

    public let listener: SocketServer.Listener
    /// On `queue` only (``update(limits:)``).
    private var limits: Limits
    private let logLimiter: LogRateLimiter
    private let logger: Logger
    private let handler: Handler
    private let describe: Describer
    let queue = DispatchQueue(label: "TaskQueue.CredentialSocketServer")
    /// The handler calls, children of ``run()``.
    private let tasks = HandlerTasks()
    private var acceptor: SocketAcceptor?
    /// `accept(2)` on the listening socket; tests replace it (before `start()`) to make it fail.
    var acceptCall: @Sendable (Int32) -> (fd: Int32, errno: Int32) = SocketAcceptor.systemAccept
    /// `SO_PEERCRED` on an accepted socket; tests replace it (before `start()`) to make it fail.
    var peerCall: @Sendable (Int32) throws(TaskQueueError) -> PeerCredentials = { fd throws(TaskQueueError) in
        try PeerCredentials.of(socket: fd)
    }
    private static let notReadInTime = "the requester did not read it in time"

    /// `send(2)` of an answer's bytes (with `MSG_NOSIGNAL`): the count sent, or -1 and the errno.
    /// Tests replace it (before `start()`) to make it fail part way.
    var sendCall: @Sendable (Int32, UnsafeRawPointer, Int) -> (sent: Int, errno: Int32) = { fd, bytes, count in
        let sent = Glibc.send(fd, bytes, count, Int32(MSG_NOSIGNAL))
        return (sent, sent < 0 ? errno : 0)
    }
    private var connections: [UInt64: Connection] = [:]
    private var nextID: UInt64 = 0
    private var boundPath: BoundSocketFile?

    public init(
        listener: SocketServer.Listener, limits: Limits = Limits(), logLimiter: LogRateLimiter, logger: Logger,
        describe: @escaping Describer = { _ in [:] }, handler: @escaping Handler
    ) {
        self.listener = listener
        self.limits = limits
        self.logLimiter = logLimiter
        self.logger = logger
        self.describe = describe
        self.handler = handler
    }

    /// Binds (mode 0600: only root may connect) or adopts the listening socket and starts accepting.
    public func start() throws(TaskQueueError) {
        let fd: Int32
        var path: BoundSocketFile?
        switch listener {
        case .path(let socketPath, _):
            fd = try SocketServer.bind(path: socketPath, mode: 0o600)  // whatever the listener says: root only
            path = try? BoundSocketFile(path: socketPath)  // unknown: left at the close, never wrongly removed
        case .fileDescriptor(let adopted):
            UnixSocketAddress.setNonBlocking(adopted)
            fd = adopted
        }
        // Returns once the socket listens; accepting starts on the server's queue.
        queue.async { [path] in
            self.boundPath = path
            self.acceptor = self.makeAcceptor(fd)
        }
        logger.info("credentials socket listening", metadata: ["socket": "\(path?.path ?? "fd \(fd)")"])
    }

    /// Runs the handler calls (each request's) as children of the caller, until the server is
    /// closed or the caller is cancelled (which cancels the calls running); returns when all have
    /// returned. The owner runs it beside the server, from ``start()`` on.
    public func run() async {
        await tasks.run()
    }

    /// Stops accepting (the socket file is removed); requests already accepted still finish.
    public func stopAccepting() async {
        await queue.perform { self.closeListener() }
    }

    /// Waits until every accepted request is answered and closed, or `timeout` has passed (or
    /// the caller is cancelled).
    public func waitUntilIdle(timeout: Duration) async {
        await IdleWait.until(timeout: timeout) { await queue.perform { self.connections.isEmpty } }
    }

    /// Stops accepting, refuses every request not yet answered (its unit fails to start, where
    /// an EOF would start it with an empty credential), waits up to ``refusalDrainTime`` for
    /// those refusals to be taken (a stop has only so long), then closes every connection.
    public func close() async {
        let refused = await queue.perform { self.refuseUnanswered() }
        if !refused.isEmpty {
            // Not cut short by a cancelled caller (a start that failed cancels every service,
            // this one too): a refusal cut off reads as a credential under 1 MiB, and its unit
            // would start with it. Bounded by the drain time all the same.
            let queue = queue
            await Task {
                await IdleWait.until(timeout: Self.refusalDrainTime) {
                    await queue.perform { refused.allSatisfy { self.connections[$0] == nil } }
                }
            }.value
        }
        await queue.perform { self.closeAll() }
    }

    /// How long a stop waits for its refusals to be read: systemd's helper reads at once.
    public static let refusalDrainTime: Duration = .seconds(2)

    /// Closes every connection now, answered or not (for synchronous callers, tests among them;
    /// never from the cooperative pool: it waits for the server's queue).
    func shutdown() {
        queue.sync { closeAll() }
    }

    /// New limits (a reload): the cap applies at the next accept, the timeouts to requests
    /// accepted from then on.
    public func update(limits: Limits) {
        queue.async { self.limits = limits }
    }

    /// The limits in force (for tests: it waits for the server's queue).
    var currentLimits: Limits {
        queue.sync { limits }
    }

    /// Requests open now (for tests: it waits for the server's queue).
    var connectionCount: Int { queue.sync { connections.count } }

    // MARK: On the queue

    /// - Returns: the connections refused.
    private func refuseUnanswered() -> [UInt64] {
        closeListener()
        let unanswered = connections.filter { !$0.value.answered }.map(\.key)
        if !unanswered.isEmpty {
            logger.warning(
                "credentials socket closing: requests not yet answered were refused; their units fail to start",
                metadata: ["refused": "\(unanswered.count)"])
        }
        for id in unanswered {
            connections[id]?.call.cancel()
            answer(id, with: .refuse)
        }
        return unanswered
    }

    private func closeAll() {
        tasks.finish()
        closeListener()
        for id in Array(connections.keys) { close(id, cutShort: Self.notReadInTime) }
    }

    private func closeListener() {
        acceptor?.cancel()
        acceptor = nil
        if let boundPath {
            boundPath.removeIfOurs()
            self.boundPath = nil
        }
    }

    private func makeAcceptor(_ fd: Int32) -> SocketAcceptor {
        SocketAcceptor(
            fd: fd, queue: queue, acceptCall: acceptCall,
            owner: .init(
                name: "credentials socket", peers: "requests", failureKey: "credential-accept-failed",
                pauseBeforeAccepting: { [weak self] in
                    // Full: new requests wait in the listen backlog (their units' start timeout
                    // bounds the wait) rather than be refused, which would fail their units.
                    guard let self, self.connections.count >= self.limits.maximumConnections else { return nil }
                    self.logLimiter.warning(
                        "credentials socket full: new requests wait until one of those open is answered",
                        metadata: ["limit": "\(self.limits.maximumConnections)"], key: "credential-full",
                        logger: self.logger)
                    return .milliseconds(50)
                },
                accepted: { [weak self] fd in self?.accepted(fd) }),
            logLimiter: logLimiter, logger: logger)
    }

    /// A request the listening socket accepted (never beyond the cap: the acceptor pauses there).
    /// One whose peer the kernel cannot name is refused, not closed: it may be systemd's helper,
    /// and an EOF would start its unit with an empty credential.
    private func accepted(_ fd: Int32) {
        let peer: PeerCredentials
        do {
            peer = try peerCall(fd)
        } catch {
            logLimiter.warning(
                "cannot read a credential requester's credentials; refused",
                metadata: [
                    "event": "credential-refused", "error_code": "PeerUnknown", "peer_uid": "?", "error": "\(error)",
                ],
                key: "credential-peer", logger: logger)
            answer(track(fd: fd, metadata: ["peer_uid": "?"], timeout: CredentialRequestTimeout()).id, with: .refuse)
            return
        }
        start(fd: fd, request: Request(peer: peer, sunPath: Self.peerAddress(fd)))
    }

    /// A new connection: refused if still unanswered ``Limits/requestTimeout`` from now, and closed
    /// at the latest ``Limits/drainTimeout`` after its answer.
    private func track(fd: Int32, metadata: Logger.Metadata, timeout: CredentialRequestTimeout) -> (
        id: UInt64, connection: Connection
    ) {
        nextID += 1
        let id = nextID
        let connection = Connection(fd: fd, metadata: metadata)
        connections[id] = connection
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + .nanoseconds(Int(limits.requestTimeout / .nanoseconds(1))))
        timer.setEventHandler { [weak self] in
            guard let self, let connection = self.connections[id] else { return }
            if connection.answered {
                self.close(id, cutShort: Self.notReadInTime)
                return
            }
            self.logLimiter.warning(
                "credential request not answered in time; refused",
                metadata: connection.metadata.merging(["timeout": "\(self.limits.requestTimeout)"]) { $1 },
                key: "credential-timeout \(connection.unitKey)", logger: self.logger)
            timeout.mark()
            connection.call.cancel()
            self.answer(id, with: .refuse)
        }
        connection.timer = timer
        timer.resume()
        return (id, connection)
    }

    private func start(fd: Int32, request: Request) {
        let described = describe(request).merging(["peer_uid": "\(request.peer.uid)"]) { $1 }
        let (id, connection) = track(fd: fd, metadata: described, timeout: request.timeout)
        let handler = handler
        let call = connection.call
        let started = tasks.start {
            let answer = await call.run { await handler(request) } ?? .refuse
            self.queue.async { self.answer(id, with: answer) }
        }
        // The owner no longer runs handler calls (it was cancelled): refused now, not left to
        // the request timeout.
        if !started { answer(id, with: .refuse) }
    }

    private func answer(_ id: UInt64, with answer: Answer) {
        guard let connection = connections[id], !connection.answered else { return }
        connection.answered = true
        // From now on the peer has drainTimeout to take the answer, however late it came.
        connection.timer?.schedule(deadline: .now() + .nanoseconds(Int(limits.drainTimeout / .nanoseconds(1))))
        switch answer {
        case .value(let data) where !data.isEmpty:
            connection.pending = Array(data)
            connection.total = data.count
            connection.holdsValue = true
        case .refuse:
            connection.pending = Self.refusalLine
            connection.total = Self.refusalLength
        case .value:
            // An empty value is EOF at once: systemd writes an empty credential.
            close(id)
            return
        }
        write(id)
    }

    /// Writes what is pending; waits for the peer to read when its buffer is full.
    private func write(_ id: UInt64) {
        guard let connection = connections[id] else { return }
        while connection.written < connection.total {
            let offset = connection.written % connection.pending.count
            let length = min(connection.pending.count - offset, connection.total - connection.written)
            let (sent, number) = connection.pending.withUnsafeBytes { raw in
                sendCall(connection.fd, raw.baseAddress! + offset, length)
            }
            if sent > 0 {
                connection.written += sent
                continue
            }
            if sent < 0, number == EINTR { continue }
            if sent < 0, number == EAGAIN || number == EWOULDBLOCK {
                if connection.writer == nil {
                    let writer = DispatchSource.makeWriteSource(fileDescriptor: connection.fd, queue: queue)
                    writer.setEventHandler { [weak self] in self?.write(id) }
                    // The descriptor is closed only once the source no longer watches it, so a
                    // new connection reusing its number is never seen by this source.
                    let fd = connection.fd
                    writer.setCancelHandler { FileIO.close(fd) }
                    connection.writer = writer
                    writer.resume()
                }
                return
            }
            if sent < 0, number != EPIPE, number != ECONNRESET {
                // Not the peer gone: the part it got would pass for the whole credential.
                close(id, cutShort: "sending it failed (\(String(cString: strerror(number))))")
                return
            }
            break  // the peer went away
        }
        close(id)
    }

    /// - Parameter cutShort: why it is closed when not because the answer was written or the
    ///   peer went away (lack of time, a failed send): an answer only partly written is reported.
    private func close(_ id: UInt64, cutShort: String? = nil) {
        guard let connection = connections.removeValue(forKey: id) else { return }
        if let cutShort, connection.answered, connection.written < connection.total {
            // The peer reads the part it got, then EOF: systemd takes that as the credential, and
            // no close on a Unix socket can tell it otherwise.
            logLimiter.log(
                .error,
                "credential answer cut short: \(cutShort); "
                    + "systemd takes the part it read as the credential (restart that unit)",
                metadata: connection.metadata.merging([
                    "answer": "\(connection.holdsValue ? "value" : "refusal")",
                    "written_bytes": "\(connection.written)", "answer_bytes": "\(connection.total)",
                ]) { $1 },
                // Per unit: each unit that started with part of a credential is named.
                key: "credential-cut-short \(connection.unitKey)", logger: logger)
        }
        connection.call.cancel()
        connection.timer?.cancel()
        // Zero the copy of the value before the buffer goes (`explicit_bzero`, which the
        // optimiser may not drop as a store to memory about to be freed).
        if connection.holdsValue {
            connection.pending.withUnsafeMutableBytes { bytes in
                if let start = bytes.baseAddress { explicit_bzero(start, bytes.count) }
            }
        }
        if let writer = connection.writer {
            writer.cancel()  // its cancel handler closes the descriptor
        } else {
            FileIO.close(connection.fd)
        }
    }

    /// What a peer bound to systemd's credential-request address (`\0<hex>/unit/<unit>/<id>`, see
    /// ``Request``) asks for, for the log line: the unit in the characters of unit names only and
    /// at most 256 of them, the credential id in printable ASCII but `/` and `:` (an id's) and at
    /// most 255; or nil for any other address. A task socket's peer with such an address is
    /// systemd's helper, sent to the wrong socket by a `LoadCredential=` line.
    static func credentialRequestNames(_ sunPath: [UInt8]) -> (unit: String, id: String)? {
        let separator = UInt8(ascii: "/")
        guard sunPath.first == 0, let slash = sunPath.dropFirst().firstIndex(of: separator),
            (1...16).contains(slash - 1),
            sunPath[1..<slash].allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }),
            sunPath[slash...].starts(with: "/unit/".utf8)
        else { return nil }
        let unitBytes = sunPath[(slash + 6)...].prefix { $0 != separator }
        let unit = unitBytes.prefix(256).filter { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: ":"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "\\"),
                UInt8(ascii: "@"):
                true
            default: false
            }
        }
        let id = sunPath[unitBytes.endIndex...].dropFirst().prefix(255).filter {
            (0x20..<0x7F).contains($0) && $0 != separator && $0 != UInt8(ascii: ":")
        }
        return (String(decoding: unit, as: UTF8.self), String(decoding: id, as: UTF8.self))
    }

    /// The peer's `sun_path` bytes, as long as the kernel says they are.
    static func peerAddress(_ fd: Int32) -> [UInt8] {
        var address = sockaddr_un()
        var length = socklen_t(MemoryLayout<sockaddr_un>.size)
        let result = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        let offset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path) ?? 2
        guard result == 0, Int(length) > offset else { return [] }
        let count = min(Int(length) - offset, MemoryLayout.size(ofValue: address.sun_path))
        return withUnsafeBytes(of: &address.sun_path) { Array($0.prefix(count)) }
    }
}
