import Foundation
import HTTP
import Synchronization
import TestSupport

/// An in-memory Secrets Manager for unit tests: one region, secrets with versions and stages,
/// GetSecretValue, DescribeSecret and PutSecretValue. It is the fallback of a
/// `ScriptedHTTPClient`, which records every call (counted here by operation); the modes are
/// scripts on that client: unreachable, HTTP 500, or a refusal with an AWS error code.
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

    /// Every request the fake got, answered by its scripts or by the secrets below.
    let http: ScriptedHTTPClient
    private let store: Store
    private let refusals = Mutex((mode: Mode.normal, describe: String?.none))

    init() {
        let store = Store()
        self.store = store
        http = ScriptedHTTPClient(fallback: { request throws(HTTPClientError) in store.answer(request) })
    }

    /// Makes `value` the secret's new AWSCURRENT version (AWSPREVIOUS moves along) and returns its id.
    @discardableResult
    func put(_ name: String, _ value: String) -> String { store.put(name, value) }

    /// Deletes the secret and creates it anew under its name, with `value` as its one version of
    /// id `versionId` (a `createSecret` whose task id, and so client token, repeats) and another
    /// ARN suffix, as AWS gives a new secret.
    func recreate(_ name: String, _ value: String, versionId: String) { store.recreate(name, value, versionId: versionId) }

    /// Schedules the secret's deletion, as a `deleteSecret` with a recovery window does: its
    /// versions stay (DescribeSecret lists them, with a `DeletedDate`), and GetSecretValue is
    /// refused with `InvalidRequestException`.
    func markDeleted(_ name: String) { store.markDeleted(name) }

    func setMode(_ mode: Mode) {
        rescript { $0.mode = mode }
    }

    /// DescribeSecret alone is refused with `code` (a policy allowing only GetSecretValue).
    func refuseDescribe(_ code: String?) {
        rescript { $0.describe = code }
    }

    func calls(_ operation: String) -> Int { http.requests.filter { $0.action == operation }.count }
    var totalCalls: Int { http.requests.count }

    func execute(_ request: HTTPRequest) async throws(HTTPClientError) -> HTTPResponse {
        try await http.execute(request)
    }

    /// The mode answers every request before a DescribeSecret refusal does.
    private func rescript(_ change: (inout (mode: Mode, describe: String?)) -> Void) {
        let refusals = self.refusals.withLock { refusals in
            change(&refusals)
            return refusals
        }
        http.removeScripts()
        switch refusals.mode {
        case .normal: break
        case .unreachable: http.always(.any, .transport(.couldNotConnect))
        case .serverError: http.always(.any, .awsError("InternalServiceError", status: 500))
        case .refused(let code): http.always(.any, .awsError(code))
        }
        if let code = refusals.describe { http.always(.target("secretsmanager.DescribeSecret"), .awsError(code)) }
    }
}

/// The fake's secrets, answering the calls no script answered.
private final class Store: Sendable {
    struct Version: Sendable {
        var id: String
        var value: String
        var stages: [String]
    }

    private let secrets = Mutex([String: [Version]]())
    /// Secrets scheduled for deletion.
    private let deleted = Mutex(Set<String>())
    /// The random part of each secret's ARN (`AbCdEf` unless recreated).
    private let suffixes = Mutex([String: String]())
    static let suffixesInTurn = ["AbCdEf", "ZyXwVu"]

    func markDeleted(_ name: String) {
        deleted.withLock { _ = $0.insert(name) }
    }

    func recreate(_ name: String, _ value: String, versionId: String) {
        secrets.withLock { $0[name] = [Version(id: versionId, value: value, stages: ["AWSCURRENT"])] }
        suffixes.withLock { $0[name] = $0[name] == Self.suffixesInTurn[0] ? Self.suffixesInTurn[1] : Self.suffixesInTurn[0] }
    }

    func put(_ name: String, _ value: String) -> String {
        secrets.withLock { secrets in
            var versions = secrets[name] ?? []
            for index in versions.indices {
                versions[index].stages.removeAll { $0 == "AWSPREVIOUS" }
                if versions[index].stages.contains("AWSCURRENT") {
                    versions[index].stages = versions[index].stages.filter { $0 != "AWSCURRENT" } + ["AWSPREVIOUS"]
                }
            }
            let id = "v\(versions.count + 1)-\(UUID().uuidString)"
            versions.append(Version(id: id, value: value, stages: ["AWSCURRENT"]))
            secrets[name] = versions
            return id
        }
    }

    /// The secret a `SecretId` names: the name itself, or the name in an ARN (with or without
    /// one of the suffixes this fake gives ARNs).
    static func name(_ secretId: String) -> String {
        guard secretId.hasPrefix("arn:"), let range = secretId.range(of: ":secret:") else { return secretId }
        let name = secretId[range.upperBound...]
        return String(suffixesInTurn.contains { name.hasSuffix("-" + $0) } ? name.dropLast(7) : name)
    }

    func answer(_ request: HTTPRequest) -> HTTPResponse {
        let operation = SentRequest(request).action
        let body = SentRequest(request).json ?? [:]
        guard let secretId = body["SecretId"] as? String else { return Self.error("InvalidParameterException") }
        let name = Self.name(secretId)
        return secrets.withLock { secrets -> HTTPResponse in
            guard var versions = secrets[name] else { return Self.error("ResourceNotFoundException") }
            let suffix = suffixes.withLock { $0[name] } ?? Self.suffixesInTurn[0]
            let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:\(name)-\(suffix)"
            let markedDeleted = deleted.withLock { $0.contains(name) }
            switch operation {
            case "GetSecretValue" where markedDeleted, "PutSecretValue" where markedDeleted:
                return Self.error("InvalidRequestException")
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
                var described: [String: Any] = ["ARN": arn, "Name": name, "VersionIdsToStages": stages]
                if markedDeleted { described["DeletedDate"] = 1_700_000_500 }
                return Self.json(described)
            case "PutSecretValue":
                for index in versions.indices {
                    versions[index].stages.removeAll { $0 == "AWSPREVIOUS" }
                    if versions[index].stages.contains("AWSCURRENT") {
                        versions[index].stages = ["AWSPREVIOUS"]
                    }
                }
                let id = "v\(versions.count + 1)-put-\(UUID().uuidString)"
                versions.append(Version(id: id, value: body["SecretString"] as? String ?? "", stages: ["AWSCURRENT"]))
                secrets[name] = versions
                return Self.json(["ARN": arn, "Name": name, "VersionId": id, "VersionStages": ["AWSCURRENT"]])
            default:
                return Self.error("InvalidAction")
            }
        }
    }

    private static func json(_ object: [String: Any]) -> HTTPResponse {
        .awsJSON(object, requestId: "req-fake")
    }

    private static func error(_ code: String) -> HTTPResponse {
        .awsError(code, message: "refused by the fake", requestId: "req-fake")
    }
}
