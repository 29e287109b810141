import FoundationEssentials
import TaskQueue

extension DelegateDaemon {
    /// The credentials socket (section 11): systemd's socket, else `[queue] credentials_socket_path`
    /// bound with mode 0600, else none. Like `socket_path`, the path applies at a restart; the
    /// `[[credential]]` entries are the connector catalog's (replaced with the connectors they
    /// name), so a reload applies them at once.
    ///
    /// Bounds: at most `[queue] socket_max_connections` requests at once, and no more than an
    /// eighth of what the open file limit leaves beyond the descriptors the delegate keeps
    /// (``DelegateDaemon/reservedDescriptors``; connections still draining count under it; the task
    /// socket takes up to half); a request not answered ``credentialRequestTimeout`` after it
    /// was accepted gets the refusal, and every connection closes at the latest the server's
    /// drain time (`CredentialSocketServer.Limits.drainTimeout`, 15 s) after its answer.
    func credentialsSocketListener() -> SocketServer.Listener? {
        let queue = configuration.current.queue
        if let fd = settings.inheritedCredentialsSocket { return .fileDescriptor(fd) }
        // The server binds the path 0600 itself.
        return queue.credentialsSocketPath.isEmpty ? nil : .path(queue.credentialsSocketPath)
    }

    func openCredentialsSocket(_ listener: SocketServer.Listener) throws(TaskQueueError) -> CredentialSocketServer {
        let queue = configuration.current.queue
        let intake = CredentialIntake(dispatcher: dispatcher, logLimiter: logLimiter, logger: logger)
        let server = CredentialSocketServer(
            listener: listener, limits: credentialsSocketLimits(queue),
            logLimiter: logLimiter, logger: logger, describe: CredentialIntake.describe,
            handler: { request in await intake.handle(request) })
        try server.start()
        return server
    }

    /// The credentials socket's limits under `queue`, at the start and at each reload.
    func credentialsSocketLimits(_ queue: DelegateConfiguration.QueueSection) -> CredentialSocketServer.Limits {
        // An eighth (the task socket takes up to half; connections still draining count under
        // the cap, checked before every accept).
        .init(
            maximumConnections: connectionCap(queue.socketMaxConnections, share: 8, of: "the credentials socket"),
            requestTimeout: Self.credentialRequestTimeout)
    }

    /// From accept to the answer: the read's own deadline (the default task deadline, which counts
    /// the wait for a concurrency slot) and 15 s to spare.
    static let credentialRequestTimeout: Duration = .seconds(DelegateTask.defaultDeadlineSeconds + 15)
}
