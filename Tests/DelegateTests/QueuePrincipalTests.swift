import Foundation
import Testing

@testable import Delegate

/// SQS tasks' principal, their queue URL (sections 9, 12 and 13).
@Suite struct QueuePrincipalTests {
    static let queue = "https://sqs.us-east-1.amazonaws.com/123456789012/tasks"

    func task(_ named: NamedConnector, sealTo: Bool = false) throws -> DelegateTask {
        try DelegateTask.decode(
            ConnectorPolicyTests.task(sealTo: sealTo), defaultID: nil, connectors: [named.id: named])
    }

    @Test func allowedQueuesAdmitOnlyTheQueuesListed() throws {
        let listed = ConnectorPolicyTests.named("prod", ConnectorPolicy(allowedQueues: [Self.queue]))
        let catalog = ConnectorCatalog(connectors: ["prod": listed])
        let task = try task(listed)
        #expect(catalog.refusal(of: task, by: .sqsQueue(Self.queue)) == nil)
        let other = try #require(catalog.refusal(of: task, by: .sqsQueue(Self.queue + "-other")))
        #expect(other.code == .notAuthorized)
        #expect(other.message.contains("queue \(Self.queue)-other"))
        // Local principals are not queues (root aside, as for every restricted connector).
        #expect(catalog.refusal(of: task, by: ConnectorPolicyTests.nobody)?.code == .notAuthorized)
    }

    @Test func aQueueIsNoLocalUser() throws {
        // Users listed: a queue is not one of them, whatever its placeholder uid.
        let usersOnly = ConnectorPolicyTests.named("prod", ConnectorPolicy(allowedUsers: ["root", "\(UInt32.max)"]))
        let catalog = ConnectorCatalog(connectors: ["prod": usersOnly])
        #expect(catalog.refusal(of: try task(usersOnly), by: .sqsQueue(Self.queue))?.code == .notAuthorized)
        // Nothing listed: every principal that reaches the delegate, queues included.
        let open = ConnectorPolicyTests.named("prod")
        #expect(ConnectorCatalog(connectors: ["prod": open]).refusal(of: try task(open), by: .sqsQueue(Self.queue)) == nil)
    }

    @Test func queueTasksAreHeldToRequireSealedResults() throws {
        let sealed = ConnectorPolicyTests.named("prod", ConnectorPolicy(requireSealedResults: true))
        let catalog = ConnectorCatalog(connectors: ["prod": sealed])
        let refusal = try #require(catalog.refusal(of: try task(sealed), by: .sqsQueue(Self.queue)))
        #expect(refusal.code == .sealingRequired)
        #expect(refusal.message.contains("queue task must carry sealTo"))
        #expect(catalog.refusal(of: try task(sealed, sealTo: true), by: .sqsQueue(Self.queue)) == nil)
    }

    @Test func replyToMustBeAQueueURL() throws {
        let open = ConnectorPolicyTests.named("prod")
        var object = try #require(try JSONSerialization.jsonObject(with: ConnectorPolicyTests.task()) as? [String: Any])
        object["replyTo"] = Self.queue
        let task = try DelegateTask.decode(
            try JSONSerialization.data(withJSONObject: object), defaultID: nil, connectors: ["prod": open])
        #expect(task.replyTo == Self.queue)
        object["replyTo"] = "not a url"
        let data = try JSONSerialization.data(withJSONObject: object)
        #expect(throws: TaskRejection.self) { try DelegateTask.decode(data, defaultID: nil, connectors: ["prod": open]) }
    }
}
