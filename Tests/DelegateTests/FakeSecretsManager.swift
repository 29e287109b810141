import Foundation
import HTTP
import Synchronization

/// An in-memory Secrets Manager for unit tests: one region, secrets with versions and stages,
/// GetSecretValue, DescribeSecret and PutSecretValue. It counts the calls by operation and can
/// be made unreachable, answer 500, or refuse with an AWS error code.
final class FakeSecretsManager: HTTPClient {
    enum Mode: Sendable {
        case normal
        /// Every request fails to connect.
        case unreachable
        /// Every request gets an HTTP 500.
        case serverError
        /// Every request is refused with this AWS error code (HTTP 400).
        case refused(String)
    }

    struct Version: Sendable {
        var id: String
        var value: String
        var stages: [String]
    }

    struct State: Sendable {
        var secrets: [String: [Version]] = [:]
        var calls: [String: Int] = [:]
        var mode = Mode.normal
        /// DescribeSecret alone is refused with this code (a policy allowing only GetSecretValue).
        var describeRefusal: String?
    }

    private let state = Mutex(State())

    /// Makes `value` the secret's new AWSCURRENT version (AWSPREVIOUS moves along) and returns its id.
    @discardableResult
    func put(_ name: String, _ value: String) -> String {
        state.withLock { state in
            var versions = state.secrets[name] ?? []
            for index in versions.indices {
                versions[index].stages.removeAll { $0 == "AWSPREVIOUS" }
                if versions[index].stages.contains("AWSCURRENT") {
                    versions[index].stages = versions[index].stages.filter { $0 != "AWSCURRENT" } + ["AWSPREVIOUS"]
                }
            }
            let id = "v\(versions.count + 1)-\(UUID().uuidString.prefix(8))"
            versions.append(Version(id: id, value: value, stages: ["AWSCURRENT"]))
            state.secrets[name] = versions
            return id
        }
    }

    func setMode(_ mode: Mode) { state.withLock { $0.mode = mode } }
    func refuseDescribe(_ code: String?) { state.withLock { $0.describeRefusal = code } }
    func calls(_ operation: String) -> Int { state.withLock { $0.calls[operation] ?? 0 } }
    var totalCalls: Int { state.withLock { $0.calls.values.reduce(0, +) } }

    func execute(_ request: HTTPRequest) async throws(HTTPClientError) -> HTTPResponse {
        let operation = String((request.headers["X-Amz-Target"] ?? "").split(separator: ".").last ?? "")
        let body = (try? JSONSerialization.jsonObject(with: request.body) as? [String: Any]) ?? [:]
        let (mode, describeRefusal) = state.withLock { state in
            state.calls[operation, default: 0] += 1
            return (state.mode, state.describeRefusal)
        }
        switch mode {
        case .unreachable: throw HTTPClientError(code: .couldNotConnect, message: "connection refused")
        case .serverError: return Self.error("InternalServiceError", status: 500)
        case .refused(let code): return Self.error(code)
        case .normal: break
        }
        if operation == "DescribeSecret", let describeRefusal { return Self.error(describeRefusal) }
        guard let name = body["SecretId"] as? String else { return Self.error("InvalidParameterException") }
        return state.withLock { state -> HTTPResponse in
            guard var versions = state.secrets[name] else { return Self.error("ResourceNotFoundException") }
            let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:\(name)-AbCdEf"
            switch operation {
            case "GetSecretValue":
                let id = body["VersionId"] as? String
                let stage = body["VersionStage"] as? String ?? (id == nil ? "AWSCURRENT" : nil)
                guard
                    let version = versions.first(where: { version in
                        (id == nil || version.id == id) && (stage == nil || version.stages.contains(stage ?? ""))
                    })
                else { return Self.error("ResourceNotFoundException") }
                return Self.json([
                    "ARN": arn, "Name": name, "VersionId": version.id, "SecretString": version.value,
                    "VersionStages": version.stages, "CreatedDate": 1_700_000_000,
                ])
            case "DescribeSecret":
                let stages = Dictionary(
                    uniqueKeysWithValues: versions.filter { !$0.stages.isEmpty }.map { ($0.id, $0.stages) })
                return Self.json(["ARN": arn, "Name": name, "VersionIdsToStages": stages])
            case "PutSecretValue":
                for index in versions.indices {
                    versions[index].stages.removeAll { $0 == "AWSPREVIOUS" }
                    if versions[index].stages.contains("AWSCURRENT") {
                        versions[index].stages = ["AWSPREVIOUS"]
                    }
                }
                let id = "v\(versions.count + 1)-put"
                versions.append(Version(id: id, value: body["SecretString"] as? String ?? "", stages: ["AWSCURRENT"]))
                state.secrets[name] = versions
                return Self.json(["ARN": arn, "Name": name, "VersionId": id, "VersionStages": ["AWSCURRENT"]])
            default:
                return Self.error("InvalidAction")
            }
        }
    }

    private static func json(_ object: [String: Any]) -> HTTPResponse {
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
        return HTTPResponse(
            status: 200, headers: ["Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "req-fake"],
            body: data)
    }

    private static func error(_ code: String, status: Int = 400) -> HTTPResponse {
        let data = Data(#"{"__type":"\#(code)","message":"refused by the fake"}"#.utf8)
        return HTTPResponse(
            status: status, headers: ["Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "req-fake"],
            body: data)
    }
}
