import Foundation

/// Configuration text, credential files and task JSON for the end-to-end tests that run the
/// built daemon (`DaemonProcess`).
public enum DaemonTestFixtures {
    /// A unique delegate name, so that journal queries and results never mix tests up.
    public static func uniqueName(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// A complete configuration with the spool, socket and credentials inside `directory`.
    public static func configuration(
        name: String, tags: [String], directory: TemporaryDirectory, endpoint: String,
        concurrency: Int = 4, maxAttempts: Int = 1
    ) -> String {
        let tagList = tags.map { "\"\($0)\"" }.joined(separator: ", ")
        return """
            [delegate]
            name = "\(name)"
            tags = [\(tagList)]
            concurrency = \(concurrency)

            [queue]
            spool_dir = "\(directory.path("spool"))"
            socket_path = "\(directory.path("delegate.sock"))"
            socket_allowed_groups = []
            rescan_interval_seconds = 1

            [aws]
            secretsmanager_endpoint = "\(endpoint)"
            sts_endpoint = "\(endpoint)"
            max_attempts = \(maxAttempts)
            connect_timeout_seconds = 2
            request_timeout_seconds = 10

            [identity]
            sources = ["environment"]

            [credentials]
            directory = "\(directory.path("credentials"))"

            """
    }

    /// Writes named credentials (ref name → value) into `<directory>/credentials`, mode 0600.
    public static func writeCredentials(_ credentials: [String: String], in directory: TemporaryDirectory) throws {
        let folder = directory.path("credentials")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (name, value) in credentials {
            let path = folder + "/" + name
            try Data(value.utf8).write(to: URL(fileURLWithPath: path))
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        }
    }

    /// A task as JSON text. `credentials` is the connector's credentials object (JSON text).
    public static func task(
        id: String, operation: String, params: [String: Any]? = nil, prefix: String = "e2e",
        credentials: String = #"{"type":"accessKey","accessKeyIdRef":"key-id","secretAccessKeyRef":"secret-key"}"#
    ) throws -> String {
        var text = #"{"id":"\#(id)","operation":"\#(operation)","deadlineSeconds":30,"#
        text += #""connector":{"id":"e2eConnector","region":"us-east-1","secretNamePrefix":"\#(prefix)","credentials":\#(credentials)}"#
        if let params {
            let encoded = try JSONSerialization.data(withJSONObject: params, options: [.sortedKeys])
            text += #","params":"# + String(decoding: encoded, as: UTF8.self)
        }
        return text + "}"
    }

    /// A GetSecretValue answer as Secrets Manager gives it, for loopback servers.
    public static func getSecretValueResponse(name: String, value: String) -> ScriptedResponse {
        let body = #"{"ARN":"arn:aws:secretsmanager:us-east-1:123456789012:secret:\#(name)-AbCdEf","Name":"\#(name)","VersionId":"v1","#
            + #""SecretString":"\#(value)","VersionStages":["AWSCURRENT"],"CreatedDate":1700000000}"#
        return ScriptedResponse(status: 200, headers: ["Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "req-ok-1"], body: body)
    }

    /// The environment every daemon gets: the delegate's own identity (unused by accessKey
    /// connectors, but `[identity] sources = ["environment"]` wants it) and nothing else.
    public static func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ["AWS_ACCESS_KEY_ID": "AKIDDELEGATEIDENTITY", "AWS_SECRET_ACCESS_KEY": "delegate-identity-unused", "PATH": "/usr/bin:/bin"]
        environment.merge(extra) { _, new in new }
        return environment
    }
}
