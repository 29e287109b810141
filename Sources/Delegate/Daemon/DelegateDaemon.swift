import AWSCore
import AWSCredentials
import FoundationEssentials
import HTTP
import JSON
import Logging
import ServiceLifecycle
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
    /// A stop the delegate asks of itself, for a failure a start repairs: the process then ends
    /// with 69, and systemd restarts it.
    let stopRequest = StopRequest()

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

        public init(
            configuration: DelegateConfiguration, configurationPath: String?, configurationRequired: Bool = true,
            environment: [String: String], hostName: String = DelegateConfiguration.systemHostName(),
            currentHostName: @escaping @Sendable () -> String = { DelegateConfiguration.systemHostName() },
            inheritedSocket: Int32? = nil, inheritedCredentialsSocket: Int32? = nil,
            gracePeriod: Duration = DelegateDaemon.gracePeriod, stopBudget: Duration = DelegateDaemon.stopBudget
        ) {
            self.stopBudget = stopBudget
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
        logger.info(
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

    private static func peerPolicy(_ queue: DelegateConfiguration.QueueSection) -> PeerPolicy {
        PeerPolicy(allowedUsers: queue.socketAllowedUsers, allowedGroups: queue.socketAllowedGroups)
    }

    /// The socket's limits from `[queue]`. The connection cap is held to half the open file
    /// limit, so credential files, spool files and HTTPS connections always find a descriptor.
    private func socketLimits(_ queue: DelegateConfiguration.QueueSection) -> SocketServer.Limits {
        var limits = SocketServer.Limits()
        limits.maximumConnections = connectionCap(queue.socketMaxConnections, share: 2, of: "the task socket")
        limits.idleTimeout = .milliseconds(Int(queue.socketIdleTimeoutSeconds * 1000))
        return limits
    }

    /// `socket_max_connections`, held to 1/`share` of the open file limit (logged when lowered).
    func connectionCap(_ configured: Int, share: Int, of socket: String) -> Int {
        guard let openFiles = try? FileDescriptorLimit.current().soft else { return configured }
        let ceiling = Int(clamping: max(openFiles / UInt64(share), 1))
        guard configured > ceiling else { return configured }
        logger.warning(
            "socket_max_connections is lowered to 1/\(share) of the open file limit for \(socket)",
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
            sweepResultsOnce(spool, clock: &clock, elapsed: .now)
            try? await Task.sleep(for: .seconds(max(1, min(60, retention / 2))))
        }
    }

    /// One pass of ``sweepResults(_:)``: the results' ages on `clock` (``SweepClock``: the wall
    /// clock's steps while the daemon runs are no age), with the time elapsed as `elapsed`.
    func sweepResultsOnce(_ spool: Spool, clock: inout SweepClock, elapsed: ContinuousClock.Instant) {
        let retention = configuration.current.queue.resultRetentionSeconds
        let (now, step) = clock.now(wall: components.clock.now(), elapsed: elapsed)
        if step != 0 {
            let (direction, seconds, behind) = (step > 0 ? "forward" : "back", Int(abs(step).rounded()), Int(clock.offset.rounded()))
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
            logger.warning("result retention sweep failed: \(error)")
        }
    }

    /// Re-reads the configuration and applies every key at once except `delegate.name`,
    /// `queue.spool_dir`, `queue.socket_path` and `queue.credentials_socket_path`, which keep their running values until a restart
    /// (a warning names those that changed). Tasks in flight keep the clients and credentials they
    /// have. Reloads run one at a time (``ReloadService``).
    func reload(_ intake: Intake) async {
        await components.notifier.reloading()
        await reloadConfiguration(intake)
        // STATUS first, so that READY=1 finds the status already showing the outcome.
        components.notifier.status(await statusLine())
        await components.notifier.ready()
    }

    /// A `[delegate] connectors_dir` set and missing: no drop-ins, as for the default one, but the
    /// operator named it, so its absence (a mount not up yet) is said, at the start and at each
    /// reload, rather than every task naming one of its connectors answered `InvalidTask`.
    static func warnOfMissingConnectorsDirectory(_ configuration: DelegateConfiguration, logger: Logger) {
        guard let directory = configuration.missingConnectorsDirectory else { return }
        logger.warning(
            """
            [delegate] connectors_dir \(directory) does not exist: no drop-in connectors are loaded, and tasks naming \
            them are refused; if it is on a mount not up yet, add RequiresMountsFor=\(directory) in a drop-in \
            (systemctl edit secrets-delegate), then reload
            """,
            metadata: ["event": "connectors-dir-missing", "path": "\(directory)"])
    }

    /// What a restart alone does not do for the keys a reload left `waiting` (dotted names).
    func restartNotes(waiting: Set<String>, loaded: DelegateConfiguration, hostName: String) -> [String] {
        var notes: [String] = []
        // Running under the start's host name, to be the host's new one: the file sets none.
        if waiting.contains("delegate.name"), loaded.delegate.name == hostName, hostName != settings.hostName,
            configuration.current.delegate.name == settings.hostName
        {
            notes.append(
                "delegate.name follows the host's name, \(hostName) now, at the next start: tasks then claimed under "
                    + "\(configuration.current.delegate.name) are only named at start, and tasks selecting that name no "
                    + "longer match (set [delegate] name to keep it)")
        }
        if waiting.contains("queue.spool_dir") {
            notes.append(
                "queue.spool_dir: what the running spool holds (queued and claimed tasks, kept results) stays there, "
                    + "unseen by the new one: let it drain, or stop the delegate and move it")
        }
        let passed = [
            ("queue.socket_path", "secrets-delegate.socket", settings.inheritedSocket),
            ("queue.credentials_socket_path", "secrets-delegate-credentials.socket", settings.inheritedCredentialsSocket),
        ]
        for (key, unit, descriptor) in passed where waiting.contains(key) && descriptor != nil {
            notes.append(
                "\(key): systemd passes this socket (\(unit)'s ListenStream=), which a restart of the service does not "
                    + "move: change it there too and restart the socket unit")
        }
        return notes
    }

    private func reloadConfiguration(_ intake: Intake) async {
        guard let path = settings.configurationPath else {
            logger.notice("reload requested but the daemon was started without a configuration file")
            return
        }
        let current = configuration.current
        // A host name now that would be no delegate's name (not set by the file, it would refuse
        // the whole reload): the start's, which the name keeps until a restart anyway.
        let hostNow = settings.currentHostName()
        let hostName = DelegateConfiguration.delegateNameProblem(hostNow) == nil ? hostNow : settings.hostName
        let loaded: DelegateConfiguration
        do {
            loaded = try DelegateConfiguration.load(
                path: path, requireFile: settings.configurationRequired, environment: settings.environment,
                hostName: hostName)
        } catch {
            // No `reloaded` event: nothing was reloaded.
            logger.error(
                "reload refused, the running configuration stays: \(error)",
                metadata: ["error_code": "ConfigurationError"])
            return
        }
        Self.warnOfMissingConnectorsDirectory(loaded, logger: logger)
        DaemonLauncher.warnOfPrivateTmp(
            loaded, replacing: current, isPrivateTmp: { DaemonLauncher.privateTmp(environment: settings.environment) },
            logger: logger)
        let changed = loaded.keysChanged(from: current)
        let waiting = changed.filter { !$0.appliesOnReload }
        if !waiting.isEmpty {
            let names = waiting.map(\.dottedName)
            let notes = restartNotes(waiting: Set(names), loaded: loaded, hostName: hostName)
            logger.warning(
                "reload: these keys change only at a restart and keep their running values: \(names.joined(separator: ", "))\(notes.map { "; " + $0 }.joined())",
                // Comma-separated as the reloaded event's CHANGED is, so one split reads both.
                metadata: ["restart_keys": "\(names.joined(separator: ","))"])
        }
        let fresh = waiting.reduce(loaded) { fresh, key in fresh.replacing(key, from: current) }
        // The socket's peers first: a task of a peer it no longer allows, waiting for a slot, is
        // refused from here on, before `apply` can start it (a raised concurrency, a slot freed).
        intake.socket?.update(policy: Self.peerPolicy(fresh.queue))
        let connectorsChanged = fresh.connectors != current.connectors
        components.apply(fresh, replacing: current, logger: logger) {
            intake.watcher?.setRescanInterval(Self.rescanInterval(fresh.queue))
            if fresh.delegate.tags != current.delegate.tags
                || fresh.delegate.acceptUntagged != current.delegate.acceptUntagged || connectorsChanged
            {
                // Tasks left in new/ for other delegates may be this one's now. After the tags: a
                // skip epoch read from here on is matched against them (SpoolWatcher.skipEpoch).
                intake.watcher?.forgetSkipped()
            }
            intake.socket?.update(limits: socketLimits(fresh.queue))
            intake.credentialsSocket?.update(limits: credentialsSocketLimits(fresh.queue))
            // Before a raised concurrency wakes anyone: an SQS loop given a slot then reads its
            // queues here (a queue the reload removed receives no more).
            configuration.replace(with: fresh)
        }
        var applied = changed.filter(\.appliesOnReload).map(\.dottedName)
        if connectorsChanged { applied.append("connectors") }
        if fresh.credentialMappings != current.credentialMappings { applied.append("credential") }
        logger.info(
            "configuration reloaded",
            metadata: [
                "event": "reloaded", "tags": "\(fresh.delegate.tags.joined(separator: ","))",
                "concurrency": "\(fresh.delegate.concurrency)",
                "changed": "\(applied.isEmpty ? "none" : applied.joined(separator: ","))",
            ])
    }

    // MARK: Status

    /// The credential sessions `STATUS=` names (the status object has them all).
    static let credentialsShown = 3

    /// The sessions for `STATUS=`: those without valid credentials first (their last refresh
    /// failed, and they have none or theirs expired: "failing"), so that no failing one is cut off
    /// the line; among them the delegate's own identity (IMDS) before assumed roles, which every
    /// named connector and SQS rely on and which inline tasks' failing roles must not push into
    /// "+N more"; then by name; at most ``credentialsShown``, and how many more there are.
    static func credentialsSummary(_ snapshots: [CachingCredentialProvider.Snapshot], now: Date) -> String {
        let sessions = snapshots.map { snapshot in
            (snapshot, failing: snapshot.lastError != nil && !(snapshot.expiration.map { $0 > now } ?? false))
        }
        .sorted { first, second in
            if first.failing != second.failing { return first.failing }
            let firstIsRole = first.0.source.hasPrefix(AssumeRoleSource.namePrefix)
            if firstIsRole != second.0.source.hasPrefix(AssumeRoleSource.namePrefix) { return !firstIsRole }
            return first.0.source < second.0.source
        }
        var shown = sessions.prefix(credentialsShown).map { snapshot, failing in
            if failing, let error = snapshot.lastError { return "\(snapshot.source): failing (\(error.prefix(60)))" }
            return "\(snapshot.source): until \(snapshot.expiration.map(Timestamp.format) ?? "-")"
        }
        if sessions.count > credentialsShown { shown.append("+\(sessions.count - credentialsShown) more") }
        return shown.joined(separator: ", ")
    }

    func statusLine() async -> String {
        let counts = dispatcher.status.snapshot
        var line =
            "\(counts.inFlight) in flight, \(counts.done) done (\(counts.succeeded) succeeded, \(counts.failed) failed, \(counts.rejected) rejected)"
        let credentials = await components.registry.snapshots()
        if !credentials.isEmpty {
            line += "; credentials " + Self.credentialsSummary(credentials, now: components.clock.now())
        }
        let tags = dispatcher.selectionPolicy.tags
        line += "; tags \(tags.isEmpty ? "none" : tags.joined(separator: ","))"
        // First, so `systemctl status` shows it: the delegate may take no tasks at all.
        if let queues = SQSQueueStatus.failingSummary(sqsStatus.snapshot) { line = queues + "; " + line }
        let unwritten = spoolUnwritten.current
        if unwritten > 0 {
            line = "spool paused: \(unwritten) result(s) cannot be written to done/ (see the journal); " + line
        }
        // First, so `systemctl status` shows it: every AWS call fails until a restart.
        if let failure = components.httpClientToShutDown?.startFailure {
            line = "AWS calls failing: \(failure.message.prefix(100)); " + line
        }
        return line
    }

    func statusReport() async -> JSONValue {
        let counts = dispatcher.status.snapshot
        let credentialCounts = dispatcher.status.credentials
        let policy = dispatcher.selectionPolicy
        let credentials = await components.registry.snapshots().map { snapshot -> JSONValue in
            var object: JSONObject = [
                "source": .string(snapshot.source), "expiration": date(snapshot.expiration),
            ]
            if let error = snapshot.lastError { object["lastError"] = .string(error) }
            return .object(object)
        }
        var report: JSONObject = [
            "name": .string(policy.name),
            "version": .string(DelegateVersion.current),
            "tags": .array(policy.tags.map(JSONValue.string)),
            "acceptUntagged": .bool(policy.acceptUntagged),
            "startedAt": .string(Timestamp.format(dispatcher.status.startedAt)),
            "inFlight": .integer(Int64(counts.inFlight)),
            "counts": .object([
                "succeeded": .integer(Int64(counts.succeeded)), "failed": .integer(Int64(counts.failed)),
                "rejected": .integer(Int64(counts.rejected)),
            ]),
            "credentials": .array(credentials),
            // Tasks per named connector id, whatever their outcome.
            "connectors": .object(JSONObject(dispatcher.connectors.taskCounts.mapValues { .integer(Int64($0)) })),
            "cache": components.cache.statistics.jsonValue,
            // Credentials socket requests (section 11) answered with a value, and closed without one.
            "credentialRequests": .object([
                "served": .integer(Int64(credentialCounts.served)), "refused": .integer(Int64(credentialCounts.refused)),
            ]),
            // Per SQS queue: received, released, deleted, result send failures, last receive, error.
            "queues": sqsStatus.report,
        ]
        // Only while the spool is paused: results of finished tasks (counted above) not yet
        // written to done/, and no new spool task claimed (the status line says so too).
        let unwritten = spoolUnwritten.current
        if unwritten > 0 {
            report["unwrittenResults"] = .integer(Int64(unwritten))
        }
        // Only when every AWS call fails because HTTP cannot start (libcurl could not be loaded).
        if let failure = components.httpClientToShutDown?.startFailure {
            report["httpError"] = .string(failure.message)
        }
        return .object(report)
    }
}
