import FoundationEssentials
import Synchronization
import TaskQueue

/// The named connectors in force and who may use them: what every intake consults after decoding
/// a task and before running it. A reload replaces the whole catalog at once; user and group names
/// are resolved then (an unknown name matches nobody, so it never widens access).
public final class ConnectorCatalog: Sendable {
    struct State: Sendable {
        var connectors: [String: NamedConnector] = [:]
        var allowInline = true
        /// The `[[credential]]` entries, which name these connectors.
        var credentialMappings: [CredentialMapping] = []
        /// Per connector id: the uids and gids its `allowed_users` and `allowed_groups` name.
        var uids: [String: Set<UInt32>] = [:]
        var gids: [String: Set<UInt32>] = [:]
        /// One more at each ``install(_:)``.
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())
    private let counts = Mutex([String: Int]())
    /// A user's groups where the kernel did not give them (a spool file's owner): the user
    /// database, cached (``PeerPolicy/groups(ofUID:)``); nil when it could not answer.
    private let groupsOf: @Sendable (UInt32) -> Set<UInt32>?
    /// `allowed_users` and `allowed_groups` entries as ids (the user database but in tests).
    private let lookUpUser: @Sendable (String) -> UserDatabase.Answer<UInt32>
    private let lookUpGroup: @Sendable (String) -> UserDatabase.Answer<UInt32>

    public init(
        connectors: [String: NamedConnector] = [:], allowInline: Bool = true,
        groupsOf: @escaping @Sendable (UInt32) -> Set<UInt32>? = PeerPolicy.groups(ofUID:),
        lookUpUser: @escaping @Sendable (String) -> UserDatabase.Answer<UInt32> = PeerPolicy.lookUpUser,
        lookUpGroup: @escaping @Sendable (String) -> UserDatabase.Answer<UInt32> = PeerPolicy.lookUpGroup
    ) {
        self.groupsOf = groupsOf
        self.lookUpUser = lookUpUser
        self.lookUpGroup = lookUpGroup
        update(connectors: connectors, allowInline: allowInline, credentialMappings: [])
    }

    /// What `lookUp` answers for each of `names`, each asked once.
    private static func answers(
        for names: [String], _ lookUp: (String) -> UserDatabase.Answer<UInt32>
    ) -> [String: UserDatabase.Answer<UInt32>] {
        Dictionary(uniqueKeysWithValues: Set(names).map { ($0, lookUp($0)) })
    }

    /// A catalog made and its user and group names looked up, not yet in force
    /// (``prepare(connectors:allowInline:credentialMappings:)``).
    public struct Prepared: Sendable {
        fileprivate let state: State
        /// One per user or group name that names nobody on this host, or that the user database
        /// could not look up (such an entry matches no principal until a reload), for the caller
        /// to log.
        public let notices: [String]
    }

    /// Replaces the connectors and the `[[credential]]` entries that name them (at start and on
    /// reload), together (the entries are given every time: left out, a reload would drop them):
    /// ``prepare(connectors:allowInline:credentialMappings:)`` then ``install(_:)``.
    ///
    /// - Returns: the prepared catalog's notices.
    @discardableResult
    public func update(
        connectors: [String: NamedConnector], allowInline: Bool, credentialMappings: [CredentialMapping]
    ) -> [String] {
        let prepared = prepare(connectors: connectors, allowInline: allowInline, credentialMappings: credentialMappings)
        install(prepared)
        return prepared.notices
    }

