import AWSCore
import AWSCredentials
import FoundationEssentials
import HTTP
import JSON
import Logging
import ServiceLifecycle
import Synchronization
import Systemd
import TaskQueue
import UnixSignals

/// The delegate: takes tasks from the spool, the socket and SQS queues (and credential requests
/// from the credentials socket), runs those meant for it, hands back results, and keeps systemd
/// informed (READY, STATUS, WATCHDOG, RELOADING, STOPPING).
///
/// A graceful shutdown (SIGTERM) stops intake first, lets the tasks in flight finish for up to
/// `gracePeriod`, leaves unstarted spool tasks in `new/`, and returns. SIGHUP re-reads the
/// configuration and applies every key but those that name the running daemon (see `reload`);
/// an invalid one is reported and the running one kept.
public final class DelegateDaemon: Sendable {
    public static let gracePeriod: Duration = .seconds(30)
    /// How long a graceful stop may take up to the SQS loops' settling, counted from SIGTERM: the
    /// unit's `TimeoutStopSec=90s` less the 5 s each the credentials socket's and the task
    /// socket's connections are given after it, the 2 s the credentials socket's refusals are
    /// given to be read, and a margin of 5 s (the spool's cancelled tasks, the HTTP client's
    /// close). The drain takes at most `gracePeriod` of it.
    public static let stopBudget: Duration = .seconds(73)

    let settings: Settings
    let components: Components
    /// The configuration now in force: `settings.configuration` until a reload.
    let configuration: RunningConfiguration
    let logger: Logger
    /// Rate-limits the warnings producers and peers can trigger, for every intake.
    let logLimiter = LogRateLimiter()
    /// Per-queue counters of the SQS intake.
    let sqsStatus = SQSQueueStatus()
    /// Spool results waiting to be written (``SpoolIntake/unwritten``): while any waits, the spool
    /// claims no new task, which the status line says.
    let spoolUnwritten = InFlightCount()
    /// The last spool task that could not be claimed, until one is (``SpoolIntake/claimFailure``),
    /// which the status line and the status object tell.
    let spoolClaimFailure = SpoolClaimFailure()
    /// A stop the delegate asks of itself, for a failure a start repairs: the process then ends
    /// with 69, and systemd restarts it.
    let stopRequest = StopRequest()
    /// Per socket, the connection cap last warned of as lowered (configured, effective): a reload
    /// that leaves both as they were does not warn again.
    private let loweredCapsWarned = Mutex<[String: [Int]]>([:])

    /// What the daemon is started with.
    public struct Settings: Sendable {
        public var configuration: DelegateConfiguration
        /// Where SIGHUP re-reads the configuration from (nil: reloads keep the current one).
        public var configurationPath: String?
        /// Whether the file at ``configurationPath`` must exist (a `--config FILE`); when not (the
        /// default path), a reload without it applies the defaults, the environment and
        /// `connectors.d`, as the start did.
        public var configurationRequired: Bool
        public var environment: [String: String]
        /// The default `[delegate] name`, as at the start (the host's name).
        public var hostName: String
        /// The host's name now: a reload loads with it, so that a file that drops its `name`, or
        /// a host renamed while the file sets none, is seen to change the name at the next start.
        public var currentHostName: @Sendable () -> String
        /// The task socket passed by systemd (socket activation), if any.
        public var inheritedSocket: Int32?
        /// The credentials socket passed by systemd (`FileDescriptorName=credentials`), if any.
        public var inheritedCredentialsSocket: Int32?
        public var gracePeriod: Duration
        /// How long a stop may take up to the SQS loops' settling (``DelegateDaemon/stopBudget``).
        public var stopBudget: Duration
        /// The level the process's log handlers read, set again by a reload (`[delegate]
        /// log_level`); nil where the loggers are not the daemon's own (tests).
        public var logLevel: LogLevelSetting?

        public init(
            configuration: DelegateConfiguration, configurationPath: String?, configurationRequired: Bool = true,
            environment: [String: String], hostName: String = DelegateConfiguration.systemHostName(),
            currentHostName: @escaping @Sendable () -> String = { DelegateConfiguration.systemHostName() },
            inheritedSocket: Int32? = nil, inheritedCredentialsSocket: Int32? = nil,
            gracePeriod: Duration = DelegateDaemon.gracePeriod, stopBudget: Duration = DelegateDaemon.stopBudget,
            logLevel: LogLevelSetting? = nil
        ) {
            self.stopBudget = stopBudget
            self.logLevel = logLevel
            self.inheritedCredentialsSocket = inheritedCredentialsSocket
            self.configuration = configuration
            self.configurationPath = configurationPath
            self.configurationRequired = configurationRequired
            self.environment = environment
            self.hostName = hostName
            self.currentHostName = currentHostName
            self.inheritedSocket = inheritedSocket
            self.gracePeriod = gracePeriod
        }
    }

