import Logging
import ServiceLifecycle
import Systemd
import TaskQueue
import UnixSignals

extension DelegateDaemon {
    /// The daemon as services for one `ServiceGroup`, in the order they start; a graceful stop
    /// runs them down in reverse:
    ///
    /// 1. ``stopIntake(_:)``: `STOPPING=1`, the `stopping` line, every intake closed at once;
    /// 2. ``drain(_:)``: the tasks in flight finish, for up to the grace period;
    /// 3. ``SQSIntakeService``: the SQS loops settle their last poll and results (and the warning
    ///    when tasks outlived the grace period);
    /// 4. ``SpoolIntakeService``: spool tasks still running are cancelled (they stay claimed);
    /// 5. the credentials socket: values being written get 5 s, then the socket closes;
    /// 6. the task socket: results on their way are written, for up to 5 s, then connections still
    ///    open are closed;
    /// 7. ``ReloadService``: SIGHUP no longer reloads;
    /// 8. ``StatusService``: the watchdog pings until here; the HTTP client closes, `stopped`.
    ///
    /// READY=1 waits for the intakes to open and SIGHUP to be trapped (``Gate``). A service
    /// that fails (a socket that cannot be bound, a spool that cannot be used) ends the group with
    /// its error. Each call builds a fresh set for one run.
    ///
    /// - Parameter reloadSignals: traps the reload signal (SIGHUP; tests send their own).
    public func services(
        reloadSignals: (@Sendable () async -> any AsyncSequence<Void, Never> & Sendable)? = nil
    ) -> [ServiceGroupConfiguration.ServiceConfiguration] {
        let configuration = self.configuration.current
        // The lifecycle's lines at notice: still written at log_level = "notice", which a busy
        // host sets, and scripts wait for them (reloaded, say).
        logger.notice(
            "secrets-delegate \(DelegateVersion.current) starting",
            metadata: ["event": "started", "tags": "\(configuration.delegate.tags.joined(separator: ","))"])
        let socket = socketListener()
        let credentialsSocket = credentialsSocketListener()
        var awaited: Set<String> = [ReloadService.name]
        if socket != nil { awaited.insert(Self.taskSocketName) }
        if credentialsSocket != nil { awaited.insert(Self.credentialsSocketName) }
        if components.spool != nil { awaited.insert(SpoolIntakeService.name) }
        let shared = DaemonRun(gate: Gate(waitingFor: awaited))

        var services: [any Service] = [
            StatusService(daemon: self, shared: shared),
            reloadSignals.map { ReloadService(daemon: self, shared: shared, trap: $0) }
                ?? ReloadService(daemon: self, shared: shared),
        ]
        if let socket {
            services.append(
                ListenerService(
                    name: Self.taskSocketName, gate: shared.gate,
                    open: {
                        let server = try self.openSocket(socket)
                        if shared.opened({ $0.socket = server }) { await server.stopAccepting() }
                        return server
                    },
                    serve: { server in await server.run() },
                    close: { server in
                        // Results of the tasks that finished are still written; a peer that does
                        // not read them is closed.
                        await server.waitUntilIdle(timeout: Self.taskSocketDrainTime)
                        await server.close()
                    }))
        }
        if let credentialsSocket {
            services.append(
                ListenerService(
                    name: Self.credentialsSocketName, gate: shared.gate,
                    open: {
                        let server = try self.openCredentialsSocket(credentialsSocket)
                        if shared.opened({ $0.credentialsSocket = server }) { await server.stopAccepting() }
                        return server
                    },
                    serve: { server in await server.run() },
                    close: { server in
                        // Values already read are still written; a peer that does not take them is closed.
                        await server.waitUntilIdle(timeout: Self.credentialsDrainTime)
                        await server.close()
                    }))
        }
        if let spool = components.spool {
            services.append(SpoolIntakeService(daemon: self, shared: shared, spool: spool))
        }
        services += [
            SQSIntakeService(daemon: self, shared: shared),
            ShutdownStep { await self.drain(shared) },
            ShutdownStep { await self.stopIntake(shared) },
        ]
        return services.map { .init(service: $0, serviceName: "\(type(of: $0))") }
    }

    /// The group the daemon runs in: its ``services(reloadSignals:)``, stopped gracefully by
    /// `gracefulShutdownSignals` or by the daemon itself (``stopRequest``, whose trigger this
    /// sets to the group's graceful stop).
    public func serviceGroup(
        gracefulShutdownSignals: [UnixSignal] = [], logger: Logger,
        reloadSignals: (@Sendable () async -> any AsyncSequence<Void, Never> & Sendable)? = nil
    ) -> ServiceGroup {
        let group = ServiceGroup(
            configuration: .init(
                services: services(reloadSignals: reloadSignals), gracefulShutdownSignals: gracefulShutdownSignals,
                logger: logger))
        stopRequest.setTrigger { await group.triggerGracefulShutdown() }
        return group
    }

    static let taskSocketName = "task socket"
    static let credentialsSocketName = "credentials socket"
    /// How long the credentials socket's answers may still be written in a stop.
    static let credentialsDrainTime: Duration = .seconds(5)
    /// How long a stop waits for the task socket's connections to take the results of the tasks
    /// that finished.
    static let taskSocketDrainTime: Duration = .seconds(5)

    /// The first step of a graceful stop: tells systemd (`STOPPING=1`) and the journal, and
    /// closes every intake at once: no spool task is started any more (those not started stay in
    /// `new/`), the sockets accept no connection and read no new line, the SQS loops receive no
    /// more. Tasks already running go on.
    func stopIntake(_ shared: DaemonRun) async {
        let intake = shared.beginStopping()
        // No task starts once systemd hears of the stop: a spool claim between the two would.
        dispatcher.stopIntake()
        await components.notifier.stopping()
        logger.notice("stopping: intake closed, waiting for tasks in flight", metadata: ["event": "stopping"])
        await intake.stop()
    }

    /// The second step: waits up to the grace period for the tasks in flight (spool, sockets and
    /// SQS alike) to finish.
    func drain(_ shared: DaemonRun) async {
        shared.progress.recordDrained(await dispatcher.inFlight.waitUntilIdle(timeout: settings.gracePeriod))
    }
}