    /// The catalog these connectors make, their `allowed_users` and `allowed_groups` looked up in
    /// the user database: the slow part of a reload (a directory service may take seconds), done
    /// before anything changes, so that a reload's other parts and ``install(_:)`` follow each
    /// other with no lookup between them.
    public func prepare(
        connectors: [String: NamedConnector], allowInline: Bool, credentialMappings: [CredentialMapping]
    ) -> Prepared {
        var fresh = State(connectors: connectors, allowInline: allowInline, credentialMappings: credentialMappings)
        var notices: [String] = []
        // Each name looked up once per update, however many connectors name it: a thousand
        // connectors allowing one LDAP group would otherwise hold the reload for a thousand lookups.
        let userAnswers = Self.answers(for: connectors.values.flatMap(\.policy.allowedUsers), lookUpUser)
        let groupAnswers = Self.answers(for: connectors.values.flatMap(\.policy.allowedGroups), lookUpGroup)
        for id in connectors.keys.sorted() {
            guard let named = connectors[id] else { continue }
            let users = PeerPolicy.ids(of: named.policy.allowedUsers) { userAnswers[$0] ?? lookUpUser($0) }
            let groups = PeerPolicy.ids(of: named.policy.allowedGroups) { groupAnswers[$0] ?? lookUpGroup($0) }
            for (kind, unresolved) in [("user", users.unresolved), ("group", groups.unresolved)] {
                for (name, failure) in unresolved {
                    notices.append(
                        failure.map {
                            "\(named.origin) allowed_\(kind)s: \(kind) \(name) could not be looked up (\($0)); it matches "
                                + "nobody until a reload"
                        }
                            ?? "\(named.origin) allowed_\(kind)s: there is no \(kind) \(name) on this host; it matches nobody"
                    )
                }
            }
            fresh.uids[id] = users.ids
            fresh.gids[id] = groups.ids
        }
        return Prepared(state: fresh, notices: notices)
    }

    /// Puts a prepared catalog in force, as a new generation.
    public func install(_ prepared: Prepared) {
        var fresh = prepared.state
        let connectors = fresh.connectors
        // Counts of connectors a reload removed go with them (a connector added again starts at
        // 0). Lock order counts, then state, as in `count(connectorID:)`: a task counted under the
        // old catalog cannot bring a removed connector back.
        counts.withLock { counts in
            state.withLock { state in
                fresh.generation = state.generation &+ 1
                state = fresh
            }
            counts = counts.filter { connectors[$0.key] != nil }
        }
    }

    /// Which catalog is in force: it changes at every update (a reload), so that a task admitted
    /// under an earlier one is admitted again before it starts (``TaskDispatcher/execute``).
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// A warning while connectors restrict who may do what but inline connectors are still
    /// allowed: an inline task may carry the same role or credential refs as a named connector and
    /// so is held to none of its `allowed_*`, `operations` or sealing rules.
    public var inlineConnectorsNotice: String? {
        let (allowInline, restricting) = state.withLock { state in
            (
                state.allowInline,
                state.connectors.values.filter { named in
                    named.policy.restrictsPrincipals || named.policy.operations != nil
                        || named.policy.requireSealedResults
                }.map(\.connector.id).sorted()
            )
        }
        guard allowInline, !restricting.isEmpty else { return nil }
        return "connectors \(restricting.joined(separator: ", ")) restrict who may do what, but "
            + "[delegate] allow_inline_connectors = true lets any task carry its own connector with the same "
            + "credentials and none of those rules; set it to false to enforce them"
    }

    /// The connectors tasks may name.
    public var connectors: [String: NamedConnector] { state.withLock { $0.connectors } }

    /// A named connector's selectors, for deciding whether a spool task is for this delegate
    /// without claiming it; nil for an id this delegate does not know.
    func selectors(of id: String) -> [String]? {
        state.withLock { NamedConnector.configured(id, in: $0.connectors)?.connector.delegateSelectors }
    }

    /// The selectors a task is matched with before it is claimed: its named connector's, as this
    /// host configures it (nil for an id unknown here), else its inline connector's.
    func selectors(for envelope: TaskEnvelope) -> [String]? {
        envelope.connectorName.map(selectors(of:)) ?? envelope.delegateSelectors
    }

    /// Decodes a task (already parsed, as every intake has it) against the connectors in force and
    /// admits it for `principal`: one snapshot serves both, so a reload in between cannot mix two
    /// catalogs.
    ///
    /// - Throws: the decoder's rejection, or the refusal `refusal(of:by:in:)` gives.
    public func admit(_ document: TaskDocument, defaultID: String?, by principal: TaskPrincipal)
        throws(TaskRejection) -> DelegateTask
    {
        try Self.admit(document, defaultID: defaultID, by: principal, in: state.withLock { $0 }, groupsOf: groupsOf)
    }

