import JSON

/// The little of a task needed to decide whether it is for this delegate, read without
/// validating the rest, so a spool scan can leave other delegates' tasks alone cheaply.
public struct TaskEnvelope: Sendable, Equatable {
    public let id: String?
    public let delegateSelectors: [String]
    /// The configured connector the task names (`"connector": "<id>"`); its selectors are the
    /// host's, so `delegateSelectors` is empty then.
    public let connectorName: String?

    /// `id` if it is a valid task id: the one to log (`id` is the producer's text, unchecked).
    public var validID: String? {
        id.flatMap { DelegateTask.isValidID($0) ? $0 : nil }
    }

    public init(id: String?, delegateSelectors: [String], connectorName: String? = nil) {
        self.id = id
        self.delegateSelectors = delegateSelectors
        self.connectorName = connectorName
    }

    /// Reads `id` and `connector.delegateSelectors` (or the connector's name) from a parsed task
    /// (``TaskDocument/envelope``). Nil when even that much cannot be read (not an object, wrong
    /// types): the task is then invalid for every delegate and `DelegateTask.decode` says why.
    /// The parse is the task decoder's own, so the two never disagree on what is JSON.
    init?(peeking parsed: JSONParser.Parsed) {
        guard case .object(let task) = parsed.value else { return nil }
        // Read by the rules the decoder reads them by (JSONValue's member readers).
        do throws(JSONValue.Mismatch) {
            let id = try JSONValue.optionalString(task["id"])
            switch task["connector"] {
            case .string(let name)?:
                self.init(id: id, delegateSelectors: [], connectorName: name)
            case .object(let connector)?:
                let selectors = try JSONValue.optionalStrings(connector["delegateSelectors"]) ?? []
                self.init(id: id, delegateSelectors: selectors)
            default:
                return nil
            }
        } catch {
            return nil
        }
    }
}
