import AWSCredentials
import DelegateClient
import Foundation
import JSON
import Synchronization
import TaskQueue
import TestSupport
import Testing

@testable import Delegate

/// Tasks that name a configured connector, and who may use it (section 9).
@Suite struct ConnectorPolicyTests {
    static func named(_ id: String = "prod", _ policy: ConnectorPolicy = ConnectorPolicy()) -> NamedConnector {
        NamedConnector(
            connector: Connector(
                id: id, region: "us-east-1", secretNamePrefix: "devops", delegateSelectors: ["prod"],
                credentials: .instanceRole),
            policy: policy, origin: "[connectors.\(id)]")
    }

    static func task(
        connector: JSONValue = "prod", operation: String = "getSecretValue", params: JSONValue = ["name": "db"],
        sealTo: Bool = false
    ) -> Data {
        var fields: JSONObject = [
            "id": "t-1", "connector": connector, "operation": .string(operation), "params": params,
        ]
        // A valid X25519 public key (RFC 7748 section 6.1, Bob's).
        if sealTo { fields["sealTo"] = "3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08=" }
        return Data(JSONValue.object(fields).jsonText.utf8)
    }

    func decode(_ data: Data, _ connectors: [NamedConnector]) throws(TaskRejection) -> DelegateTask {
        try DelegateTask.decode(
            data, defaultID: nil, connectors: Dictionary(uniqueKeysWithValues: connectors.map { ($0.id, $0) }))
    }

    static let nobody = TaskPrincipal(intake: .socket, uid: 65534, gid: 65534)

    @Test func aTaskNamesAConfiguredConnector() throws {
        let task = try decode(Self.task(), [Self.named()])
        #expect(task.connector == Self.named().connector)
        #expect(task.connectorPolicy == ConnectorPolicy())
        // The prefix applies as for an inline connector.
        guard let params = task.operation.params(as: GetSecretValueParams.self) else { Issue.record("wrong operation"); return }
        #expect(params.secret.fullName == "devops/db")
        // Inline connectors decode as before, with no policy.
        #expect(try DelegateTask.decode(TaskFixtures.task(), defaultID: nil).connectorPolicy == nil)
    }

