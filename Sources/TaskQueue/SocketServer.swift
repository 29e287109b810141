import Dispatch
import FoundationEssentials
import Glibc
import Logging

/// The delegate's Unix socket: newline-delimited JSON in both directions.
///
/// Every accepted peer is checked with `SO_PEERCRED` against a ``PeerPolicy`` before a single byte
/// is read; a refused peer gets one line `{"error":"PeerNotAllowed",...}` and is closed. Each
/// complete line of a permitted peer goes to the handler in its own task, so many lines of one
/// connection run concurrently and answers go back as they finish (what the ``Handler`` returns).
///
/// All socket I/O is non-blocking on one serial dispatch queue, so a slow or silent client costs a
/// buffer, never a thread. Limits:
/// - at most ``Limits/maximumConnections`` permitted connections are open at once; a peer beyond
///   that gets one line `{"error":"TooManyConnections",...}` and is closed;
/// - when `accept` fails (EMFILE: no descriptor left), the server stops accepting for a short,
///   growing pause instead of retrying at once (``AcceptBackoff``); it holds one spare descriptor
///   that it frees to accept a waiting peer, tell it `TooManyConnections` and close it, so peers
///   are refused rather than left hanging;
/// - a connection with no line in progress that has neither sent nor taken any bytes for
///   ``Limits/idleTimeout`` is closed (checked every second);
/// - a line longer than ``Limits/maximumLineBytes`` gets one error line
///   `{"error":"LineTooLong",...}`, and the connection is closed once lines already running are
///   answered (the stream cannot be resynchronised reliably);
/// - at most ``Limits/maximumLinesInProgress`` lines per connection run at once; beyond that the
///   server stops reading from that peer until some finish (backpressure, not buffering);
/// - a peer whose unsent output exceeds ``Limits/maximumPendingOutputBytes`` when another reply
///   comes is disconnected (a reply larger than that, to a peer that read the ones before, is sent);
/// - all connections together hold at most about ``Limits/maximumBufferedBytes`` of unread
///   input, lines in progress and unsent output: beyond that, connections holding more than their
///   share stop being read until their peers take their results (``SocketBufferBudget``). Lines
///   already running still finish, so the total can exceed the budget by their results.
///
/// A peer that shuts down its sending side still gets the answers to lines it already sent,
/// including a last line that ends at the end of the stream instead of a newline.
public final class SocketServer: @unchecked Sendable {
    // @unchecked: mutable state is confined to `queue`; public methods hop onto it.

    /// Where the listening socket comes from.
    public enum Listener: Sendable, Equatable {
        /// Bind `path` (a stale socket file is removed first; a live one is an error), mode `mode`.
        case path(String, mode: UInt16 = 0o660)
        /// Adopt an already listening socket (systemd socket activation).
        case fileDescriptor(Int32)
    }

    /// Bounds that keep one peer from costing unbounded memory or stalling others.
    public struct Limits: Sendable, Equatable {
        /// Permitted connections open at once; each costs a descriptor, and the daemon needs
        /// descriptors for credential files and the spool too.
        public var maximumConnections: Int
        /// How long a connection may stay open with no line in progress and no bytes moving in
        /// either direction.
        public var idleTimeout: Duration
        /// The longest accepted line, without its newline (1 MiB by the spec).
        public var maximumLineBytes: Int
        /// Unsent output per connection beyond which the peer is disconnected at its next reply.
        public var maximumPendingOutputBytes: Int
        /// Lines of one connection handled at once before reading from it pauses.
        public var maximumLinesInProgress: Int
        /// Bytes read from one connection per wakeup, so one busy peer cannot starve the others.
        public var readBytesPerEvent: Int
        /// Unread input, lines in progress and unsent output of all connections together before
        /// reading slows down (64 MiB).
        public var maximumBufferedBytes: Int

        public init(
            maximumConnections: Int = 256,
            idleTimeout: Duration = .seconds(300),
            maximumLineBytes: Int = 1 << 20,
            maximumPendingOutputBytes: Int = 16 << 20,
            maximumLinesInProgress: Int = 256,
            readBytesPerEvent: Int = 256 << 10,
            maximumBufferedBytes: Int = 64 << 20
        ) {
            self.maximumBufferedBytes = maximumBufferedBytes
            self.maximumConnections = maximumConnections
            self.idleTimeout = idleTimeout
            self.maximumLineBytes = maximumLineBytes
            self.maximumPendingOutputBytes = maximumPendingOutputBytes
            self.maximumLinesInProgress = maximumLinesInProgress
            self.readBytesPerEvent = readBytesPerEvent
        }
    }

