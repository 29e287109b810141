internal import CLinuxShim
import Dispatch
import Glibc
import Logging

/// The accepting side of a listening socket, shared by ``SocketServer`` and
/// ``CredentialSocketServer``. Confined to its owner's serial queue.
///
/// Accepts up to 64 peers per wakeup (a peer that gave up, ECONNABORTED, is passed over). When
/// `accept(2)` fails for another reason than "nothing pending" (most often EMFILE/ENFILE: no
/// descriptor left), accepting pauses for the growing pause of an ``AcceptBackoff`` episode
/// instead of spinning; the episode is logged when it starts and again when an accept works,
/// with the peers refused and the accepts that failed meanwhile.
final class SocketAcceptor: @unchecked Sendable {
    // @unchecked: used only on the owner's serial queue.

    /// What the owner does with the listening socket's events.
    struct Owner {
        /// The socket as the log lines name it ("socket", "credentials socket").
        var name: String
        /// What the peers are ("connections", "requests").
        var peers: String
        /// The rate limiter key of the failure line.
        var failureKey: String
        /// A pause the owner wants before the next accept (it is full), or nil.
        var pauseBeforeAccepting: () -> Duration? = { nil }
        /// An accepted peer's descriptor, non-blocking.
        var accepted: (Int32) -> Void
        /// Called at an accept failure with its errno: turns a waiting peer away if it can (a
        /// spare descriptor), returning how many it refused. Also gives the failure line's
        /// metadata beyond the errno.
        var failed: (Int32) -> (refused: Int, metadata: Logger.Metadata) = { _ in (0, [:]) }
        /// An episode ended (the owner may take its spare descriptor back).
        var recovered: () -> Void = {}
    }

    private let listenFD: Int32
    private let acceptCall: @Sendable (Int32) -> (fd: Int32, errno: Int32)
    private let owner: Owner
    private let logLimiter: LogRateLimiter
    private let logger: Logger
    private var source: ListeningSource?
    /// The accept failure episode in progress, if any.
    private var backoff: AcceptBackoff?

    /// Starts accepting on `fd` (on `queue`); ``cancel()`` closes it.
    init(
        fd: Int32, queue: DispatchQueue, acceptCall: @escaping @Sendable (Int32) -> (fd: Int32, errno: Int32),
        owner: Owner, logLimiter: LogRateLimiter, logger: Logger
    ) {
        self.listenFD = fd
        self.acceptCall = acceptCall
        self.owner = owner
        self.logLimiter = logLimiter
        self.logger = logger
        source = ListeningSource(fd: fd, queue: queue) { [weak self] in self?.acceptAvailable() }
    }

    /// `accept4(2)`: the new descriptor, non-blocking and close-on-exec from its first moment, or
    /// -1 and the errno. A replacement (for tests) must hand over descriptors set so too.
    static let systemAccept: @Sendable (Int32) -> (fd: Int32, errno: Int32) = { listenFD in
        let fd = FileIO.retrying { clinuxshim_accept_nonblocking(listenFD) }
        return (fd, fd < 0 ? errno : 0)
    }

    /// Accepts once more, for an owner that turns a waiting peer away itself.
    func acceptOne() -> Int32 {
        acceptCall(listenFD).fd
    }

    /// The credentials of an accepted peer; when the kernel cannot tell them, a rate-limited
    /// warning (`message`, under `key`), the peer closed, and nil.
    func peer(of fd: Int32, orWarn message: String, key: String) -> PeerCredentials? {
        do {
            return try PeerCredentials.of(socket: fd)
        } catch {
            logLimiter.warning(message, metadata: ["error": "\(error)"], key: key, logger: logger)
            FileIO.close(fd)
            return nil
        }
    }

    /// Stops accepting for good and closes the listening socket.
    func cancel() {
        source?.cancel()
        source = nil
    }

    private func acceptAvailable() {
        for _ in 0..<64 {
            if let pause = owner.pauseBeforeAccepting() {
                source?.pause(for: pause) { [weak self] in self?.acceptAvailable() }
                return
            }
            let (fd, number) = acceptCall(listenFD)
            if fd < 0 {
                if number == ECONNABORTED { continue }
                if number == EAGAIN || number == EWOULDBLOCK {
                    endBackoff()
                    return
                }
                acceptFailed(errno: number)
                return
            }
            endBackoff()
            owner.accepted(fd)
        }
    }

    /// `accept` failed: logged when the episode starts; the owner may turn a peer away; then no
    /// accepting for the episode's pause.
    private func acceptFailed(errno number: Int32) {
        let starts = AcceptBackoff.recordFailure(in: &backoff)
        let (refused, metadata) = owner.failed(number)
        backoff?.refused += refused
        if starts {
            let reason = number == EMFILE || number == ENFILE ? "out of file descriptors" : "accept failed"
            logLimiter.log(
                .error, "\(owner.name) \(reason); pausing new \(owner.peers)",
                metadata: metadata.merging(["errno": "\(number)"]) { $1 }, key: owner.failureKey, logger: logger)
        }
        guard let delay = backoff?.delay else { return }
        source?.pause(for: delay) { [weak self] in self?.acceptAvailable() }
    }

    /// An accept worked (or found nothing waiting): the failure episode, if any, is over.
    private func endBackoff() {
        guard let episode = backoff else { return }
        backoff = nil
        owner.recovered()
        logger.notice(
            "\(owner.name) accepting new \(owner.peers) again",
            metadata: [
                "refused": "\(episode.refused)", "failed_accepts": "\(episode.failures)",
                "duration_ms": "\(Int((ContinuousClock.now - episode.started) / .milliseconds(1)))",
            ])
    }
}
