/// Outputs that carry secret material describe themselves without it, as `SecretValue` and
/// `Credentials` do, so that interpolating one into a log line or an error can never leak it.
extension SecretsManagerClient.GetSecretValueOutput: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String {
        let value = self.value.map { "\($0)" } ?? "none"
        return "GetSecretValueOutput(arn: \(arn), versionId: \(versionId ?? "-"), value: \(value))"
    }

    public var debugDescription: String { description }
}

extension SecretsManagerClient.SecretField: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String {
        "SecretField(\(output), fieldValue: <redacted \(fieldValue.utf8.count) bytes>)"
    }

    public var debugDescription: String { description }
}

extension SecretsManagerClient.GetRandomPasswordOutput: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String {
        "GetRandomPasswordOutput(randomPassword: <redacted \(randomPassword.utf8.count) bytes>)"
    }

    public var debugDescription: String { description }
}
