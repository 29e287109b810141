import Foundation
import TaskQueue

extension DelegateDaemon {
    /// The credentials socket (section 11): systemd's socket, else `[queue] credentials_socket_path`
    /// bound with mode 0600, else none. Like `socket_path`, the path applies at a restart; the
    /// `[[credential]]` entries are read per request, so a reload applies them at once.
    ///
    /// Bounds: at most `[queue] socket_max_connections` requests at once (lowered like the task
    /// socket's to half the open file limit), and each closed ``credentialRequestTimeout`` after
    /// it was accepted, answered or not.
    func openCredentialsSocket() throws -> CredentialSocketServer? {
        let queue = configuration.current.queue
        let listener: SocketServer.Listener
        if let fd = settings.inheritedCredentialsSocket {
            listener = .fileDescriptor(fd)
        } else if !queue.credentialsSocketPath.isEmpty {
            listener = .path(queue.credentialsSocketPath, mode: 0o600)
        } else {
            return nil
        }
        let intake = CredentialIntake(
            dispatcher: dispatcher, mappings: { [configuration] in configuration.current.credentialMappings },
            logLimiter: logLimiter, logger: logger)
        let server = CredentialSocketServer(
            listener: listener,
            limits: .init(
                maximumConnections: socketLimits(queue).maximumConnections, requestTimeout: Self.credentialRequestTimeout),
            logLimiter: logLimiter, logger: logger,
            handler: { request in await intake.handle(request) })
        try server.start()
        return server
    }

    /// From accept to close: the read's own deadline (the default task deadline, which counts the
    /// wait for a concurrency slot) and 30 s for the peer to take the value.
    static let credentialRequestTimeout: Duration = .seconds(DelegateTask.defaultDeadlineSeconds + 30)
}
