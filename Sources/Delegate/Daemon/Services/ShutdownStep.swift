import ServiceLifecycle

/// A step of a graceful stop that has nothing to run before it: it waits for its turn (the group
/// stops its services in reverse order) and then runs `step`. When the group is cancelled
/// instead (a service failed), there is nothing to stop gracefully and the step does not run.
struct ShutdownStep: Service {
    let step: @Sendable () async -> Void

    func run() async {
        guard (try? await gracefulShutdown()) != nil else { return }
        await step()
    }
}