    @Test func anUnknownConnectorIsAnInvalidTaskNamingIt() throws {
        let error = #expect(throws: TaskRejection.self) { try decode(Self.task(connector: "staging"), [Self.named()]) }
        #expect(error?.code == .invalidTask)
        #expect(error?.message.contains("staging") == true)
        #expect(error?.connectorID == "staging")
        #expect(error?.taskID == "t-1")
        let none = #expect(throws: TaskRejection.self) { try decode(Self.task(connector: "prod"), []) }
        #expect(none?.message.contains("prod") == true)
        let badType = #expect(throws: TaskRejection.self) { try decode(Self.task(connector: 7), [Self.named()]) }
        #expect(badType?.code == .invalidTask)
        // Ids are compared by their bytes: the Kelvin sign is "K" to a Swift dictionary, not here.
        let kelvin = #expect(throws: TaskRejection.self) {
            try decode(Self.task(connector: "\u{212A}afka"), [Self.named("Kafka")])
        }
        #expect(kelvin?.code == .invalidTask)
        #expect(try decode(Self.task(connector: "Kafka"), [Self.named("Kafka")]).connector.id == "Kafka")
    }

    /// The catalog's own lookups compare ids by their bytes too: a lookalike of a restricted
    /// connector's id (the Kelvin sign for "K") is an unknown connector (`InvalidTask`), not that
    /// connector refusing the peer; it is not counted under either spelling, and the spool and SQS
    /// match no selectors of a connector to it (claimed and rejected, as an unknown id is).
    @Test func aLookalikeOfARestrictedConnectorsIdIsUnknownEverywhere() throws {
        let kafka = Self.named("Kafka", ConnectorPolicy(allowedUsers: ["root"]))
        let catalog = ConnectorCatalog(connectors: ["Kafka": kafka])
        let lookalike = "\u{212A}afka"
        let rejection = #expect(throws: TaskRejection.self) {
            try catalog.admit(TaskDocument(Self.task(connector: .string(lookalike))), defaultID: nil, by: Self.nobody)
        }
        #expect(rejection?.code == .invalidTask, "\(String(describing: rejection))")
        #expect(rejection?.message.contains("is not configured on this delegate") == true)
        catalog.count(namedConnectorID: rejection?.connectorID)
        catalog.count(namedConnectorID: lookalike)
        catalog.count(namedConnectorID: "Kafka")
        let counts = catalog.taskCounts
        #expect(counts.count == 1 && counts.keys.first?.utf8.elementsEqual("Kafka".utf8) == true && counts["Kafka"] == 1)
        #expect(catalog.selectors(of: lookalike) == nil)
        #expect(catalog.selectors(of: "Kafka") == ["prod"])
        let envelope = try #require(TaskDocument(Self.task(connector: .string(lookalike))).envelope)
        #expect(catalog.selectors(for: envelope) == nil)
    }

    @Test func theSpoolPeeksANamedConnector() throws {
        let envelope = try #require(TaskDocument(Self.task()).envelope)
        #expect(envelope.connectorName == "prod")
        #expect(envelope.id == "t-1")
        let inline = try #require(TaskDocument(TaskFixtures.task()).envelope)
        #expect(inline.connectorName == nil)
        #expect(inline.delegateSelectors == ["prod"])
    }

    @Test func inlineConnectorsCanBeTurnedOff() throws {
        let inline = try DelegateTask.decode(TaskFixtures.task(), defaultID: nil)
        #expect(ConnectorCatalog(allowInline: true).refusal(of: inline, by: Self.nobody) == nil)
        let refusal = try #require(ConnectorCatalog(allowInline: false).refusal(of: inline, by: Self.nobody))
        #expect(refusal.code == .notAuthorized)
        #expect(refusal.message.contains("inline connectors are turned off"))
        #expect(refusal.message.contains("allow_inline_connectors"))
        // Named connectors still work.
        let named = try decode(Self.task(), [Self.named()])
        #expect(
            ConnectorCatalog(connectors: ["prod": Self.named()], allowInline: false).refusal(of: named, by: Self.nobody)
                == nil)
    }

    /// A task naming a connector this delegate does not have says where connectors come from
    /// (a misnamed drop-in, `ci-read.conf`, is the usual cause); with none configured, that.
    @Test func anUnknownConnectorSaysWhereConnectorsAreDeclared() throws {
        let unknown = #expect(throws: TaskRejection.self) { try decode(Self.task(connector: "ci-read"), [Self.named()]) }
        #expect(
            unknown?.message == "connector ci-read is not configured on this delegate (a connector is a "
                + "[connectors.<id>] table, or a drop-in <id>.toml in connectors_dir, connectors.d by default; "
                + "check-config lists those loaded)")
        let none = #expect(throws: TaskRejection.self) { try decode(Self.task(connector: "ci-read"), []) }
        #expect(none?.message == "connector ci-read is not configured on this delegate (it has no named connectors)")
    }

    /// An invalid inline task where inline connectors are off is refused for the connector first
    /// (section 9's order), not for its region: its producer would mend that only to learn this.
    @Test func anInvalidInlineTaskIsRefusedForInlineConnectorsBeingOff() throws {
        let body = #"{"id":"t","connector":{"id":"x","region":"nowhere","credentials":{"type":"instanceRole"}},"#
            + #""operation":"getSecretValue","params":{"name":"a"}}"#
        for allowInline in [false, true] {
            let rejection = #expect(throws: TaskRejection.self) {
                try ConnectorCatalog(allowInline: allowInline).admit(
                    TaskDocument(Data(body.utf8)), defaultID: nil, by: Self.nobody)
            }
            if allowInline {
                #expect(rejection?.code == .invalidTask, "\(String(describing: rejection))")
            } else {
                #expect(rejection?.code == .notAuthorized, "\(String(describing: rejection))")
                #expect(rejection?.message.contains("inline connectors are turned off") == true)
                #expect(rejection?.message.contains("nowhere") == false)
                #expect(rejection?.taskID == "t" && rejection?.operation == "getSecretValue")
            }
        }
    }

    @Test func operationsOutsideTheListAreNotAuthorized() throws {
        let readOnly = Self.named("prod", ConnectorPolicy(operations: [.getSecretValue, .describeSecret]))
        let catalog = ConnectorCatalog(connectors: ["prod": readOnly])
        let read = try decode(Self.task(), [readOnly])
        #expect(catalog.refusal(of: read, by: Self.nobody) == nil)
        let write = try decode(
            Self.task(operation: "createSecret", params: ["name": "db", "secretString": "hunter2"]), [readOnly])
        let refusal = try #require(catalog.refusal(of: write, by: Self.nobody))
        #expect(refusal.code == .notAuthorized)
        #expect(refusal.message.contains("prod"))
        #expect(refusal.message.contains("createSecret"))
        #expect(refusal.message.contains("uid 65534"))
        #expect(refusal.message.contains("(nobody)"))
        #expect(!refusal.message.contains("hunter2"))
        #expect(refusal.connectorID == "prod")
        #expect(refusal.operation == "createSecret")
        // An empty list allows nothing.
        let none = Self.named("prod", ConnectorPolicy(operations: []))
        let noneCatalog = ConnectorCatalog(connectors: ["prod": none])
        #expect(
            #expect(throws: TaskRejection.self) {
                try noneCatalog.admit(TaskDocument(Self.task()), defaultID: nil, by: Self.nobody)
            }?.code == .notAuthorized)
    }

    /// The unit and queue lists are looked up as sets, which follow the lists when they change.
    @Test func unitAndQueueListsAreLookedUpAsTheyStandNow() {
        var policy = ConnectorPolicy(allowedUnits: ["a.service"], allowedQueues: ["https://q/1"])
        #expect(policy.lists(unit: "a.service") && policy.lists(queue: "https://q/1"))
        #expect(!policy.lists(unit: "b.service") && !policy.lists(queue: "https://q/2"))
        policy.allowedUnits = (0..<5000).map { "unit\($0).service" }
        policy.allowedQueues.append("https://q/2")
        #expect(!policy.lists(unit: "a.service"))
        #expect(policy.lists(unit: "unit4999.service") && policy.lists(queue: "https://q/2"))
    }

    /// Names in messages and the origin in check-config's comment are shown as `ShownText` shows
    /// them: a C1 code or a bidirectional override from a task or a path is escaped, and a line
    /// break cannot end the comment.
    @Test func quotedValuesAndOriginsShowControlsEscaped() {
        #expect(DelegateConfiguration.quoted("a\u{9B}b\u{202E}c\"d\n") == #""a\u{9b}b\u{202e}c\"d\u{a}""#)
        let connector = Self.named("prod")
        let rendered = NamedConnector(connector: connector.connector, policy: connector.policy, origin: "/etc/x\ny\u{1B}.toml")
            .renderTOML()
        #expect(rendered.first == #"# from /etc/x\u{a}y\u{1b}.toml"#, "\(rendered)")
    }

    @Test func principalsOutsideTheListsAreNotAuthorized() throws {
        let rootOnly = Self.named("prod", ConnectorPolicy(allowedUsers: ["root"]))
        let catalog = ConnectorCatalog(connectors: ["prod": rootOnly])
        let task = try decode(Self.task(), [rootOnly])
        let refusal = try #require(catalog.refusal(of: task, by: Self.nobody))
        #expect(refusal.code == .notAuthorized)
        #expect(refusal.message.contains("prod") && refusal.message.contains("getSecretValue"))
        #expect(refusal.message.contains("uid 65534 (nobody)"))
        #expect(catalog.refusal(of: task, by: TaskPrincipal(intake: .spool, uid: 0)) == nil)

        // By numeric uid, and the spool's owner the same way.
        let byUID = Self.named("prod", ConnectorPolicy(allowedUsers: ["65534"]))
        let uidCatalog = ConnectorCatalog(connectors: ["prod": byUID])
        #expect(uidCatalog.refusal(of: task, by: Self.nobody) == nil)
        #expect(uidCatalog.refusal(of: task, by: .spoolFile(ownerUID: 65534)) == nil)
        #expect(uidCatalog.refusal(of: task, by: .spoolFile(ownerUID: 1234))?.code == .notAuthorized)

        // By group: the peer's gid or the user's groups.
        let byGroup = Self.named("prod", ConnectorPolicy(allowedGroups: ["65534"]))
        let groupCatalog = ConnectorCatalog(connectors: ["prod": byGroup])
        #expect(groupCatalog.refusal(of: task, by: Self.nobody) == nil)
        #expect(groupCatalog.refusal(of: task, by: TaskPrincipal(intake: .socket, uid: 4321, gid: 4321)) != nil)
        // A socket peer's groups are those it holds as the kernel reported them: a supplementary
        // group admits it, and a group only the user database gives it (nobody's nogroup) does not.
        let held = TaskPrincipal.socketPeer(PeerCredentials(pid: 1, uid: 4321, gid: 4321, groups: [65534]))
        #expect(groupCatalog.refusal(of: task, by: held) == nil)
        let dropped = TaskPrincipal.socketPeer(PeerCredentials(pid: 1, uid: 65534, gid: 4321, groups: []))
        #expect(groupCatalog.refusal(of: task, by: dropped)?.code == .notAuthorized)
        #expect(groupCatalog.refusal(of: task, by: .spoolFile(ownerUID: 65534)) == nil)

        // An unknown name matches nobody (never everybody); root still passes.
        let unknown = Self.named("prod", ConnectorPolicy(allowedUsers: ["no-such-user-here"]))
        let unknownCatalog = ConnectorCatalog()
        let notices = unknownCatalog.update(connectors: ["prod": unknown], allowInline: true, credentialMappings: [])
        #expect(notices.count == 1)
        #expect(notices.first?.contains("[connectors.prod] allowed_users") == true)
        #expect(notices.first?.contains("no-such-user-here") == true)
        #expect(unknownCatalog.refusal(of: task, by: Self.nobody)?.code == .notAuthorized)
        #expect(unknownCatalog.refusal(of: task, by: TaskPrincipal(intake: .socket, uid: 0, gid: 0)) == nil)

        // Units or queues alone also restrict local principals.
        let unitsOnly = Self.named("prod", ConnectorPolicy(allowedUnits: ["app.service"]))
        #expect(ConnectorCatalog(connectors: ["prod": unitsOnly]).refusal(of: task, by: Self.nobody) != nil)
    }

    /// A principal the connector does not admit is refused as such, whatever else is wrong with
    /// the task: it learns nothing of its checks (a name outside the prefix would quote it).
    @Test func aPrincipalNotAdmittedIsRefusedBeforeTheTasksOwnChecks() throws {
        let rootOnly = Self.named("prod", ConnectorPolicy(allowedUsers: ["root"]))
        let catalog = ConnectorCatalog(connectors: ["prod": rootOnly])
        let outside = Self.task(params: ["name": "arn:aws:secretsmanager:us-east-1:123456789012:secret:other/x"])
        let refused = #expect(throws: TaskRejection.self) {
            try catalog.admit(TaskDocument(outside), defaultID: nil, by: Self.nobody)
        }
        #expect(refused?.code == .notAuthorized)
        #expect(refused?.message.contains("devops") == false, "\(refused?.message ?? "")")
        #expect(refused?.taskID == "t-1" && refused?.connectorID == "prod" && refused?.connectorIsNamed == true)
        // Root, admitted, is told what is wrong.
        let wrong = #expect(throws: TaskRejection.self) {
            try catalog.admit(TaskDocument(outside), defaultID: nil, by: TaskPrincipal(intake: .socket, uid: 0, gid: 0))
        }
        #expect(wrong?.code == .invalidSecretName)
    }

    /// A spool task's owner is admitted by a group through the user database; when that cannot
    /// answer (descriptors exhausted, a directory service down) the task is refused as
    /// retryable, saying why, not as a principal the connector does not admit, unless the
    /// connector would refuse it anyway (an operation it does not allow, a task invalid in
    /// itself); a principal it admits by name needs no database.
    @Test func anOwnerWhoseGroupsCannotBeListedIsRefusedAsRetryable() throws {
        let groupOnly = Self.named("prod", ConnectorPolicy(allowedUsers: ["4243"], allowedGroups: ["4242"]))
        let owner = TaskPrincipal.spoolFile(ownerUID: 4244)
        let failing = ConnectorCatalog(connectors: ["prod": groupOnly], groupsOf: { _ in nil })
        let unknown = #expect(throws: TaskRejection.self) {
            try failing.admit(TaskDocument(Self.task()), defaultID: nil, by: owner)
        }
        #expect(unknown?.code == .notAuthorized)
        #expect(unknown?.retryable == true)
        #expect(unknown?.message.contains("the user database could not list those of uid 4244") == true, "\(unknown?.message ?? "")")
        #expect(unknown?.message.contains("send it again") == true, "\(unknown?.message ?? "")")
        let result = TaskResult.rejected(try #require(unknown), delegate: "d", receivedAt: Date(), finishedAt: Date())
        #expect(result.error?.retryable == true)
        // Before the task's own checks, too, but a task invalid in itself is not worth sending again.
        let outside = Self.task(params: ["name": "arn:aws:secretsmanager:us-east-1:123456789012:secret:other/x"])
        let early = #expect(throws: TaskRejection.self) {
            try failing.admit(TaskDocument(outside), defaultID: nil, by: owner)
        }
        #expect(early?.code == .notAuthorized && early?.retryable == false)
        #expect(early?.message.contains("send it again") == false, "\(early?.message ?? "")")
        // Nor is one the connector would refuse for its operation (not told to the principal).
        let readOnly = Self.named(
            "prod", ConnectorPolicy(operations: [.getSecretValue], allowedGroups: ["4242"]))
        let write = Self.task(operation: "describeSecret")
        let refusedAnyway = try #require(
            ConnectorCatalog(connectors: ["prod": readOnly], groupsOf: { _ in nil }).refusal(
                of: try decode(write, [readOnly]), by: owner))
        #expect(refusedAnyway.code == .notAuthorized && refusedAnyway.retryable == false)
        #expect(!refusedAnyway.message.contains("allows"), "\(refusedAnyway.message)")
        #expect(try failing.admit(TaskDocument(Self.task()), defaultID: nil, by: .spoolFile(ownerUID: 4243)).id == "t-1")
        // The database's answer decides when it gives one.
        let member = ConnectorCatalog(connectors: ["prod": groupOnly], groupsOf: { _ in [4242] })
        #expect(try member.admit(TaskDocument(Self.task()), defaultID: nil, by: owner).id == "t-1")
        let stranger = ConnectorCatalog(connectors: ["prod": groupOnly], groupsOf: { _ in [7] })
        let refused = #expect(throws: TaskRejection.self) {
            try stranger.admit(TaskDocument(Self.task()), defaultID: nil, by: owner)
        }
        #expect(refused?.code == .notAuthorized && refused?.retryable == false)
    }

    /// The catalog's notices reach the journal as warnings with an event of their own each, which
    /// README's event list names.
    @Test func theCatalogsNoticesAreLoggedWithTheirEvents() {
        let listed = Self.named("prod", ConnectorPolicy(allowedUsers: ["deploy"]))
        let catalog = ConnectorCatalog(lookUpUser: { _ in .absent }, lookUpGroup: { _ in .absent })
        let prepared = catalog.prepare(connectors: ["prod": listed], allowInline: true, credentialMappings: [])
        catalog.install(prepared)
        let recorder = LogRecorder()
        DelegateDaemon.Components.logNotices(of: prepared, in: catalog, logger: recorder.logger())
        let records = recorder.records
        #expect(records.contains { $0.hasPrefix("warning") && $0.contains("matches nobody") && $0.contains("event=connector-notice") }, "\(records)")
        #expect(records.contains { $0.hasPrefix("warning") && $0.contains("allow_inline_connectors") && $0.contains("event=inline-connectors-allowed") }, "\(records)")
    }

    /// A name the user database could not look up at a start or reload is said to be that, not
    /// a name no one has: it matches no one until the next reload, which looks it up again.
    @Test func aNameTheDatabaseCouldNotLookUpIsSaidToBeSo() {
        let listed = Self.named("prod", ConnectorPolicy(allowedUsers: ["deploy"], allowedGroups: ["app", "ops"]))
        let catalog = ConnectorCatalog(
            lookUpUser: { _ in .unavailable(errno: EIO) },
            lookUpGroup: { $0 == "app" ? .absent : .unavailable(errno: EMFILE) })
        let notices = catalog.update(connectors: ["prod": listed], allowInline: true, credentialMappings: [])
        #expect(notices.count == 3)
        #expect(notices.contains { $0.contains("user deploy could not be looked up (the user database did not answer: Input/output error); it matches nobody until a reload") }, "\(notices)")
        #expect(notices.contains { $0.contains("group ops could not be looked up (the user database did not answer: Too many open files)") }, "\(notices)")
        #expect(notices.contains { $0.contains("there is no group app on this host; it matches nobody") }, "\(notices)")
    }

    /// A name many connectors allow is looked up once per update (a reload), not once per
    /// connector: a thousand connectors allowing one LDAP group held the reload for a thousand
    /// lookups. Every connector still admits by it.
    @Test func aNameManyConnectorsAllowIsLookedUpOncePerUpdate() throws {
        let lookups = Mutex<[String: Int]>([:])
        let catalog = ConnectorCatalog(
            lookUpUser: { name in
                lookups.withLock { $0["user " + name, default: 0] += 1 }
                return .absent
            },
            lookUpGroup: { name in
                lookups.withLock { $0["group " + name, default: 0] += 1 }
                return name == "ops" ? .found(4242) : .absent
            })
        var connectors: [String: NamedConnector] = [:]
        for index in 0..<50 {
            connectors["c\(index)"] = Self.named("c\(index)", ConnectorPolicy(allowedUsers: ["deploy"], allowedGroups: ["ops"]))
        }
        catalog.update(connectors: connectors, allowInline: true, credentialMappings: [])
        #expect(lookups.withLock { $0 } == ["user deploy": 1, "group ops": 1])
        let member = TaskPrincipal(intake: .socket, uid: 5000, gid: 4242)
        for id in ["c0", "c49"] {
            #expect(try catalog.admit(TaskDocument(Self.task(connector: .string(id))), defaultID: nil, by: member).connector.id == id)
        }
        // A reload looks them up again.
        catalog.update(connectors: connectors, allowInline: true, credentialMappings: [])
        #expect(lookups.withLock { $0 } == ["user deploy": 2, "group ops": 2])
    }

    /// The role sessions the registry keeps besides the inline ones: one per role (its external
    /// id and duration too) and region among the named connectors, however many share it.
    @Test func theNamedConnectorsRolesAreCountedOncePerRoleAndRegion() {
        func named(_ id: String, region: String, _ credentials: CredentialSpec) -> NamedConnector {
            NamedConnector(
                connector: Connector(
                    id: id, region: region, secretNamePrefix: "p", delegateSelectors: [], credentials: credentials),
                policy: ConnectorPolicy(), origin: "[connectors.\(id)]")
        }
        let role = CredentialSpec.assumeRole(
            AssumeRoleCredentials(roleARN: "arn:aws:iam::123456789012:role/app", externalID: nil, durationSeconds: 3600))
        let longer = CredentialSpec.assumeRole(
            AssumeRoleCredentials(roleARN: "arn:aws:iam::123456789012:role/app", externalID: nil, durationSeconds: 7200))
        var configuration = DelegateConfiguration(hostName: "h")
        configuration.connectors = [
            "a": named("a", region: "us-east-1", role), "b": named("b", region: "us-east-1", role),
            "c": named("c", region: "eu-west-1", role), "d": named("d", region: "us-east-1", longer),
            "e": named("e", region: "us-east-1", .instanceRole),
        ]
        #expect(DelegateDaemon.Components.namedRoles(configuration).count == 3)
    }

    @Test func sealingRequiredOnTheSpoolButNotTheSocket() throws {
        let sealed = Self.named("prod", ConnectorPolicy(requireSealedResults: true))
        let catalog = ConnectorCatalog(connectors: ["prod": sealed])
        let plain = try decode(Self.task(), [sealed])
        let refusal = try #require(catalog.refusal(of: plain, by: .spoolFile(ownerUID: 0)))
        #expect(refusal.code == .sealingRequired)
        #expect(refusal.message.contains("sealTo"))
        #expect(catalog.refusal(of: plain, by: Self.nobody) == nil)
        let withKey = try decode(Self.task(sealTo: true), [sealed])
        #expect(catalog.refusal(of: withKey, by: .spoolFile(ownerUID: 0)) == nil)
    }

    @Test func reloadReplacesTheCatalog() throws {
        let catalog = ConnectorCatalog(connectors: ["prod": Self.named()])
        #expect(try catalog.admit(TaskDocument(Self.task()), defaultID: nil, by: Self.nobody).connector.id == "prod")
        catalog.update(
            connectors: ["prod": Self.named("prod", ConnectorPolicy(allowedUsers: ["root"]))], allowInline: true, credentialMappings: [])
        let refused = #expect(throws: TaskRejection.self) {
            try catalog.admit(TaskDocument(Self.task()), defaultID: nil, by: Self.nobody)
        }
        #expect(refused?.code == .notAuthorized)
        #expect(catalog.selectors(of: "prod") == ["prod"])
        #expect(catalog.selectors(of: "other") == nil)
        catalog.update(connectors: [:], allowInline: true, credentialMappings: [])
        #expect(throws: TaskRejection.self) { try catalog.admit(TaskDocument(Self.task()), defaultID: nil, by: Self.nobody) }
        #expect(catalog.selectors(of: "prod") == nil)
    }

    /// A unit's credential request is judged under one configuration: the entry and the
    /// connectors it names are replaced together, so a reload that moves an entry to another
    /// connector and removes the old one never pairs the old entry with the new connectors.
    @Test func aCredentialEntryAndItsConnectorsComeFromOneConfiguration() {
        func line(_ mapping: CredentialMapping) -> Data {
            Data(SecretFetcher.task(id: "credential-1", connector: mapping.connector, name: mapping.secret, version: mapping.version))
        }
        let units = ConnectorPolicy(allowedUnits: ["app.service"])
        let old = CredentialMapping(unit: "app.service", id: "db", connector: "old", secret: "db")
        let catalog = ConnectorCatalog()
        catalog.update(connectors: ["old": Self.named("old", units)], allowInline: true, credentialMappings: [old])
        guard case .admitted(let first, let task) = catalog.admitCredential(unit: "app.service", id: "db", helperUID: 0, task: line)
        else { Issue.record("not admitted under the first configuration"); return }
        #expect(first == old)
        #expect(task.connector.id == "old")

        let moved = CredentialMapping(unit: "app.service", id: "db", connector: "new", secret: "db")
        catalog.update(connectors: ["new": Self.named("new", units)], allowInline: true, credentialMappings: [moved])
        guard case .admitted(let second, let again) = catalog.admitCredential(unit: "app.service", id: "db", helperUID: 0, task: line)
        else { Issue.record("not admitted after the reload"); return }
        #expect(second == moved)
        #expect(again.connector.id == "new")

        guard case .noMapping = catalog.admitCredential(unit: "app.service", id: "other", helperUID: 0, task: line) else {
            Issue.record("an unmapped id was not noMapping"); return
        }
        let star = CredentialMapping(unit: "*", id: "db", connector: "new", secret: "db")
        catalog.update(connectors: ["new": Self.named("new", units)], allowInline: true, credentialMappings: [moved, star])
        guard case .refused(let entry, let refusal) = catalog.admitCredential(unit: "b.service", id: "db", helperUID: 0, task: line)
        else { Issue.record("a unit outside allowed_units was not refused"); return }
        #expect(entry == star)
        #expect(refusal.code == .notAuthorized)
    }

    /// Task counts are kept for configured connectors only, and a connector a reload removed
    /// takes its count with it.
    @Test func taskCountsFollowTheConfiguredConnectors() {
        let catalog = ConnectorCatalog(connectors: ["prod": Self.named(), "dev": Self.named("dev")])
        catalog.count(namedConnectorID: "prod")
        catalog.count(namedConnectorID: "prod")
        catalog.count(namedConnectorID: "dev")
        catalog.count(namedConnectorID: "inline-from-a-task")
        catalog.count(namedConnectorID: nil)
        #expect(catalog.taskCounts == ["prod": 2, "dev": 1])
        catalog.update(connectors: ["prod": Self.named()], allowInline: true, credentialMappings: [])
        #expect(catalog.taskCounts == ["prod": 2])
        catalog.update(connectors: ["prod": Self.named(), "dev": Self.named("dev")], allowInline: true, credentialMappings: [])
        catalog.count(namedConnectorID: "dev")
        #expect(catalog.taskCounts == ["prod": 2, "dev": 1])
    }
}