    /// Called once per received line (without its newline), concurrently. What it returns is
    /// the line's reply, written when it returns (nil: no reply).
    public typealias Handler = @Sendable (Data, SocketConnection) async -> Data?

    public let listener: Listener
    let logger: Logger
    let handler: Handler
    /// Every warning a peer can provoke goes through this, so no peer can flood the journal.
    let logLimiter: LogRateLimiter
    /// Whether ``logLimiter`` is this server's own (none was given): then closing summarises it.
    private let ownsLogLimiter: Bool
    let queue = DispatchQueue(label: "TaskQueue.SocketServer")
    /// What every connection reads into, on `queue`.
    let readBuffer = SocketReadBuffer()
    /// The handler calls, children of ``run()``.
    private let tasks = HandlerTasks()

    /// The limits for connections accepted from now on (`update(limits:)` replaces them).
    private var limits: Limits
    private let budget: SocketBufferBudget
    private var policy: PeerPolicy
    /// The policy in force, resolved (any thread reads it; installed at the start and by updates).
    private let admission = PeerAdmission()
    private var acceptor: SocketAcceptor?
    /// `/dev/null`, held so that one descriptor can be freed when `accept` fails with EMFILE.
    private var spareFD: Int32 = -1
    /// `accept(2)` on the listening socket: the new descriptor, or -1 and the errno. Tests replace
    /// it (before `start()`) to make it fail.
    var acceptCall: @Sendable (Int32) -> (fd: Int32, errno: Int32) = SocketAcceptor.systemAccept
    /// Opens the spare descriptor (``openSpare()``); -1 when none is left. Tests replace it
    /// (before `start()`) to make it fail.
    var openSpareCall: @Sendable () -> Int32 = SocketServer.openSpare
    /// Runs `sweep()` every second while the server runs.
    private var sweepTimer: DispatchSourceTimer?
    private var connections: [UInt64: SocketConnection] = [:]
    private var nextID: UInt64 = 0
    private var boundPath: BoundSocketFile?
    private var started = false

    /// - Parameter logLimiter: rate-limits the warnings peers can provoke; the server summarises
    ///   its suppressed events every second, so a caller's own peer-triggered warnings (invalid
    ///   tasks) may share it. Without one the server has its own, and summarises what is still
    ///   open when it closes; a shared one is summarised at the end by whoever owns it (other
    ///   intakes may still be running when this server closes).
    public init(
        listener: Listener, policy: PeerPolicy = PeerPolicy(), limits: Limits = Limits(),
        logLimiter: LogRateLimiter? = nil, logger: Logger, handler: @escaping Handler
    ) {
        self.listener = listener
        self.policy = policy
        self.limits = limits
        self.budget = SocketBufferBudget(limits: limits)
        self.logLimiter = logLimiter ?? LogRateLimiter()
        self.ownsLogLimiter = logLimiter == nil
        self.logger = logger
        self.handler = handler
    }

    /// Opens (or adopts) the listening socket and starts accepting. Returns once the socket
    /// listens (a peer connecting from then on waits in the backlog); accepting starts on the
    /// server's queue, without the caller waiting for it.
    public func start() throws(TaskQueueError) {
        let fd: Int32
        var path: BoundSocketFile? = nil
        switch listener {
        case .path(let socketPath, let mode):
            fd = try Self.bind(path: socketPath, mode: mode_t(mode))
            path = try? BoundSocketFile(path: socketPath)  // unknown: left at the close, never wrongly removed
        case .fileDescriptor(let adopted):
            UnixSocketAddress.setNonBlocking(adopted)
            fd = adopted
        }
        queue.async { [path] in
            // An `update(policy:)` that ran meanwhile resolved a newer policy: keep it.
            self.admission.install(self.policy.resolve(logger: self.logger), keepingNewer: true)
            self.spareFD = self.openSpareCall()
            self.budget.onPressureChange = { [weak self] pressure in self?.pressureChanged(pressure) }
            self.budget.onFullChange = { [weak self] full in self?.fullChanged(full) }
            self.boundPath = path
            self.started = true
            self.acceptor = self.makeAcceptor(fd)
            let timer = DispatchSource.makeTimerSource(queue: self.queue)
            timer.schedule(deadline: .now() + .seconds(1), repeating: .seconds(1), leeway: .milliseconds(100))
            timer.setEventHandler { [weak self] in self?.sweep() }
            self.sweepTimer = timer
            timer.resume()
        }
        logger.info("socket listening", metadata: ["socket": "\(path?.path ?? "fd \(fd)")"])
    }

