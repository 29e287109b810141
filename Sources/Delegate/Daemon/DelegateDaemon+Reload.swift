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

/// Reloading the configuration (SIGHUP, `systemctl reload`): what applies at once, what waits
/// for a restart, and the `reloaded` event.
extension DelegateDaemon {
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

    /// What the load found the operator may not mean, said at the start and at each reload:
    /// keys of the file an environment variable overrides (an edit of them changes nothing); and,
    /// rather than every task naming one of its connectors answered `InvalidTask`, files of the
    /// connectors directory passed over though they may be meant as drop-ins, or a `[delegate]
    /// connectors_dir` set and missing (no drop-ins, as for the default one, but the operator
    /// named it: a mount not up yet?).
    static func warnOfWhatTheLoadFound(_ configuration: DelegateConfiguration, logger: Logger) {
        if let warning = configuration.overriddenKeysWarning {
            logger.warning("\(warning)", metadata: ["event": "keys-overridden"])
        }
        if let warning = configuration.passedOverDropInsWarning {
            logger.warning("\(warning)", metadata: ["event": "drop-ins-passed-over"])
        }
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
            (
                "queue.credentials_socket_path", "secrets-delegate-credentials.socket",
                settings.inheritedCredentialsSocket
            ),
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
        Self.warnOfWhatTheLoadFound(loaded, logger: logger)
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
        // Before the reloaded line, which is then logged or not at the new level.
        settings.logLevel?.level = fresh.delegate.level
        var applied = changed.filter(\.appliesOnReload).map(\.dottedName)
        if connectorsChanged { applied.append("connectors") }
        if fresh.credentialMappings != current.credentialMappings { applied.append("credential") }
        logger.notice(
            "configuration reloaded",
            metadata: [
                "event": "reloaded", "tags": "\(fresh.delegate.tags.joined(separator: ","))",
                "concurrency": "\(fresh.delegate.concurrency)",
                "changed": "\(applied.isEmpty ? "none" : applied.joined(separator: ","))",
            ])
    }
}
