import Dispatch
import FoundationEssentials
import Glibc
import Logging
import Synchronization

/// One accepted, permitted peer of the ``SocketServer``.
///
/// Each line's reply (what the handler returns) is queued on the server's I/O queue when the
/// handler returns and written whole, in the order the handlers finished, never interleaved; raw
/// newlines in it are turned into spaces (in JSON they can only be insignificant whitespace, and
/// one must never split a message in two). A peer that stops reading while
/// output piles up past ``SocketServer/Limits/maximumPendingOutputBytes`` is disconnected, so it
/// cannot make the daemon buffer without bound.
public final class SocketConnection: @unchecked Sendable {
    // @unchecked: every mutable property below is touched only on `queue`, a serial queue shared
    // with the server; the public methods hop onto it.

    /// Who connected (checked against the policy before anything was read).
    public let peer: PeerCredentials
    /// False once a reload's policy no longer allows ``peer``: its lines already taken but not
    /// started are refused, not run (any thread may ask; also after the connection closed).
    public var isAllowed: Bool { admission.stillAllows(peer, admittedUnder: admittedUnder) }
    private let admission: PeerAdmission
    /// The generation of the policy ``peer`` was accepted under.
    private let admittedUnder: UInt64
    /// A number unique within the server, for logs.
    public let id: UInt64

    let fd: Int32
    let queue: DispatchQueue
    let limits: SocketServer.Limits
    let budget: SocketBufferBudget
    let logLimiter: LogRateLimiter
    let logger: Logger
    let handler: SocketServer.Handler
    /// Where the handler calls run (children of the server's ``SocketServer/run()``).
    let tasks: HandlerTasks
    /// Shared with the server's other connections (all read on `queue`).
    let readBuffer: SocketReadBuffer
    let onClose: @Sendable (UInt64) -> Void

    /// Bytes read and not yet handed to the handler.
    private var inbound = InboundLines()
    /// What the buffers hold allocated now, counted or not (tests).
    var bufferCapacity: Int { inbound.capacity + outbound.capacity }
    private var outbound: [UInt8] = []
    private var outboundHead = 0
    private var readSource: DispatchSourceRead?
    private var readPaused = false
    private var writeSource: DispatchSourceWrite?
    private var writeActive = false
    /// A flush is queued behind the replies on the queue (``scheduleFlush()``).
    private var flushScheduled = false
    private var liveSources = 0
    private var linesInProgress = 0
    /// What the lines in progress hold, counted against the server's budget until they finish:
    /// each line's bytes plus ``lineCost``.
    private var lineBytesInProgress = 0
    /// What a line in progress holds besides its bytes, as the budget counts it: the task it became,
    /// its Swift task and frames, its logger. Counted so that small lines cannot add up past the
    /// budget: a peer that sends a few tiny tasks that wait for a slot, closes and connects again
    /// (a closed connection's lines still run) would otherwise queue millions (128 MiB of 60-byte
    /// lines) whose tasks hold far more than their bytes.
    static let lineCost = 2048
    /// What this connection last reported to `budget`.
    private var accounted = 0
    /// When bytes last moved in either direction or a line finished.
    private var lastActivity = ContinuousClock.now
    /// No more input is read (EOF, an over-long line, or the server stopped intake); the
    /// connection closes once running lines finish and output is flushed.
    private var finishing = false
    private(set) var closed = false

    init(
        fd: Int32, id: UInt64, peer: PeerCredentials, admission: PeerAdmission, admittedUnder: UInt64,
        queue: DispatchQueue, limits: SocketServer.Limits,
        budget: SocketBufferBudget, logLimiter: LogRateLimiter, logger: Logger, handler: @escaping SocketServer.Handler,
        tasks: HandlerTasks, readBuffer: SocketReadBuffer, onClose: @escaping @Sendable (UInt64) -> Void
    ) {
        self.fd = fd
        self.id = id
        self.peer = peer
        self.admission = admission
        self.admittedUnder = admittedUnder
        self.queue = queue
        self.limits = limits
        self.budget = budget
        self.logLimiter = logLimiter
        var logger = logger
        logger[metadataKey: "connection"] = "\(id)"
        self.logger = logger
        self.handler = handler
        self.tasks = tasks
        self.readBuffer = readBuffer
        self.onClose = onClose
    }