    /// Runs the handler calls (each line's) as children of the caller, until the server is closed
    /// or the caller is cancelled (which cancels the calls running); returns when all have
    /// returned. The owner runs it beside the server, from ``start()`` on.
    public func run() async {
        await tasks.run()
    }

    /// Checks peers against `policy` (a reload), its names resolved again: those that connect
    /// from now on, and those connected already: a peer the policy no longer allows takes no more
    /// tasks on its connection, which closes once they are answered (a reload that takes access
    /// away does so at once). ``SocketConnection/isAllowed`` is false for it when this returns
    /// (also for a connection closed already), for the handler to refuse the tasks it took but
    /// did not start. Ending the connections does not wait for the server's queue.
    public func update(policy: PeerPolicy) {
        let resolved = policy.resolve(logger: logger)
        admission.install(resolved)
        queue.async {
            self.policy = policy
            for connection in self.connections.values where !resolved.allows(connection.peer) {
                self.logLimiter.warning(
                    "socket peer no longer allowed after a reload; its connection takes no more tasks and closes "
                        + "once those it started are answered",
                    metadata: ["peer_uid": "\(connection.peer.uid)", "peer_pid": "\(connection.peer.pid)"],
                    key: "peer-refused", logger: self.logger)
                connection.finishIntake()
            }
        }
    }

    /// Applies `limits` (a reload): the connection cap and the idle timeout at once, the
    /// per-connection limits to connections accepted from now on. Connections over a lowered cap
    /// are not closed; new ones are refused until enough have gone.
    public func update(limits: Limits) {
        queue.async {
            self.limits = limits
            self.budget.update(limits: limits)
            // A new budget or connection cap moves every connection's fair share, also while
            // the pressure goes on: a connection held back may be under its share now.
            for connection in Array(self.connections.values) { connection.budgetChanged() }
        }
    }

    /// The limits in force.
    var currentLimits: Limits {
        queue.sync { limits }
    }

    /// Stops accepting connections and reading new lines; lines already running are still answered,
    /// then each connection closes. The socket file is removed.
    public func stopAccepting() async {
        await queue.perform {
            self.closeListener()
            for connection in self.connections.values { connection.finishIntake() }
        }
    }

    /// After ``stopAccepting()``: waits until every connection has answered its lines, sent its
    /// output and closed, or until `timeout` (a peer that does not read its answers is not
    /// waited for longer). A stop that calls ``close()`` right after its tasks finished would
    /// otherwise drop answers still on their way to the connections' queue.
    public func waitUntilIdle(timeout: Duration) async {
        await IdleWait.until(timeout: timeout) { await queue.perform { self.connections.isEmpty } }
    }

    /// Stops accepting and closes every connection now, dropping unsent output.
    public func close() async {
        await queue.perform { self.closeAll() }
        logLimiter.flush(all: ownsLogLimiter)
    }

    /// ``close()`` for synchronous callers (never from the cooperative pool: it waits for the
    /// server's queue).
    func shutdown() {
        queue.sync { closeAll() }
        logLimiter.flush(all: ownsLogLimiter)
    }

    // MARK: Synchronous reads (tests and diagnostics; they wait for the server's queue)

    /// Bytes all connections hold now (unread input, lines in progress, unsent output).
    var bufferedBytes: Int {
        queue.sync { budget.used }
    }

    /// What the open connections' buffers hold allocated, counted by the budget or not.
    var allocatedBufferBytes: Int {
        queue.sync { connections.values.reduce(0) { $0 + $1.bufferCapacity } }
    }

    /// How many permitted connections are open.
    var connectionCount: Int {
        queue.sync { connections.count }
    }

    // MARK: On the queue

    private func closeAll() {
        tasks.finish()
        closeListener()
        for connection in Array(connections.values) { connection.closeNow() }
        connections = [:]
        sweepTimer?.cancel()
        sweepTimer = nil
    }

    private func closeListener() {
        // A suspended source never runs its cancel handler, which closes the listening socket.
        acceptor?.cancel()
        acceptor = nil
        if spareFD >= 0 {
            FileIO.close(spareFD)
            spareFD = -1
        }
        if let boundPath {
            boundPath.removeIfOurs()
            self.boundPath = nil
        }
    }

    /// Periodic housekeeping: closes idle connections and summarises suppressed warnings.
    private func sweep() {
        let now = ContinuousClock.now
        for connection in Array(connections.values) {
            connection.closeIfIdle(now: now, timeout: limits.idleTimeout)
        }
        logLimiter.flush()
    }

    private func pressureChanged(_ pressure: Bool) {
        pressure
            ? budgetChanged(
                .notice, "socket buffers reached their budget; reading slows down for connections holding the most",
                key: "socket-buffer-pressure")
            : budgetChanged(.notice, "socket buffers are below their budget again", key: "socket-buffer-pressure-end")
    }