    public init(
        settings: Settings, notifier: any ServiceNotifier, logger: Logger, clock: any WallClock = SystemWallClock(),
        httpClient: (any HTTPClient)? = nil
    ) throws {
        self.settings = settings
        var logger = logger
        logger[metadataKey: "delegate_name"] = "\(settings.configuration.delegate.name)"
        self.logger = logger
        self.configuration = RunningConfiguration(settings.configuration)
        self.components = try Components(
            settings: settings, notifier: notifier, logger: logger, logLimiter: logLimiter, clock: clock,
            httpClient: httpClient)
    }

    public var dispatcher: TaskDispatcher { components.dispatcher }

    /// `READY=1` and the `ready` line, once every intake is open and SIGHUP is trapped.
    func announceReady() async {
        let configuration = self.configuration.current
        await components.notifier.ready()
        components.notifier.status(await statusLine())
        logger.notice(
            "ready",
            metadata: [
                "event": "ready", "spool": "\(configuration.queue.spoolDir)",
                "socket":
                    "\(settings.inheritedSocket == nil ? configuration.queue.socketPath : "systemd socket activation")",
                // The process settings in force (set by `DaemonLauncher`), read back from the kernel.
                "open_files_limit": "\((try? FileDescriptorLimit.current().soft).map { String($0) } ?? "unknown")",
                "dumpable": "\((try? CoreDumpProtection.isEnabled()).map { $0 ? "no" : "yes" } ?? "unknown")",
            ])
    }

    /// The SQS intake; idle while `[sqs] queue_urls` is empty, and it follows reloads.
    func sqsIntake() -> SQSIntake {
        let registry = components.registry
        return SQSIntake(
            dispatcher: dispatcher, settings: { [configuration] in configuration.current.sqs },
            clients: components.clients, identity: { registry.identity }, status: sqsStatus, sleeper: ClockSleeper(),
            random: { Double.random(in: 0..<1) }, logLimiter: logLimiter, logger: logger)
    }

    /// The intake the services opened, which a reload retunes (rescan interval, socket peers)
    /// and the first step of a stop closes.
    struct Intake: Sendable {
        var watcher: SpoolWatcher?
        var socket: SocketServer?
        var credentialsSocket: CredentialSocketServer?

        /// Stops taking work: the watcher ends, the sockets stop accepting and reading new lines.
        func stop() async {
            watcher?.stop()
            await socket?.stopAccepting()
            await credentialsSocket?.stopAccepting()
        }
    }

    /// The task socket: systemd's, else `[queue] socket_path`, else none.
    func socketListener() -> SocketServer.Listener? {
        let queue = configuration.current.queue
        if let fd = settings.inheritedSocket { return .fileDescriptor(fd) }
        return queue.socketPath.isEmpty ? nil : .path(queue.socketPath)
    }

    func openSocket(_ listener: SocketServer.Listener) throws(TaskQueueError) -> SocketServer {
        let queue = configuration.current.queue
        let intake = SocketIntake(
            dispatcher: dispatcher, statusReport: { await self.statusReport() }, logLimiter: logLimiter, logger: logger)
        let server = SocketServer(
            listener: listener,
            policy: Self.peerPolicy(queue),
            limits: socketLimits(queue),
            logLimiter: logLimiter,
            logger: logger,
            handler: { line, connection in
                await intake.handle(line, peer: connection.peer, stillAllowed: { connection.isAllowed })
            }
        )
        try server.start()
        return server
    }

    static func peerPolicy(_ queue: DelegateConfiguration.QueueSection) -> PeerPolicy {
        PeerPolicy(allowedUsers: queue.socketAllowedUsers, allowedGroups: queue.socketAllowedGroups)
    }

    /// The socket's limits from `[queue]`. The connection cap is held to half the open file
    /// limit, so credential files, spool files and HTTPS connections always find a descriptor.
    func socketLimits(_ queue: DelegateConfiguration.QueueSection) -> SocketServer.Limits {
        var limits = SocketServer.Limits()
        limits.maximumConnections = connectionCap(queue.socketMaxConnections, share: 2, of: "the task socket")
        limits.idleTimeout = .milliseconds(Int(queue.socketIdleTimeoutSeconds * 1000))
        return limits
    }

    /// Descriptors the delegate keeps for itself besides its sockets' connections: libdispatch's,
    /// the signal and inotify descriptors, the listeners, the spool's directories and lock, its
    /// connections to AWS.
    static let reservedDescriptors: UInt64 = 64