    /// `line` as written: raw newlines turned into spaces, and a newline appended.
    private static func frame(_ line: Data) -> [UInt8] {
        // One copy into a buffer of the final size; line breaks found with memchr (a JSON reply
        // has none, so this is usually two scans that find nothing).
        [UInt8](unsafeUninitializedCapacity: line.count + 1) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            line.withUnsafeBytes { source in
                if let from = source.baseAddress { UnsafeMutableRawPointer(base).copyMemory(from: from, byteCount: source.count) }
            }
            for lineBreak in [UInt8(ascii: "\n"), UInt8(ascii: "\r")] {
                var offset = 0
                while offset < line.count, let found = memchr(base + offset, Int32(lineBreak), line.count - offset) {
                    let index = UnsafeMutableRawPointer(base).distance(to: found)
                    base[index] = UInt8(ascii: " ")
                    offset = index + 1
                }
            }
            base[line.count] = UInt8(ascii: "\n")
            initialized = line.count + 1
        }
    }

    /// Closes the connection now, dropping unsent output.
    public func close() {
        queue.async { self.closeNow() }
    }

    // MARK: On the queue

    func start() {
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler { [weak self] in self?.readAvailable() }
        source.setCancelHandler { self.sourceCancelled() }
        liveSources += 1
        readSource = source
        // While the budget is full nothing is read, from a new connection either: a read here
        // would park its bytes in the budget with nothing to start them, and enough connections
        // parked that way could keep it full for good. It reads from the first moment it may.
        if heldBack {
            readPaused = true
            lastActivity = .now
        } else {
            source.resume()
        }
    }

    /// Answers a peer that is systemd's credential helper, not a task client, with `bytes` (more
    /// than systemd takes for one credential, so that the unit fails rather than start with an
    /// empty one, which the EOF of an idle timeout would give it), then closes; nothing is read.
    func refuse(with bytes: [UInt8]) {
        finishing = true
        enqueue(bytes)
        closeIfDone()
    }

    /// Stops reading new lines; closes once running lines are answered.
    func finishIntake() {
        guard !closed, !finishing else { return }
        finishing = true
        updateReading()
        closeIfDone()
    }

    private func readAvailable() {
        guard !closed, !finishing, !readPaused else { return }
        var budget = limits.readBytesPerEvent
        let chunk = readBuffer.bytes
        while budget > 0, !closed, !finishing, !readPaused {
            let count = FileIO.retrying { Glibc.read(fd, chunk.baseAddress, chunk.count) }
            if count < 0 {
                let number = errno
                if number == EAGAIN || number == EWOULDBLOCK { break }
                logger.debug("socket read failed", metadata: ["errno": "\(number)"])
                closeNow()
                return
            }
            if count == 0 {
                // The peer finished sending: the end of the stream also ends a last line that
                // has no newline, which is answered like any other.
                if inbound.endStream() { processLines() }
                // Gone for good (closed, not only done sending) it can read no answer: with every
                // line it sent handed on, the connection goes now, holding no descriptor nor a
                // place under the connection cap while those lines run to their deadlines (up
                // to an hour). They still run, and the budget still counts them.
                if inbound.pendingCount == 0, Self.peerClosed(fd) {
                    closeNow()
                    return
                }
                finishIntake()
                return
            }
            inbound.append(UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
            lastActivity = .now
            budget -= count
            processLines()
            account()
        }
    }

    /// Hands complete lines to the handler while fewer than the limit are in progress.
    private func processLines() {
        var consumed = inbound.head
        var calls: [HandlerTasks.Call] = []
        var callBytes = 0
        framing: while !closed, !finishing, !heldBack, linesInProgress < limits.maximumLinesInProgress {
            let line: Data
            switch inbound.step(from: consumed, maximumLineBytes: limits.maximumLineBytes) {
            case .incomplete:
                break framing
            case .tooLong:
                lineTooLong()
                break framing
            case .blank(let next):
                consumed = next
                continue framing
            case .line(let range, let next):
                line = inbound.line(range)
                consumed = next
            }
            let charged = line.count + Self.lineCost
            linesInProgress += 1
            lineBytesInProgress += charged
            callBytes += charged
            let handler = handler
            calls.append {
                let reply = await handler(line, self).map(Self.frame)
                // The reply and the line's end in one hop onto the queue.
                self.queue.async {
                    if let reply { self.enqueue(reply) }
                    self.lineFinished(bytes: charged)
                }
            }
        }
        // The lines of this read start together: one hand-over, not one per line.
        guard tasks.start(calls) else {
            // The owner no longer runs handler calls (it was cancelled): nothing will answer
            // these lines, so the connection ends instead of waiting for them.
            linesInProgress -= calls.count
            lineBytesInProgress -= callBytes
            closeNow()
            return
        }
        if !closed { inbound.consume(upTo: consumed) }
        updateReading()
    }

    private func lineTooLong() {
        logLimiter.warning(
            "socket line over the limit; closing the connection",
            metadata: ["limit": "\(limits.maximumLineBytes)", "peer_uid": "\(peer.uid)"], key: "line-too-long",
            logger: logger)
        inbound.discard()
        let message = #"{"error":"LineTooLong","message":"a line may be at most \#(limits.maximumLineBytes) bytes; closing the connection"}"#
        enqueue(Array(message.utf8) + [UInt8(ascii: "\n")])
        finishIntake()
    }

    private func lineFinished(bytes: Int) {
        linesInProgress -= 1
        lineBytesInProgress -= bytes
        lastActivity = .now
        if closed {
            account()
            return
        }
        if !finishing { processLines() }
        account()
        closeIfDone()
    }

    /// Whether the server's budget holds this connection back: under pressure, it holds more
    /// than its share; when the budget is full, whatever it holds.
    private var heldBack: Bool {
        budget.full || (budget.underPressure && accounted > budget.fairShare)
    }

    /// The pressure on the server's budget changed: starts lines and reads again, or stops.
    func budgetChanged() {
        guard !closed else { return }
        if !finishing { processLines() }
        updateReading()
    }

    /// Reports what the connection holds to the budget, and pauses or resumes reading to match.
    /// Input already handed to the handler is not counted: it is cut from the buffer once it
    /// passes 64 KiB (``InboundLines/consume(upTo:)``), so at most that much is held beyond the count, and a
    /// buffer much larger than what it still holds is given up then (``Swift/Array/removeFront(_:)``).
    /// A closed connection still holds the lines its handler calls run with until they end: a
    /// peer that closes with lines running and connects again must not start more unaccounted.
    private func account() {
        let holding = closed ? lineBytesInProgress : inbound.pendingCount + lineBytesInProgress + pendingOutput
        let wasHeldBack = heldBack
        if holding != accounted {
            let delta = holding - accounted
            accounted = holding
            budget.add(delta)
        }
        if closed { return }
        if wasHeldBack, !heldBack, !finishing { processLines() }
        updateReading()
    }

    /// Reads while fewer than the limit of lines run, intake is open and the budget allows.
    private func updateReading() {
        guard !closed, let readSource else { return }
        let pause = finishing || heldBack || linesInProgress >= limits.maximumLinesInProgress
        if pause, !readPaused {
            readPaused = true
            readSource.suspend()
            // The idle timeout counts from the pause: until then the peer was sending.
            lastActivity = .now
        } else if !pause, readPaused {
            readPaused = false
            // And from the resume: until then the delegate was not reading. Else a connection
            // that waited out the idle timeout while the budget was full (its line unread) could
            // be closed as idle by a sweep that comes before its first read, as service resumes.
            lastActivity = .now
            readSource.resume()
        }
    }

    private var pendingOutput: Int { outbound.count - outboundHead }

    private func enqueue(_ bytes: [UInt8]) {
        guard !closed else { return }
        // Held back under pressure, a connection starts no more lines, but those it started (up
        // to 256) still each add a result: peers that never read, each with its lines started at
        // once, held gigabytes where the budget is 64 MiB. So once all hold twice the budget
        // (holding back did not contain them), a peer that leaves more than four shares of
        // results unread is dropped at its next one. (One peer alone may still hold about the
        // budget and get every answer once it reads; one that reads is not behind by that much,
        // whatever the size of the result on its way.) What is judged is the output left unsent
        // before this reply: a reply larger than the limit (a `listSecrets` of a big account) is
        // always sent to a peer that has read what came before.
        let overShare = budget.used > 2 * budget.limit && pendingOutput > 4 * budget.fairShare
        if pendingOutput > limits.maximumPendingOutputBytes || overShare {
            logLimiter.warning(
                "socket peer is not reading its results; dropping the connection",
                metadata: ["pending_bytes": "\(pendingOutput)", "peer_uid": "\(peer.uid)", "peer_pid": "\(peer.pid)"],
                key: "not-reading", logger: logger)
            closeNow()
            return
        }
        outbound.append(contentsOf: bytes)
        // At once when a lot waits; otherwise behind the replies already queued (a stop waits for
        // the connection to send them: ``SocketServer/waitUntilIdle(timeout:)``).
        if pendingOutput >= Self.flushAtOnceBytes {
            flush()
        } else {
            scheduleFlush()
        }
        account()
    }

    /// Pending output beyond which a reply is sent at once rather than behind the queued ones.
    private static let flushAtOnceBytes = 64 * 1024

    /// Sends what is pending once the replies already queued behind this one are in: replies
    /// that finish together leave in one `send`, not one each.
    private func scheduleFlush() {
        guard !flushScheduled, !writeActive else { return }  // an active write source flushes anyway
        flushScheduled = true
        queue.async {
            self.flushScheduled = false
            guard !self.closed else { return }
            self.flush()
            self.account()
        }
    }

    private func flush() {
        while outboundHead < outbound.count {
            let sent = outbound.withUnsafeBytes { raw in
                FileIO.retrying {
                    Glibc.send(fd, raw.baseAddress.map { $0 + outboundHead }, raw.count - outboundHead,
                        Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
                }
            }
            if sent < 0 {
                let number = errno
                if number == EAGAIN || number == EWOULDBLOCK { break }
                logger.debug("socket write failed", metadata: ["errno": "\(number)"])
                closeNow()
                return
            }
            outboundHead += sent
            if sent > 0 { lastActivity = .now }
        }
        if outboundHead == outbound.count {
            outbound.empty()
            outboundHead = 0
            if writeActive, let writeSource {
                writeActive = false
                writeSource.suspend()
            }
            closeIfDone()
        } else {
            if outboundHead > 64 * 1024, outboundHead * 2 > outbound.count {
                outbound.removeFront(outboundHead)
                outboundHead = 0
            }
            activateWriteSource()
        }
    }

    private func activateWriteSource() {
        guard !writeActive else { return }
        if let writeSource {
            writeSource.resume()
        } else {
            let source = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: queue)
            source.setEventHandler { [weak self] in
                if let self, !self.closed {
                    self.flush()
                    self.account()
                }
            }
            source.setCancelHandler { self.sourceCancelled() }
            liveSources += 1
            writeSource = source
            source.resume()
        }
        writeActive = true
    }

    /// Closes the connection if no line is in progress and nothing moved for `timeout`. A peer
    /// that leaves its results unread that long is dropped with a warning.
    ///
    /// A peer that shut down its sending side and closed since goes at once, as one found closed
    /// at the end of its stream does: no source watches a finished connection, so only this sweep
    /// sees it (else it held its place under the cap until its first answer, up to an hour).
    func closeIfIdle(now: ContinuousClock.Instant, timeout: Duration) {
        guard !closed else { return }
        if finishing, inbound.pendingCount == 0, Self.peerClosed(fd) {
            closeNow()
            return
        }
        guard linesInProgress == 0, now - lastActivity >= timeout else { return }
        // Held back by the budget with a line waiting to start (or holding nothing: it may have
        // written one we do not read while the budget is full) and nothing unread on its side:
        // waiting for others, not idle. Holding only part of a line, it has nothing that could
        // finish, and connections like it could keep the budget under pressure for ever: the
        // partial line goes at the timeout.
        if heldBack, pendingOutput == 0, inbound.pendingCount == 0 || inbound.holdsALine {
            return
        }
        if pendingOutput > 0 {
            logLimiter.warning(
                "socket peer has not read its results for \(timeout); dropping the connection",
                metadata: ["pending_bytes": "\(pendingOutput)", "peer_uid": "\(peer.uid)", "peer_pid": "\(peer.pid)"],
                key: "not-reading", logger: logger)
        } else {
            logger.debug("closing an idle socket connection", metadata: ["idle_timeout": "\(timeout)"])
        }
        closeNow()
    }

    /// Whether the peer of `fd` closed its end (a Unix stream socket's `POLLHUP`: shut down both
    /// ways), rather than only shut down its sending side (`shutdown(SHUT_WR)`, which waits for
    /// its answers).
    private static func peerClosed(_ fd: Int32) -> Bool {
        var descriptor = pollfd(fd: fd, events: 0, revents: 0)
        return FileIO.retrying { Glibc.poll(&descriptor, 1, 0) } == 1 && descriptor.revents & Int16(POLLHUP) != 0
    }

    private func closeIfDone() {
        if finishing, linesInProgress == 0, pendingOutput == 0 { closeNow() }
    }

    func closeNow() {
        guard !closed else { return }
        closed = true
        inbound.discard()
        outbound = []
        outboundHead = 0
        account()
        if let readSource {
            if readPaused { readSource.resume() }
            readSource.cancel()
        }
        if let writeSource {
            if !writeActive { writeSource.resume() }
            writeSource.cancel()
        }
        if liveSources == 0 { FileIO.close(fd) }
        onClose(id)
    }

    /// The descriptor is closed only after every source on it is cancelled, so it cannot be
    /// reused by a new connection while a source still watches it.
    private func sourceCancelled() {
        liveSources -= 1
        if liveSources == 0 { FileIO.close(fd) }
    }
}