    private func fullChanged(_ full: Bool) {
        full
            ? budgetChanged(
                .warning, "socket buffers hold twice their budget; no connection is read until they drain",
                key: "socket-buffer-full")
            : budgetChanged(
                .notice, "socket buffers drained below one and a half times their budget; reading again",
                key: "socket-buffer-full-end")
    }

    /// Logs a change of the budget's state (peers' lines move it: rate-limited like other
    /// peer-provoked lines) and lets every connection read or pause to match.
    private func budgetChanged(_ level: Logger.Level, _ message: String, key: String) {
        logLimiter.log(
            level, message, metadata: ["buffered_bytes": "\(budget.used)", "budget_bytes": "\(budget.limit)"],
            key: key, logger: logger)
        for connection in Array(connections.values) { connection.budgetChanged() }
    }

    /// Sends `line` to a peer that is not taken on, without waiting, and closes it.
    private func refuse(_ fd: Int32, line: String) {
        FileIO.close(refuseKeepingDescriptor(fd, line: line))
    }

    private func makeAcceptor(_ fd: Int32) -> SocketAcceptor {
        SocketAcceptor(
            fd: fd, queue: queue, acceptCall: acceptCall,
            owner: .init(
                name: "socket", peers: "connections", failureKey: "accept-failed",
                accepted: { [weak self] fd in self?.accepted(fd) },
                failed: { [weak self] number in self?.turnAway(errno: number) ?? (0, [:]) },
                recovered: { [weak self] in
                    guard let self, self.spareFD < 0 else { return }
                    self.spareFD = self.openSpareCall()
                }),
            logLimiter: logLimiter, logger: logger)
    }

