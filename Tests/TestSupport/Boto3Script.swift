import Foundation
import SigV4

/// Runs a boto3 script on `TestPython`: the request (with the endpoint, region and credentials
/// added) as JSON on its standard input, its answer as a JSON object on its standard output.
enum Boto3Script {
    static func run(
        _ script: String, _ request: [String: Any], endpoint: String, region: String, credentials: Credentials,
        timeout: Duration = .seconds(60)
    ) async throws -> [String: Any] {
        var request = request
        request["endpoint"] = endpoint
        request["region"] = region
        request["key"] = credentials.accessKeyId
        request["secret"] = credentials.secretAccessKey
        request["token"] = credentials.sessionToken
        let outcome = try await ChildProcess.run(
            "/usr/bin/env", [TestPython.interpreter, "-c", script], environment: ProcessInfo.processInfo.environment,
            input: try JSONSerialization.data(withJSONObject: request), timeout: timeout)
        guard outcome.termination == .exited(0),
            let answer = try JSONSerialization.jsonObject(with: Data(outcome.output.utf8)) as? [String: Any]
        else {
            throw ChildProcessError(
                "boto3 \(request["action"] ?? "") \(outcome.termination): \(outcome.errorOutput.suffix(600))")
        }
        return answer
    }
}
