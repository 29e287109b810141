import Foundation
import SigV4

/// Runs a boto3 script on `TestPython`: the request (with the endpoint, region and credentials
/// added) as JSON on its standard input, its answer as a JSON object on its standard output.
/// `body` runs with `request` read and `client` made for `service`, and sets `answer`.
enum Boto3Script {
    static func run(
        service: String, _ body: String, _ request: [String: Any], endpoint: String, region: String,
        credentials: Credentials, timeout: Duration = .seconds(60)
    ) async throws -> [String: Any] {
        let script = """
            import base64, json, sys, time
            import boto3
            request = json.load(sys.stdin)
            client = boto3.client("\(service)", endpoint_url=request["endpoint"], region_name=request["region"],
                                  aws_access_key_id=request["key"], aws_secret_access_key=request["secret"],
                                  aws_session_token=request.get("token"))
            \(body)
            json.dump(answer, sys.stdout)
            """
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
