import SafeText
import AWSCredentials

extension NamedConnector {
    /// The connector as a `[connectors.<id>]` table for `check-config`, every key spelled out and a
    /// comment saying where it was declared. Credentials are only ever refs and key ids, so nothing
    /// printed is a secret; loading the table gives back an equal connector.
    func renderTOML() -> [String] {
        let connector = self.connector
        var lines = [
            // A control character (a line break in a --config path) would end the comment.
            "# from " + ShownText.escaped(origin),
            "[connectors.\(DelegateConfiguration.tomlString(id))]",
            "region = \(DelegateConfiguration.tomlString(connector.region))",
            "secret_name_prefix = \(DelegateConfiguration.tomlString(connector.secretNamePrefix))",
            "delegate_selectors = \(DelegateConfiguration.tomlArray(connector.delegateSelectors))",
            "credentials = \(Self.renderCredentials(connector.credentials))",
        ]
        if let operations = policy.operations {
            lines.append("operations = \(DelegateConfiguration.tomlArray(operations.map(\.rawValue)))")
        } else {
            lines.append("# operations: every operation")
        }
        if policy.restrictsPrincipals {
            lines += [
                "allowed_users = \(DelegateConfiguration.tomlArray(policy.allowedUsers))",
                "allowed_groups = \(DelegateConfiguration.tomlArray(policy.allowedGroups))",
                "allowed_units = \(DelegateConfiguration.tomlArray(policy.allowedUnits))",
                "allowed_queues = \(DelegateConfiguration.tomlArray(policy.allowedQueues))",
            ]
        } else {
            // An empty list given restricts (root only): an open connector shows none.
            lines.append("# allowed_users, allowed_groups, allowed_units, allowed_queues: none set, everyone may use it")
        }
        lines += [
            "require_sealed_results = \(policy.requireSealedResults)",
            "cache_ttl_seconds = \(policy.cacheTTLSeconds)",
            "cache_stale_seconds = \(policy.cacheStaleSeconds)",
        ]
        return lines
    }

    private static func renderCredentials(_ credentials: CredentialSpec) -> String {
        var pairs: [(String, String)]
        switch credentials {
        case .instanceRole:
            pairs = [("type", "\"instanceRole\"")]
        case .accessKey(let key):
            pairs = [("type", "\"accessKey\"")]
            switch key.accessKeyID {
            case .plain(let id): pairs.append(("access_key_id", DelegateConfiguration.tomlString(id)))
            case .ref(let ref): pairs.append(("access_key_id_ref", DelegateConfiguration.tomlString(ref)))
            }
            pairs.append(("secret_access_key_ref", DelegateConfiguration.tomlString(key.secretAccessKeyRef)))
            if let token = key.sessionTokenRef {
                pairs.append(("session_token_ref", DelegateConfiguration.tomlString(token)))
            }
        case .assumeRole(let role):
            pairs = [("type", "\"assumeRole\""), ("role_arn", DelegateConfiguration.tomlString(role.roleARN))]
            if let external = role.externalID {
                pairs.append(("external_id", DelegateConfiguration.tomlString(external)))
            }
            pairs.append(("duration_seconds", String(role.durationSeconds)))
        }
        return "{ " + pairs.map { "\($0.0) = \($0.1)" }.joined(separator: ", ") + " }"
    }
}
