import Dispatch

/// A listening socket's read source, which an accept failure pauses for an ``AcceptBackoff``
/// pause. Confined to its owner's serial queue; cancelling it closes the socket.
final class ListeningSource: @unchecked Sendable {
    // @unchecked: used only on `queue`, its owner's serial queue (so is the pause's resumption).
    private let source: any DispatchSourceRead
    private let queue: DispatchQueue
    /// Whether the source is suspended by a pause.
    private var paused = false
    private var cancelled = false

    init(fd: Int32, queue: DispatchQueue, onReadable: @escaping @Sendable () -> Void) {
        self.queue = queue
        source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler(handler: onReadable)
        source.setCancelHandler { FileIO.close(fd) }
        source.resume()
    }

    /// Stops accepting for `delay`, then runs `resumed` (nothing when already paused or cancelled).
    func pause(for delay: Duration, then resumed: @escaping @Sendable () -> Void) {
        guard !paused, !cancelled else { return }
        paused = true
        source.suspend()
        queue.asyncAfter(deadline: .now() + .nanoseconds(Int(delay / .nanoseconds(1)))) { [self] in
            guard paused, !cancelled else { return }
            paused = false
            source.resume()
            resumed()
        }
    }

    /// Stops for good and closes the listening socket (a suspended source never runs its cancel
    /// handler, so a paused one is resumed first).
    func cancel() {
        guard !cancelled else { return }
        cancelled = true
        if paused { source.resume() }
        paused = false
        source.cancel()
    }
}
