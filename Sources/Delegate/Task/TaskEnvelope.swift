import Foundation

/// The little of a task needed to decide whether it is for this delegate, read without
/// validating the rest, so a spool scan can leave other delegates' tasks alone cheaply.
public struct TaskEnvelope: Sendable, Equatable {
    public let id: String?
    public let delegateSelectors: [String]

    public init(id: String?, delegateSelectors: [String]) {
        self.id = id
        self.delegateSelectors = delegateSelectors
    }

    private struct Peeked: Decodable {
        struct PeekedConnector: Decodable {
            let delegateSelectors: [String]?
        }
        let id: String?
        let connector: PeekedConnector
    }

    /// Reads `id` and `connector.delegateSelectors`. Returns nil when even that much cannot be
    /// read (too large, not JSON, wrong types): the task is then invalid for every delegate and
    /// `DelegateTask.decode` says why.
    public static func peek(_ data: Data) -> TaskEnvelope? {
        guard data.count <= DelegateTask.maximumSize,
            let peeked = try? JSONDecoder().decode(Peeked.self, from: data)
        else { return nil }
        return TaskEnvelope(id: peeked.id, delegateSelectors: peeked.connector.delegateSelectors ?? [])
    }
}
