import ServiceLifecycle

/// An intake that listens on a socket (the task socket, the credentials socket): open, and its
/// name given to the ``Gate``, before READY=1; its handler calls run as children of this
/// service (`serve`). At its turn in a graceful stop (the stop's first step has already stopped
/// it accepting, and the tasks in flight have had their grace period) it is closed, and handler
/// calls still running are cancelled.
struct ListenerService<Server: Sendable>: Service {
    let name: String
    let gate: Gate
    /// Opens the server (and stops it accepting at once if the stop already began).
    let open: @Sendable () async throws -> Server
    let serve: @Sendable (Server) async -> Void
    let close: @Sendable (Server) async -> Void

    func run() async throws {
        let server = try await open()
        gate.arrive(name)
        let (serve, close) = (serve, close)
        await withDiscardingTaskGroup { group in
            group.addTask { await serve(server) }
            try? await gracefulShutdown()
            await close(server)
            group.cancelAll()
        }
    }
}
