import FoundationEssentials
import Logging
import ServiceLifecycle
import Systemd
import TaskQueue
import DelegateClient
import UnixSignals

/// `secrets-delegate run`: makes the process non-dumpable, loads the configuration, sets up
/// logging (the journal under systemd, stderr otherwise), raises the open file limit, takes
/// systemd's listening sockets if there are any, and runs the daemon until SIGTERM or SIGINT.
public enum DaemonLauncher {
    public static func run(loader: ConfigurationLoader) async -> CommandOutcome {
        if let refusal = SecretHoldingCommand.protect() { return refusal }
        let destination = LogDestination.detect(environment: loader.environment)
        let configuration: DelegateConfiguration
        do {
            configuration = try loader.load()
        } catch {
            return await refused(configurationError: error, destination: destination)
        }
        // One level for every logger, which a reload changes (`[delegate] log_level`).
        let logLevel = LogLevelSetting(configuration.delegate.level)
        LoggingSystem.bootstrap { label in makeLogHandler(label: label, destination: destination, level: logLevel) }
        var logger = Logger(label: "secrets-delegate")
        // On the lines before the daemon's own logger takes over too (a socket or spool warning).
        logger[metadataKey: "delegate_name"] = "\(configuration.delegate.name)"
        raiseFileDescriptorLimit(logger: logger)

        let inherited: ListenedSockets.Assignment
        do {
            inherited = try ListenedSockets.takeAssigned(credentialsPath: configuration.queue.credentialsSocketPath)
        } catch {
            // As the other fatal start errors: a critical line and STATUS= (69: systemd starts it again).
            logger.critical("the delegate stopped: the sockets passed by systemd cannot be used: \(error)")
            await SystemdNotifier(logger: logger).statusSent(
                "stopped: the sockets passed by systemd cannot be used: \(error)")
            return .failure("the sockets passed by systemd cannot be used: \(error)", status: ExitStatus.unavailable)
        }
        warnOfPrivateTmp(
            configuration, inherited: inherited, isPrivateTmp: { privateTmp(environment: loader.environment) },
            logger: logger)
        DelegateDaemon.warnOfWhatTheLoadFound(configuration, logger: logger)
        warnOfUnserved(inherited, logger: logger)
        warnOfSocketPath(inherited, configured: configuration.queue.socketPath, logger: logger)
        if let credentials = inherited.credentials {
            warnOfCredentialsSocketPath(
                passed: ListenedSockets.boundPath(credentials), configured: configuration.queue.credentialsSocketPath,
                logger: logger)
        }
        let notifier = SystemdNotifier(logger: logger)
        do {
            let daemon = try DelegateDaemon(
                settings: .init(
                    // The default path too when it is missing: a reload reads it (or its absence)
                    // and connectors.d next to it, as the start did.
                    configuration: configuration, configurationPath: loader.path,
                    configurationRequired: loader.explicitPath != nil,
                    environment: loader.environment, hostName: loader.hostName, inheritedSocket: inherited.task,
                    inheritedCredentialsSocket: inherited.credentials, logLevel: logLevel),
                notifier: notifier,
                logger: logger)
            let group = daemon.serviceGroup(gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            try await group.run()
            if let reason = daemon.stopRequest.reason {
                // Logged critical by the service that stopped it; 69, so that systemd starts it again.
                await notifier.statusSent("stopped: \(reason)")
                return .failure("stopped: \(reason)", status: ExitStatus.unavailable)
            }
            return CommandOutcome(status: ExitStatus.success)
        } catch let error as TaskQueueError where error.code == .badLayout {
            // Restarting cannot fix a layout the operator must repair: 78 stops systemd's restarts
            // (RestartPreventExitStatus=78), and STATUS= puts the reason into `systemctl status`.
            logger.critical("the delegate cannot use its spool: \(error)", metadata: ["error_code": "SpoolUnusable"])
            await notifier.statusSent("cannot use the spool: \(error)")
            return .failure("cannot use the spool: \(error)", status: ExitStatus.configuration)
        } catch let error as TaskQueueError where error.code == .socketPathUnusable {
            // The same for a socket the delegate binds itself (its socket unit masked or stopped).
            logger.critical("the delegate cannot bind its socket: \(error)", metadata: ["error_code": "SocketUnusable"])
            await notifier.statusSent("cannot bind the socket: \(error)")
            return .failure("cannot bind the socket: \(error)", status: ExitStatus.configuration)
        } catch {
            logger.critical("the delegate stopped: \(error)")
            await notifier.statusSent("stopped: \(error)")
            return .failure("\(error)", status: ExitStatus.unavailable)
        }
    }

    /// A configuration that does not load: exit 78 (no restart). Under systemd, said as the other
    /// fatal start errors are, a critical journal line (`ERROR_CODE=ConfigurationError`, found by
    /// `journalctl -p err`) and `STATUS=` for `systemctl status`, not a plain stderr line the
    /// journal files at info; by hand, on stderr as ever. `STATUS=` names the key only: any local
    /// user may read a unit's status, and the reason quotes the value refused (a secret pasted in
    /// the wrong place, maybe), which the journal keeps from them.
    private static func refused(configurationError error: any Error, destination: LogDestination) async
        -> CommandOutcome
    {
        let failure = CommandOutcome.failure("configuration error: \(error)", status: ExitStatus.configuration)
        guard destination == .journal else { return failure }
        LoggingSystem.bootstrap { label in makeLogHandler(label: label, destination: destination) }
        let logger = Logger(label: "secrets-delegate")
        logger.critical("configuration error: \(error)", metadata: ["error_code": "ConfigurationError"])
        let key = (error as? ConfigurationError).flatMap(statusKey) ?? "the configuration"
        await SystemdNotifier(logger: logger).statusSent(
            "configuration error in \(key) (journalctl -u secrets-delegate -p err says why)")
        return CommandOutcome(status: ExitStatus.configuration)
    }

    /// What `STATUS=` names for a configuration error: its key, or the environment variable it
    /// came from when it names none (a misspelt or unknown one); never the reason, which may
    /// quote a value.
    static func statusKey(_ error: ConfigurationError) -> String? {
        error.key ?? error.origin
    }

    /// Soft `RLIMIT_NOFILE` up to the hard limit; the delegate runs on with the old limit if the
    /// kernel refuses (the ready line reports the limit in force).
    private static func raiseFileDescriptorLimit(logger: Logger) {
        do {
            let (before, after) = try FileDescriptorLimit.raiseSoftToHard()
            logger.debug("open file limit \(after) (soft/hard), was \(before)")
        } catch {
            logger.warning("the open file limit stays as it is: \(error)")
        }
    }

    /// Paths under `/tmp` or `/var/tmp` when they are this process's own (`PrivateTmp=yes`, as in
    /// the packaged unit, seen in `mountinfo`): a spool, a socket it binds itself, drop-ins or
    /// credential files there are not what producers, clients, units and the operator see, and
    /// nothing else would say so.
    ///
    /// - Parameter isPrivateTmp: whether `/tmp` is the process's own; asked only when a path is
    ///   under it, so that a start with none reads no `mountinfo`.
    static func warnOfPrivateTmp(
        _ configuration: DelegateConfiguration, inherited: ListenedSockets.Assignment, isPrivateTmp: () -> Bool,
        logger: Logger
    ) {
        let queue = configuration.queue
        let paths: [(key: String, path: String)] = [
            ("[queue] spool_dir", queue.spoolDir),
            ("[queue] socket_path", inherited.task == nil ? queue.socketPath : ""),
            ("[queue] credentials_socket_path", inherited.credentials == nil ? queue.credentialsSocketPath : ""),
            ("[delegate] connectors_dir", configuration.delegate.connectorsDir),
            ("[credentials] directory", configuration.credentials.directory),
        ]
        warnOfPrivateTmp(paths, isPrivateTmp: isPrivateTmp, logger: logger)
    }

    /// ``warnOfPrivateTmp(_:inherited:isPrivateTmp:logger:)`` at a reload, for the directories a
    /// reload changes (`[delegate] connectors_dir`, `[credentials] directory`) that it changed:
    /// the usual way to change them, and every connector's credential files would be missing.
    static func warnOfPrivateTmp(
        _ loaded: DelegateConfiguration, replacing current: DelegateConfiguration, isPrivateTmp: () -> Bool,
        logger: Logger
    ) {
        var paths: [(key: String, path: String)] = []
        if loaded.delegate.connectorsDir != current.delegate.connectorsDir {
            paths.append(("[delegate] connectors_dir", loaded.delegate.connectorsDir))
        }
        if loaded.credentials.directory != current.credentials.directory {
            paths.append(("[credentials] directory", loaded.credentials.directory))
        }
        warnOfPrivateTmp(paths, isPrivateTmp: isPrivateTmp, logger: logger)
    }

    private static func warnOfPrivateTmp(
        _ paths: [(key: String, path: String)], isPrivateTmp: () -> Bool, logger: Logger
    ) {
        let hidden = paths.filter { privateTmpHides($0.path) }
        guard !hidden.isEmpty, isPrivateTmp() else { return }
        for (key, path) in hidden {
            logger.warning(
                """
                \(key) \(path) is under /tmp or /var/tmp: a service with PrivateTmp=yes (the packaged unit) has them of \
                its own, which producers, clients, other units and you do not see; use /var/lib/secrets-delegate or \
                /run/secrets-delegate
                """,
                metadata: ["event": "private-tmp-path", "key": "\(key)", "path": "\(path)"])
        }
    }

    /// Whether `path` is in `/tmp` or `/var/tmp` (or is one of them), read as the kernel would
    /// (`//`, `.` and `..` taken out; links are not followed).
    static func privateTmpHides(_ path: String) -> Bool {
        guard path.hasPrefix("/") else { return false }
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." {
            if part == ".." { _ = parts.popLast() } else { parts.append(part) }
        }
        return parts.first == "tmp" || (parts.count >= 2 && parts[0] == "var" && parts[1] == "tmp")
    }

