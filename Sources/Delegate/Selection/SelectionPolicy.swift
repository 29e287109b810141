import FoundationEssentials
import AWSCore

/// Decides whether a task is meant for this delegate (docs/INTERFACE.md section 3, delegateSelectors).
///
/// Every selector must be one of the delegate's tags or its name, compared after trimming and
/// case-insensitively; a task without selectors runs only where untagged tasks are accepted.
public struct SelectionPolicy: Sendable, Equatable {
    public let name: String
    public let tags: [String]
    public let acceptUntagged: Bool
    /// Name and tags, trimmed and lower-cased, for matching.
    private let normalizedTags: Set<String>

    public init(name: String, tags: [String], acceptUntagged: Bool) {
        self.name = name
        self.tags = tags
        self.acceptUntagged = acceptUntagged
        var normalized = Set(tags.map(Self.normalize))
        normalized.insert(Self.normalize(name))
        normalized.remove("")
        self.normalizedTags = normalized
    }

    /// The policy of a configured delegate.
    public init(configuration: DelegateConfiguration) {
        self.init(
            name: configuration.delegate.name, tags: configuration.delegate.tags,
            acceptUntagged: configuration.delegate.acceptUntagged)
    }

    /// Whether a task with `selectors` runs here. Selectors that make the task invalid
    /// (`Connector.selectorProblem(_:)`), which its decoding says (`InvalidTask`), are taken up
    /// here, as by any delegate, so that whichever intake the task came by answers it with that
    /// refusal, rather than leaving it in `new/` or on its queue for a delegate that could never
    /// match it.
    public func matches(_ selectors: [String]) -> SelectionDecision {
        if Connector.selectorProblem(selectors) != nil { return .accept }
        var missing: [String] = []
        var seen: Set<String> = []
        var any = false
        for selector in selectors {
            let trimmed = selector.trimmingWhitespace()
            any = true
            let key = trimmed.lowercased()
            if !normalizedTags.contains(key), seen.insert(key).inserted {
                missing.append(trimmed)
            }
        }
        if !any {
            return acceptUntagged ? .accept : .reject(missing: [])
        }
        return missing.isEmpty ? .accept : .reject(missing: missing)
    }

    private static func normalize(_ tag: String) -> String {
        tag.trimmingWhitespace().lowercased()
    }
}

/// The outcome of `SelectionPolicy.matches`.
public enum SelectionDecision: Sendable, Equatable {
    case accept
    /// Not for this delegate. `missing` lists the selectors it lacks (trimmed, as the task
    /// spelled them); it is empty when the task has no selectors and untagged tasks are refused.
    case reject(missing: [String])

    public var isAccepted: Bool { self == .accept }

    /// A message for the `NotSelected` result on the socket.
    public func message(delegateName: String) -> String {
        switch self {
        case .accept:
            return "delegate \(delegateName) matches the task's selectors"
        case .reject(let missing) where missing.isEmpty:
            return "the task has no delegate selectors and delegate \(delegateName) does not accept untagged tasks"
        case .reject(let missing):
            return "delegate \(delegateName) lacks the selector\(missing.count == 1 ? "" : "s") "
                + missing.joined(separator: ", ")
        }
    }
}