    /// The task `document` holds, decoded against `snapshot`'s connectors and admitted for
    /// `principal` under the same snapshot.
    private static func admit(
        _ document: TaskDocument, defaultID: String?, by principal: TaskPrincipal, in snapshot: State,
        groupsOf: (UInt32) -> Set<UInt32>?
    ) throws(TaskRejection) -> DelegateTask {
        let task: DelegateTask
        do {
            task = try DelegateTask.decode(document, defaultID: defaultID, connectors: snapshot.connectors)
        } catch {
            // A principal the named connector does not admit is refused as such (section 9), and
            // learns nothing of what else is wrong with the task (its checks quote the prefix).
            if let id = document.envelope?.connectorName,
                let named = NamedConnector.configured(id, in: snapshot.connectors),
                case let admitted = admits(named.policy, id: id, principal, in: snapshot, groupsOf: groupsOf),
                admitted != true
            {
                // Not retryable even when the database could not answer: the task is invalid anyway.
                throw TaskRejection(
                    code: .notAuthorized,
                    message: notAdmitted(
                        id, principal, operation: error.operation, known: admitted != nil, retryable: false),
                    taskID: error.taskID, operation: error.operation, connectorID: id, connectorIsNamed: true)
            }
            // An inline connector where none is taken is refused as such first (section 9's order),
            // not for what else is wrong with it: its producer would mend that only to learn this.
            if !snapshot.allowInline, let envelope = document.envelope, envelope.connectorName == nil {
                throw TaskRejection(
                    code: .notAuthorized, message: inlineConnectorsOff(operation: error.operation, principal),
                    taskID: error.taskID, operation: error.operation)
            }
            throw error
        }
        if let refusal = refusal(of: task, by: principal, in: snapshot, groupsOf: groupsOf) { throw refusal }
        return task
    }

    /// The refusal's message for a task with an inline connector where none is taken.
    private static func inlineConnectorsOff(operation: String?, _ principal: TaskPrincipal) -> String {
        "inline connectors are turned off on this delegate ([delegate] allow_inline_connectors = false); "
            + "name a configured connector instead (\(operation ?? "the task") requested by \(principal))"
    }

    /// The refusal's message for a principal connector `id` does not admit, or (`known` false)
    /// may or may not: the user database could not list its groups; `retryable` when the task
    /// would pass the connector's other checks, so that sending it again may succeed.
    private static func notAdmitted(
        _ id: String, _ principal: TaskPrincipal, operation: String?, known: Bool, retryable: Bool = false
    ) -> String {
        guard known else {
            return "connector \(id) admits some groups, and the user database could not list those of \(principal) "
                + "(\(operation ?? "the task") was not run\(retryable ? "; send it again" : ""))"
        }
        return "connector \(id) may not be used by \(principal) (\(operation ?? "the task") was refused)"
    }

    /// Whether `policy`, connector `id`'s, admits `principal`: a unit only by `allowed_units`,
    /// an SQS queue only by `allowed_queues` (root's pass is for local principals), a local one by
    /// `allowed_users`/`allowed_groups` or as root.
    /// Nil when that depends on the principal's groups and the user database could not list them.
    private static func admits(
        _ policy: ConnectorPolicy, id: String, _ principal: TaskPrincipal, in snapshot: State,
        groupsOf: (UInt32) -> Set<UInt32>?
    ) -> Bool? {
        guard policy.restrictsPrincipals else { return true }
        if let unit = principal.unit { return policy.lists(unit: unit) }
        if let queueURL = principal.queueURL { return policy.lists(queue: queueURL) }
        if principal.uid == 0 { return true }
        if (snapshot.uids[id] ?? []).contains(principal.uid) { return true }
        return principal.holdsOne(of: snapshot.gids[id] ?? [], groupsOf: groupsOf)
    }

    /// What a unit's credential request comes to under one snapshot (a reload in between cannot
    /// pair one configuration's entry with another's connectors).
    enum CredentialAdmission {
        case noMapping
        case refused(CredentialMapping, TaskRejection)
        case admitted(CredentialMapping, DelegateTask)
    }