    /// Whether this process's `/tmp` is a `PrivateTmp=` one, as `/proc/self/mountinfo` shows it
    /// (read by hand: a `/proc` file has no size to read by); where that cannot be read, whether
    /// it runs as a service (systemd set `INVOCATION_ID`), the packaged one having it.
    static func privateTmp(environment: [String: String]) -> Bool {
        switch RegularFile.read("/proc/self/mountinfo", limit: 16 << 20) {
        case .success(let bytes): hasPrivateTmp(mountinfo: String(decoding: bytes, as: UTF8.self))
        case .failure: environment["INVOCATION_ID"] != nil
        }
    }

    /// Whether `/proc/self/mountinfo`'s text shows a `PrivateTmp=` `/tmp`: systemd bind-mounts
    /// `/tmp/systemd-private-<boot>-<unit>-<random>/tmp` there (the mount's root, field 4).
    static func hasPrivateTmp(mountinfo: String) -> Bool {
        mountinfo.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ", maxSplits: 5)
            return fields.count > 4 && fields[4] == "/tmp" && fields[3].contains("/systemd-private-")
        }
    }

    /// A task socket systemd passed at another path than `[queue] socket_path` (or with the path
    /// empty, which turns off only the socket the delegate binds itself): it is served, but the
    /// clients that read the configuration look for the socket at `socket_path`, so the journal
    /// says which one is served and how to make them agree.
    static func warnOfSocketPath(_ assignment: ListenedSockets.Assignment, configured: String, logger: Logger) {
        guard assignment.task != nil, differs(passed: assignment.taskPath, configured: configured) else { return }
        logger.warning(
            configured.isEmpty
                ? "socket_path is empty, but systemd passed a task socket: it is served; to turn the task socket off, stop and mask secrets-delegate.socket"
                : "systemd passed the task socket at another path than socket_path: the passed socket is served, and clients without --socket look at socket_path; make ListenStream= and socket_path agree",
            metadata: [
                "event": "socket-path-differs", "socket": "\(assignment.taskPath)", "socket_path": "\(configured)",
            ])
    }

    /// A credentials socket systemd passed (named `credentials`) at another path than
    /// `[queue] credentials_socket_path`: it is served, but a unit whose `LoadCredential=` names the
    /// configured path finds nothing there, and its failure reaches no journal line of the
    /// delegate's, so the start says which path is served.
    static func warnOfCredentialsSocketPath(passed: String, configured: String, logger: Logger) {
        guard !configured.isEmpty, differs(passed: passed, configured: configured) else { return }
        logger.warning(
            """
            systemd passed the credentials socket at another path than credentials_socket_path: the passed socket is \
            served, and a unit's LoadCredential= must name it; make the socket unit's ListenStream= and \
            credentials_socket_path agree
            """,
            metadata: [
                "event": "socket-path-differs", "socket": "\(passed)", "credentials_socket_path": "\(configured)",
            ])
    }

    /// Whether a socket systemd passed, bound at `passed` (empty: none known), is not the one
    /// the configuration names: another path, not one file under two spellings.
    static func differs(passed: String, configured: String) -> Bool {
        !passed.isEmpty && passed != configured && !sameFile(passed, configured)
    }

    /// Whether two spellings name one file that exists (`/var/run/x.sock` and `/run/x.sock`:
    /// systemd rewrites a `ListenStream=` under `/var/run`), by device and inode; for paths whose
    /// files may not exist yet, `DelegateConfiguration.samePath`.
    static func sameFile(_ first: String, _ second: String) -> Bool {
        guard let one = FileIdentity(path: first) else { return false }
        return one == FileIdentity(path: second)
    }

    /// A descriptor systemd passed that the delegate does not serve (a second `ListenStream=`, a
    /// datagram or TCP socket): its clients would wait forever, so the journal names it once.
    static func warnOfUnserved(_ assignment: ListenedSockets.Assignment, logger: Logger) {
        for socket in assignment.ignored {
            let message =
                if assignment.extraCredentials.contains(socket) {
                    "systemd passed a second socket named credentials; the delegate serves only the first as its "
                        + "credentials socket, and this one is not served (give each socket unit its own FileDescriptorName=)"
                } else if assignment.extraTask.contains(socket) {
                    "systemd passed a second task socket; the delegate serves only the first, and this one is not served"
                } else {
                    "systemd passed a descriptor that is not a listening Unix stream socket; it is not served"
                }
            logger.warning(
                "\(message)",
                metadata: [
                    "event": "socket-not-served", "fd": "\(socket.descriptor)", "fd_name": "\(socket.name)",
                    "socket": "\(socket.path)",
                ])
        }
    }
}