@Suite struct InlineConnectorNoticeTests {
    @Test func restrictingConnectorsWithInlineConnectorsAllowedGiveAWarning() {
        let restricted = ConnectorPolicyTests.named("prod", ConnectorPolicy(allowedUsers: ["0"]))
        let open = ConnectorPolicyTests.named("dev")
        let catalog = ConnectorCatalog(connectors: ["prod": restricted, "dev": open], allowInline: true)
        let notice = catalog.inlineConnectorsNotice
        #expect(notice?.contains("connectors prod restrict") == true, "\(notice ?? "nil")")
        #expect(notice?.contains("allow_inline_connectors") == true)
        #expect(ConnectorCatalog(connectors: ["prod": restricted], allowInline: false).inlineConnectorsNotice == nil)
        #expect(ConnectorCatalog(connectors: ["dev": open], allowInline: true).inlineConnectorsNotice == nil)
    }
}

extension ConnectorPolicyTests {
    @Test func aUnitIsAdmittedOnlyThroughAllowedUnitsAndRootsHelperDoesNotBypassIt() throws {
        let forApp = Self.named("prod", ConnectorPolicy(allowedUnits: ["app.service"]))
        let catalog = ConnectorCatalog(connectors: ["prod": forApp])
        let task = try decode(Self.task(), [forApp])
        #expect(catalog.refusal(of: task, by: .systemdUnit("app.service", helperUID: 0)) == nil)
        let refusal = try #require(catalog.refusal(of: task, by: .systemdUnit("intruder.service", helperUID: 0)))
        #expect(refusal.code == .notAuthorized)
        #expect(refusal.message.contains("unit intruder.service"))

        // With no allowed_* list every principal may use it, units too; users-only lists refuse units.
        let open = Self.named("prod", ConnectorPolicy())
        #expect(
            ConnectorCatalog(connectors: ["prod": open]).refusal(
                of: try decode(Self.task(), [open]), by: .systemdUnit("x.service", helperUID: 0)) == nil)
        let usersOnly = Self.named("prod", ConnectorPolicy(allowedUsers: ["root"]))
        #expect(
            ConnectorCatalog(connectors: ["prod": usersOnly]).refusal(
                of: try decode(Self.task(), [usersOnly]), by: .systemdUnit("app.service", helperUID: 0)) != nil)

        // Operations still apply.
        let describeOnly = Self.named("prod", ConnectorPolicy(operations: [.describeSecret], allowedUnits: ["app.service"]))
        #expect(
            ConnectorCatalog(connectors: ["prod": describeOnly]).refusal(
                of: try decode(Self.task(), [describeOnly]), by: .systemdUnit("app.service", helperUID: 0))?.code
                == .notAuthorized)
    }
}