    /// The `[[credential]]` entry for `unit`'s credential `id` and its read (`task` makes the line
    /// from the entry), admitted for the unit (its helper's uid given) against the connectors of
    /// the same configuration.
    func admitCredential(unit: String, id: String, helperUID: UInt32, task line: (CredentialMapping) -> Data)
        -> CredentialAdmission
    {
        let snapshot = state.withLock { $0 }
        guard let mapping = CredentialMapping.find(unit: unit, id: id, in: snapshot.credentialMappings) else {
            return .noMapping
        }
        do throws(TaskRejection) {
            let task = try Self.admit(
                TaskDocument(line(mapping)), defaultID: nil, by: .systemdUnit(unit, helperUID: helperUID), in: snapshot,
                groupsOf: groupsOf)
            return .admitted(mapping, task)
        } catch {
            return .refused(mapping, error)
        }
    }

    /// Why `task` may not run for `principal` under the connectors in force, or nil when it may.
    func refusal(of task: DelegateTask, by principal: TaskPrincipal) -> TaskRejection? {
        Self.refusal(of: task, by: principal, in: state.withLock { $0 }, groupsOf: groupsOf)
    }

    /// Inline connectors turned off, a principal outside the connector's `allowed_*` lists, an
    /// operation outside its `operations`, or a spool task without `sealTo` on a connector that
    /// requires sealing. Messages name the connector, the operation and the principal, never a secret.
    private static func refusal(
        of task: DelegateTask, by principal: TaskPrincipal, in snapshot: State, groupsOf: (UInt32) -> Set<UInt32>?
    ) -> TaskRejection? {
        let operation = task.operation.name.rawValue
        func refuse(_ code: TaskFailure.Code, _ message: String) -> TaskRejection {
            TaskRejection(code: code, message: message, task: task)
        }
        guard let policy = task.connectorPolicy else {
            if snapshot.allowInline { return nil }
            return refuse(.notAuthorized, inlineConnectorsOff(operation: operation, principal))
        }
        let id = task.connector.id
        let admitted = admits(policy, id: id, principal, in: snapshot, groupsOf: groupsOf)
        let operationAllowed = policy.operations?.contains(task.operation.name) ?? true
        let sealingMissing =
            policy.requireSealedResults && (principal.intake == .spool || principal.intake == .queue)
            && task.sealTo == nil
        if admitted != true {
            // Retryable only when the database could not answer and nothing else would refuse
            // the task (which a principal not known to be admitted is not told).
            let retryable = admitted == nil && operationAllowed && !sealingMissing
            var rejection = refuse(
                .notAuthorized,
                notAdmitted(id, principal, operation: operation, known: admitted != nil, retryable: retryable))
            rejection.retryable = retryable
            return rejection
        }
        if !operationAllowed, let operations = policy.operations {
            return refuse(
                .notAuthorized,
                "connector \(id) does not allow \(operation) (requested by \(principal)); it allows "
                    + (operations.isEmpty ? "no operation" : operations.map(\.rawValue).joined(separator: ", ")))
        }
        if sealingMissing {
            return refuse(
                .sealingRequired,
                "connector \(id) requires sealed results: a \(principal.intake == .queue ? "queue" : "spool") task must carry sealTo (\(operation) requested by "
                    + "\(principal))")
        }
        return nil
    }

    /// Counts one task (whatever its outcome) for the configured connector it named, for the
    /// status object. Inline connector objects are not counted, even with a configured
    /// connector's id: their ids come from producers (a map keyed by them could grow without
    /// bound, and one named like a configured connector would be counted as its traffic).
    func count(namedConnectorID connectorID: String?) {
        guard let connectorID else { return }
        counts.withLock { counts in
            guard state.withLock({ NamedConnector.configured(connectorID, in: $0.connectors) != nil }) else { return }
            counts[connectorID, default: 0] += 1
        }
    }

    /// Tasks per named connector id since the start: every connector in force, 0 for one no task
    /// has named yet (a monitor reading a missing key as "not loaded" is not misled).
    public var taskCounts: [String: Int] {
        counts.withLock { counts in
            var all = counts
            for id in state.withLock({ Array($0.connectors.keys) }) where all[id] == nil { all[id] = 0 }
            return all
        }
    }
}