    /// A peer the listening socket accepted: checked against the policy and the connection cap,
    /// then served; systemd's credential helper is refused (``credentialHelperRequest(of:peer:)``).
    private func accepted(_ fd: Int32) {
        guard let (peer, admittedUnder) = allowedPeer(fd) else { return }
        let helperRequest = Self.credentialHelperRequest(of: fd, peer: peer)
        // Past the cap too: a TooManyConnections line would be the unit's credential. (Only the
        // service manager's helper: root, which the cap's other peers cannot be made to pass for.)
        guard connections.count < limits.maximumConnections || helperRequest != nil else {
            logLimiter.warning(
                "socket connection refused: too many connections",
                metadata: [
                    "limit": "\(limits.maximumConnections)", "peer_uid": "\(peer.uid)", "peer_pid": "\(peer.pid)",
                ], key: "too-many-connections", logger: logger)
            let limit = limits.maximumConnections
            let message = "the delegate already serves \(limit) connections; try again later"
            refuse(fd, line: #"{"error":"TooManyConnections","message":"\#(message)"}"#)
            return
        }
        if let helperRequest {
            refuseCredentialHelper(fd, peer: peer, admittedUnder: admittedUnder, request: helperRequest)
            return
        }
        let connection = makeConnection(fd, peer: peer, admittedUnder: admittedUnder)
        logger.debug(
            "socket peer connected",
            metadata: ["connection": "\(nextID)", "peer_uid": "\(peer.uid)", "peer_pid": "\(peer.pid)"])
        connection.start()
    }

    /// A connection for `fd`, counted among the open ones until it closes.
    private func makeConnection(_ fd: Int32, peer: PeerCredentials, admittedUnder: UInt64) -> SocketConnection {
        nextID += 1
        let connection = SocketConnection(
            fd: fd, id: nextID, peer: peer, admission: admission, admittedUnder: admittedUnder, queue: queue,
            limits: limits, budget: budget, logLimiter: logLimiter,
            logger: logger, handler: handler,
            tasks: tasks, readBuffer: readBuffer, onClose: { [weak self] id in self?.connections[id] = nil })
        connections[nextID] = connection
        return connection
    }

    /// Answers systemd's helper, sent here by a LoadCredential= line naming this socket, with the
    /// credentials socket's refusal (its unit fails to start): it sends nothing and reads to the
    /// end, and the idle timeout's EOF would start its unit with an empty credential, a
    /// `TooManyConnections` line with that line as its credential.
    private func refuseCredentialHelper(
        _ fd: Int32, peer: PeerCredentials, admittedUnder: UInt64, request: (unit: String, id: String)
    ) {
        logLimiter.log(
            .warning,
            """
            a systemd LoadCredential= request came to the task socket; refused (its unit fails to start): \
            LoadCredential= must name the credentials socket (credentials_socket_path)
            """,
            // The refusal's text sends the operator to the credential-refused events: this is one.
            metadata: [
                "event": "credential-refused", "error_code": "WrongSocket", "unit": "\(request.unit)",
                "credential_id": "\(request.id)", "peer_uid": "\(peer.uid)", "peer_pid": "\(peer.pid)",
            ],
            key: "credential-request-on-task-socket \(request.unit)", logger: logger)
        makeConnection(fd, peer: peer, admittedUnder: admittedUnder).refuse(with: CredentialSocketServer.refusal)
    }

    /// The unit and credential id systemd's credential helper asks for, when `peer` is it: root,
    /// bound to the helper's request address (``CredentialSocketServer/credentialRequestNames(_:)``).
    /// Any other peer so bound is a task client like the rest (it could name any unit, and pass
    /// the cap).
    static func credentialHelperRequest(of fd: Int32, peer: PeerCredentials) -> (unit: String, id: String)? {
        guard peer.uid == 0 else { return nil }
        return CredentialSocketServer.credentialRequestNames(CredentialSocketServer.peerAddress(fd))
    }

    /// The peer of `fd` and the generation of the policy that allows it; else nil, `fd` closed (a
    /// refused peer told so).
    private func allowedPeer(_ fd: Int32) -> (PeerCredentials, UInt64)? {
        let (generation, resolvedPolicy) = admission.current
        guard let resolvedPolicy else {
            FileIO.close(fd)
            return nil
        }
        guard let peer = acceptor?.peer(of: fd, orWarn: "cannot read peer credentials; closing", key: "peer-credentials")
        else { return nil }
        guard resolvedPolicy.allows(peer) else {
            logLimiter.warning(
                "socket peer not allowed",
                metadata: ["peer_uid": "\(peer.uid)", "peer_gid": "\(peer.gid)", "peer_pid": "\(peer.pid)"],
                key: "peer-refused", logger: logger)
            refuse(
                fd, line: #"{"error":"PeerNotAllowed","message":"this socket does not accept uid \#(peer.uid)"}"#)
            return nil
        }
        return (peer, generation)
    }

    /// `accept` failed: with no descriptor left (EMFILE/ENFILE), frees the spare one to turn
    /// one waiting peer away with `TooManyConnections`, so peers are refused rather than left
    /// hanging. Returns how many were refused, and the failure line's metadata.
    ///
    /// The refused peer's own descriptor, shut down, becomes the spare: closed and opened again,
    /// the number could go to another thread's `open` in between (an HTTP transfer, a spool
    /// read), and the episode's later peers would hang. A spare lost anyway (the peer was
    /// systemd's helper, whose connection keeps it, or a refused one) is looked for again at
    /// every failed accept.
    private func turnAway(errno number: Int32) -> (refused: Int, metadata: Logger.Metadata) {
        let metadata: Logger.Metadata = ["open_connections": "\(connections.count)"]
        guard number == EMFILE || number == ENFILE, let acceptor else { return (0, metadata) }
        if spareFD < 0 { spareFD = openSpareCall() }
        guard spareFD >= 0 else { return (0, metadata) }
        FileIO.close(spareFD)
        spareFD = -1
        var refused = 0
        let fd = acceptor.acceptOne()
        if fd >= 0 {
            // Only a peer the policy allows learns how the delegate fares; any other is refused
            // as it always is.
            if let (peer, admittedUnder) = allowedPeer(fd) {
                if let request = Self.credentialHelperRequest(of: fd, peer: peer) {
                    // Its descriptor is the spare's, given back once the refusal is read.
                    refuseCredentialHelper(fd, peer: peer, admittedUnder: admittedUnder, request: request)
                } else {
                    spareFD = refuseKeepingDescriptor(
                        fd,
                        line: #"{"error":"TooManyConnections","message":"the delegate is out of file descriptors; "#
                            + #"try again later"}"#)
                }
            }
            refused = 1
        }
        if spareFD < 0 { spareFD = openSpareCall() }
        return (refused, metadata)
    }

    /// ``refuse(_:line:)``, but the descriptor is shut down (the peer reads the line, then the
    /// end) and kept: returned, to be held as the spare.
    private func refuseKeepingDescriptor(_ fd: Int32, line: String) -> Int32 {
        let bytes = Array(line.utf8) + [UInt8(ascii: "\n")]
        _ = bytes.withUnsafeBytes { raw in
            Glibc.send(fd, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
        }
        Glibc.shutdown(fd, Int32(SHUT_RDWR))
        return fd
    }

    static func openSpare() -> Int32 {
        FileIO.retrying { open("/dev/null", O_RDONLY | O_CLOEXEC) }
    }
}
