import ServiceLifecycle

/// An intake that listens on a socket (the task socket, the credentials socket): open, and its
/// name given to the ``StartupGate``, before READY=1; closed at its turn in a graceful stop (or
/// when the group is cancelled). The stop's first step has already stopped it accepting.
struct ListenerService<Server: Sendable>: Service {
    let name: String
    let gate: StartupGate
    let open: @Sendable () throws -> Server
    let close: @Sendable (Server) async -> Void

    func run() async throws {
        let server = try open()
        gate.arrive(name)
        try? await gracefulShutdown()
        await close(server)
    }
}
