import Foundation
import SigV4

/// boto3, AWS's own SDK, against the moto server: the second opinion on what the delegate's
/// client wrote and read (a bug in both of the project's own paths, such as binary secrets
/// encoded twice and decoded twice, would pass every test that reads back with the same client).
/// Signed with `credentials`, as any caller.
public enum Boto3SecretsManager {
    /// The secret's current value as boto3 reads it: its `SecretString`, or its `SecretBinary`'s
    /// bytes.
    public static func read(name: String, endpoint: String, region: String, credentials: Credentials) async throws
        -> (string: String?, binary: Data?)
    {
        let answer = try await run(["action": "read", "name": name], endpoint: endpoint, region: region, credentials: credentials)
        return (answer["string"] as? String, (answer["binary"] as? String).flatMap { Data(base64Encoded: $0) })
    }

    /// Creates a secret with boto3: a string, or bytes as `SecretBinary`.
    public static func create(
        name: String, string: String? = nil, binary: Data? = nil, endpoint: String, region: String, credentials: Credentials
    ) async throws {
        var request = ["action": "create", "name": name]
        request["string"] = string
        request["binary"] = binary?.base64EncodedString()
        _ = try await run(request, endpoint: endpoint, region: region, credentials: credentials)
    }

    private static let script = """
        if request["action"] == "read":
            value = client.get_secret_value(SecretId=request["name"])
            answer = {}
            if "SecretString" in value:
                answer["string"] = value["SecretString"]
            if "SecretBinary" in value:
                answer["binary"] = base64.b64encode(value["SecretBinary"]).decode()
        else:
            arguments = {"Name": request["name"]}
            if "string" in request:
                arguments["SecretString"] = request["string"]
            if "binary" in request:
                arguments["SecretBinary"] = base64.b64decode(request["binary"])
            client.create_secret(**arguments)
            answer = {}
        """

    private static func run(
        _ request: [String: String], endpoint: String, region: String, credentials: Credentials
    ) async throws -> [String: Any] {
        try await Boto3Script.run(service: "secretsmanager", script, request, endpoint: endpoint, region: region, credentials: credentials)
    }
}