    /// `socket_max_connections`, held to 1/`share` of the open file limit less
    /// ``reservedDescriptors`` (logged when lowered, at the start and at a reload that lowers it
    /// otherwise than before). `openFilesLimit`: the soft `RLIMIT_NOFILE` (a test's, which cannot
    /// lower the process's own under the other tests).
    func connectionCap(
        _ configured: Int, share: Int, of socket: String,
        openFilesLimit: UInt64? = try? FileDescriptorLimit.current().soft
    ) -> Int {
        guard let openFiles = openFilesLimit else { return configured }
        let room = openFiles > Self.reservedDescriptors ? openFiles - Self.reservedDescriptors : 0
        let ceiling = Int(clamping: max(room / UInt64(share), 1))
        let lowered = configured > ceiling ? [configured, ceiling] : []
        let warnedBefore = loweredCapsWarned.withLock { warned in
            defer { warned[socket] = lowered }
            return warned[socket] == lowered
        }
        guard !lowered.isEmpty else { return configured }
        if warnedBefore { return ceiling }
        // A limit that leaves the delegate too few descriptors to work with at all says so, for
        // either socket alike.
        let tooLow =
            room < 8
            ? "; the limit leaves the delegate too few descriptors to work (tasks fail with EMFILE): raise it" : ""
        logger.warning(
            "socket_max_connections is lowered to 1/\(share) of what the open file limit leaves beyond the \(Self.reservedDescriptors) descriptors the delegate keeps, for \(socket)\(tooLow)",
            metadata: [
                "configured": "\(configured)", "effective": "\(ceiling)", "open_files_limit": "\(openFiles)",
            ])
        return ceiling
    }

    static func rescanInterval(_ queue: DelegateConfiguration.QueueSection) -> Duration {
        .milliseconds(Int(queue.rescanIntervalSeconds * 1000))
    }

    // MARK: Periodic work

    /// `WATCHDOG=1` at half of `WATCHDOG_USEC`, only while the delegate makes progress: this loop
    /// ran (so the cooperative pool has threads) and no task has overrun its deadline (which the
    /// deadline machinery never allows while tasks are served). A wedged delegate stops the pings
    /// and systemd restarts it.
    func watchdogLoop() async {
        guard let interval = components.notifier.watchdogInterval else { return }
        var warned = false
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if Task.isCancelled { return }
            let overrun = components.dispatcher.inFlight.overrun()
            if let first = overrun.first {
                if !warned {
                    logger.critical(
                        "a task has overrun its deadline; withholding the watchdog ping so that systemd restarts the delegate",
                        metadata: [
                            "task_id": "\(first.taskID)", "connector_id": "\(first.connectorID)",
                            "operation": "\(first.operation)", "count": "\(overrun.count)",
                        ])
                    warned = true
                }
                continue
            }
            warned = false
            components.notifier.watchdog()
        }
    }

    func statusLoop() async {
        var last = ""
        var heapTrim = IdleHeapTrim(activity: workDone)
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(2))
            // Summaries of rate-limited warnings are due even when no new event comes.
            logLimiter.flush()
            // Cached values no longer kept go even when nobody asks for them again, and so do
            // credential files' values too old to be served.
            components.cache.purgeExpired()
            components.registry.refStore.purgeExpired()
            // What a burst of tasks freed goes back to the kernel once the delegate is idle.
            if heapTrim.isDue(
                activity: workDone, inFlight: dispatcher.status.snapshot.inFlight, freeBytes: { HeapMemory.freeBytes })
            {
                HeapMemory.trim()
            }
            let line = await statusLine()
            if line != last {
                components.notifier.status(line)
                last = line
            }
        }
    }

    /// Tasks finished and credential requests answered so far.
    private var workDone: Int {
        let credentials = dispatcher.status.credentials
        return dispatcher.status.snapshot.done + credentials.served + credentials.refused
    }

    /// Deletes uncollected results past `[queue] result_retention_seconds`, read every round so
    /// that a reload applies from the next one (at most a minute away).
    func sweepResults(_ spool: Spool) async {
        var clock = SweepClock()
        while !Task.isCancelled {
            let retention = configuration.current.queue.resultRetentionSeconds
            // Off the cooperative pool: a `done/` that hangs, or a hundred thousand results kept,
            // holds a thread of the spool's own.
            let swept = try? await spool.offPool(for: .sweep) { [clock] in
                var swept = clock
                self.sweepResultsOnce(spool, clock: &swept, elapsed: .now)
                return swept
            }
            guard let swept else { return }  // the stop
            clock = swept
            try? await Task.sleep(for: .seconds(max(1, min(60, retention / 2))))
        }
    }

    /// One pass of ``sweepResults(_:)``: the results' ages on `clock` (``SweepClock``: the wall
    /// clock's steps while the daemon runs are no age), with the time elapsed as `elapsed`.
    func sweepResultsOnce(_ spool: Spool, clock: inout SweepClock, elapsed: ContinuousClock.Instant) {
        let retention = configuration.current.queue.resultRetentionSeconds
        let (now, step) = clock.now(wall: components.clock.now(), elapsed: elapsed)
        if step != 0 {
            let (direction, seconds, behind) = (
                step > 0 ? "forward" : "back", Int(abs(step).rounded()), Int(clock.offset.rounded())
            )
            logger.info(
                "the wall clock stepped \(direction) by \(seconds) s; the results' retention reads it \(behind) s behind",
                metadata: ["event": "wall-clock-stepped", "offset_seconds": "\(behind)"])
        }
        do {
            let removed = try spool.sweepResults(olderThan: .seconds(retention), now: now)
            if removed > 0 {
                logger.info("deleted \(removed) result(s) older than \(retention) s nobody collected")
            }
        } catch {
            logger.warning("result retention sweep failed: \(error)", metadata: ["event": "spool-sweep-failed"])
        }
    }
}
