import Testing

@testable import Delegate

/// `ConfigurationKey.all` is the one list of the fixed sections' keys; sections and validation
/// derive from it.
@Suite struct ConfigurationKeyTableTests {
    @Test func eachKeyIsListedOnceAndTheSectionsComeFromTheList() {
        let labels = ConfigurationKey.all.map(\.label)
        #expect(Set(labels).count == labels.count)
        #expect(ConfigurationKey.sections == ["delegate", "queue", "aws", "identity", "credentials", "sqs"])
        #expect(ConfigurationKey.find(section: "credentials", name: "directory") != nil)
        #expect(ConfigurationKey.find(section: "credentials", name: "dir") == nil, "no key is matched by a fallback")
    }

    @Test func onlyTheSocketPeerListsTakeNumericIDs() {
        let numeric = ConfigurationKey.all.filter(\.acceptsNumericIDs).map(\.dottedName)
        #expect(numeric == ["queue.socket_allowed_groups", "queue.socket_allowed_users"])
    }

    /// An invalid value for a few keys of each kind, by label.
    static func breaking(_ label: String, in configuration: inout DelegateConfiguration) {
        switch label {
        case "[delegate] name": configuration.delegate.name = "a/b"
        case "[queue] credentials_socket_path": configuration.queue.credentialsSocketPath = "relative"
        case "[queue] socket_allowed_users": configuration.queue.socketAllowedUsers = ["ok", ""]
        case "[aws] max_attempts": configuration.aws.maxAttempts = 0
        case "[aws] request_timeout_seconds": configuration.aws.requestTimeoutSeconds = -1
        case "[identity] sources": configuration.identity.sources = [.imds, .imds]
        case "[sqs] wait_seconds": configuration.sqs.waitSeconds = 21
        case "[sqs] result_queue_url": configuration.sqs.resultQueueURL = "not a url"
        default: Issue.record("no edit for \(label)")
        }
    }

    /// `validate()` of an edited value names the key, as `load` would.
    @Test(arguments: [
        "[delegate] name", "[queue] credentials_socket_path", "[queue] socket_allowed_users", "[aws] max_attempts",
        "[aws] request_timeout_seconds", "[identity] sources", "[sqs] wait_seconds", "[sqs] result_queue_url",
    ])
    func anEditedValueIsRefusedNamingItsKey(label: String) {
        var configuration = DelegateConfiguration(hostName: "table")
        #expect(throws: Never.self) { try configuration.validate() }
        Self.breaking(label, in: &configuration)
        #expect { try configuration.validate() } throws: { error in
            (error as? ConfigurationError)?.key == label
        }
    }
}
