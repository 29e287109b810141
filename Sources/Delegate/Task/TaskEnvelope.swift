import Foundation

/// The little of a task needed to decide whether it is for this delegate, read without
/// validating the rest, so a spool scan can leave other delegates' tasks alone cheaply.
public struct TaskEnvelope: Sendable, Equatable {
    public let id: String?
    public let delegateSelectors: [String]
    /// The configured connector the task names (`"connector": "<id>"`); its selectors are the
    /// host's, so `delegateSelectors` is empty then.
    public let connectorName: String?

    public init(id: String?, delegateSelectors: [String], connectorName: String? = nil) {
        self.id = id
        self.delegateSelectors = delegateSelectors
        self.connectorName = connectorName
    }

    private struct Peeked: Decodable {
        enum PeekedConnector: Decodable {
            case named(String)
            case inline(selectors: [String]?)

            private struct Inline: Decodable {
                let delegateSelectors: [String]?
            }

            init(from decoder: any Decoder) throws {
                if let name = try? decoder.singleValueContainer().decode(String.self) {
                    self = .named(name)
                } else {
                    self = .inline(selectors: try Inline(from: decoder).delegateSelectors)
                }
            }
        }
        let id: String?
        let connector: PeekedConnector
    }

    /// Reads `id` and `connector.delegateSelectors` (or the connector's name). Returns nil when
    /// even that much cannot be read (too large, not JSON, wrong types): the task is then invalid
    /// for every delegate and `DelegateTask.decode` says why.
    public static func peek(_ data: Data) -> TaskEnvelope? {
        guard data.count <= DelegateTask.maximumSize,
            let peeked = try? JSONDecoder().decode(Peeked.self, from: data)
        else { return nil }
        switch peeked.connector {
        case .named(let name): return TaskEnvelope(id: peeked.id, delegateSelectors: [], connectorName: name)
        case .inline(let selectors): return TaskEnvelope(id: peeked.id, delegateSelectors: selectors ?? [])
        }
    }
}
