import AWSCore
import FoundationEssentials
import JSON
import Logging
import SecretsManager
import SigV4

/// `testConnection`: proves what the connector's credentials can do, as the seed's admin guide
/// describes. A dummy secret is created under the prefix, read back and deleted without recovery.
/// When creating is denied the connector can still be used for reads, so reading is checked
/// (ListSecrets under the prefix) and the test succeeds with `canWrite: false`. Bad credentials or
/// an unreachable endpoint fail the test; credentials that could not be obtained fail it with no
/// checks, no call having reached Secrets Manager.
struct ConnectionTest: Sendable {
    let client: SecretsManagerClient
    let taskID: String
    let logger: Logger

    private struct Check {
        var action: String
        var error: AWSError?

        var json: JSONValue {
            var object: JSONObject = ["action": .string(action), "outcome": .string(outcome)]
            if let error { object["errorCode"] = .string(error.code.rawValue) }
            return .object(object)
        }

        var outcome: String {
            guard let error else { return "allowed" }
            return error.deniesAccess ? "denied" : "error"
        }
    }

    func run() async throws(AWSError) -> OperationOutcome {
        var checks: [Check] = []
        var attempts = 0
        // Named after the task, value too: a run cut off before its delete is repeated by the same
        // task's rerun (the same CreateSecret, which AWS then takes as the same request) and the
        // dummy it left is deleted; two tasks never share one. A task id used again soon after a
        // run that finished finds that dummy still being deleted (AWS deletes in the background),
        // or taken: then the second name the task id gives.
        let digest = try Self.digest(of: taskID)
        var dummy = "secrets-delegate-test-connection-\(digest.prefix(32))"
        // A prefix too long for the dummy's name (512 characters in all) is the task's to fix:
        // rejected before any call, not a failed test with a name the producer never gave.
        do {
            _ = try client.namespace.fullName(for: dummy)
        } catch {
            throw AWSError.validation(
                .invalidSecretName,
                "testConnection's test secret (\(dummy.count) characters) does not fit under this connector's "
                    + "secretNamePrefix: \(error.message)")
        }
        do {
            do {
                attempts += try await createDummy(dummy, digest: digest).attempts
            } catch where Self.nameUnavailable(error) {
                attempts += error.attempts
                dummy = "secrets-delegate-test-connection-\(digest.suffix(32))"
                attempts += try await createDummy(dummy, digest: digest).attempts
            }
            checks.append(Check(action: "CreateSecret"))
        } catch {
            attempts += error.attempts
            // Cut off with a create on its way: AWS may have made the dummy.
            if error.attempts > 0, [.cancelled, .deadlineExceeded].contains(error.code) { warnLeft(dummy, cutOff: true, certain: false) }
            try Self.throwIfCutOff(error, attempts: attempts)
            // No credentials (STS refused the role, IMDS had none): nothing reached Secrets
            // Manager, so no check says what its policy allows.
            if error.whileObtainingCredentials {
                return OperationOutcome(value: Self.withoutCredentials(error), attempts: attempts, failure: error)
            }
            checks.append(Check(action: "CreateSecret", error: error))
            guard error.deniesAccess else {
                return finish(checks, attempts: attempts, canRead: false, canWrite: false, failure: error, message: "the connection test failed: \(error.message)")
            }
            return try await readOnlyCheck(checks, attempts: attempts, createError: error)
        }

        var readError: AWSError?
        do {
            attempts += try await client.getSecretValue(name: dummy, logger: logger).attempts
            checks.append(Check(action: "GetSecretValue"))
        } catch {
            attempts += error.attempts
            if error.code == .cancelled { warnLeft(dummy, cutOff: true) }
            try Self.throwIfCutOff(error, attempts: attempts)
            readError = error
            checks.append(Check(action: "GetSecretValue", error: error))
        }
        var deleteRefused: Check?
        do {
            attempts += try await client.deleteSecret(name: dummy, recovery: .none, logger: logger).attempts
            checks.append(Check(action: "DeleteSecret"))
        } catch {
            attempts += error.attempts
            warnLeft(dummy, cutOff: error.code == .cancelled, code: error.code)
            try Self.throwIfCutOff(error, attempts: attempts)
            let refused = Check(action: "DeleteSecret", error: error)
            deleteRefused = refused
            checks.append(refused)
        }
        // A read-back that failed for another reason than a refusal (throttled, an outage) says
        // nothing of what the policy allows: the test failed, as a create so failed does.
        if let readError, !readError.deniesAccess {
            return finish(
                checks, attempts: attempts, canRead: false, canWrite: true, failure: readError,
                message: "the connection test failed: \(readError.message)")
        }
        let canRead = readError == nil
        var message =
            canRead
            ? "the connector can write secrets under its prefix and read them back (the test secret is under the "
                + "account's default key: a secret under a key of its own also needs kms:Decrypt on that key)"
            : "the connector can create secrets but not read them back: \(readError?.message ?? "")"
        if let deleteRefused {
            // Left behind, which the booleans do not say: a person deletes it (a rerun is refused too).
            message += "; its test secret \(fullName(of: dummy)) could not be deleted (\(deleteRefused.outcome)): "
                + "delete it by hand"
        }
        return finish(checks, attempts: attempts, canRead: canRead, canWrite: true, failure: nil, message: message)
    }

    /// The journal's word on a dummy secret left behind, by name: a run cut off (its deadline, a
    /// stop) leaves it for this task's rerun to delete, else for a person.
    private func warnLeft(_ dummy: String, cutOff: Bool, certain: Bool = true, code: AWSError.Code = .cancelled) {
        logger.warning(
            cutOff
                ? "testConnection was cut off and \(certain ? "left" : "may have left") its dummy secret; running the task again deletes it, else delete it by hand"
                : "testConnection could not delete its dummy secret; delete it by hand",
            metadata: ["secret_name": "\(fullName(of: dummy))", "error_code": "\(code)"])
    }

    /// The dummy's name as AWS knows it (its prefix applied), the one to delete it by.
    private func fullName(of dummy: String) -> String {
        (try? client.namespace.fullName(for: dummy)) ?? dummy
    }

    /// A call cut off (by the task's deadline, or the stop) answers nothing about the credentials:
    /// it ends the test, thrown with the attempts so far, for the executor to report as the
    /// deadline or the stop, never as a test that succeeded with `canRead: false`.
    static func throwIfCutOff(_ error: AWSError, attempts: Int) throws(AWSError) {
        guard error.code == .cancelled else { return }
        var cutOff = error
        cutOff.attempts = attempts
        throw cutOff
    }

    /// Whether a refused CreateSecret says the name is taken, or still being deleted (and not,
    /// say, that the KMS key cannot be used, which is the test's answer).
    static func nameUnavailable(_ error: AWSError) -> Bool {
        error.code == .resourceExistsException
            || (error.code == .invalidRequestException && error.message.lowercased().contains("deletion"))
    }

    private func createDummy(_ name: String, digest: String) async throws(AWSError) -> SecretsManagerResponse<SecretsManagerClient.CreateSecretOutput> {
        try await client.createSecret(
            .init(
                name: name, value: .string("not a secret: \(digest.prefix(16))"),
                description: "secrets-delegate testConnection; safe to delete"),
            taskID: taskID, logger: logger)
    }

    /// 64 hex digits of SHA-256 over the task id.
    static func digest(of taskID: String) throws(AWSError) -> String {
        do {
            return Hex.encode(try SHA256Digest.hash(Array("secrets-delegate testConnection\n\(taskID)".utf8)))
        } catch {
            throw .signing(error)
        }
    }

    private func readOnlyCheck(_ earlier: [Check], attempts earlierAttempts: Int, createError: AWSError) async throws(AWSError) -> OperationOutcome {
        var checks = earlier
        var attempts = earlierAttempts
        do {
            attempts += try await client.listSecrets(maxResults: 1, logger: logger).attempts
            checks.append(Check(action: "ListSecrets"))
            return finish(
                checks, attempts: attempts, canRead: true, canWrite: false, failure: nil,
                message: "CreateSecret was denied and ListSecrets allowed: the connector is usable for reads only (whether it may "
                    + "read a secret's value, secretsmanager:GetSecretValue on it and kms:Decrypt on its key, is not tried: "
                    + "ListSecrets shows neither; a getSecretValue task does)")
        } catch {
            attempts += error.attempts
            try Self.throwIfCutOff(error, attempts: attempts)
            checks.append(Check(action: "ListSecrets", error: error))
            return finish(
                checks, attempts: attempts, canRead: false, canWrite: false, failure: error,
                message: "the connector can neither create nor list secrets (it may still read the secrets its policy names: "
                    + "GetSecretValue is not tried, as the test knows no secret's name): \(error.message)")
        }
    }

    /// The result of a test whose credentials could not be had (a ref refused, STS or IMDS
    /// failing): no call reached Secrets Manager, so no check, and nothing allowed.
    static func withoutCredentials(_ error: AWSError) -> JSONValue {
        .object([
            "canRead": false, "canWrite": false, "checks": [],
            "message": .string("the connection test failed: \(error.message)"),
        ])
    }

    private func finish(_ checks: [Check], attempts: Int, canRead: Bool, canWrite: Bool, failure: AWSError?, message: String) -> OperationOutcome {
        OperationOutcome(
            value: .object([
                "canRead": .bool(canRead), "canWrite": .bool(canWrite), "checks": .array(checks.map(\.json)),
                "message": .string(message),
            ]),
            attempts: attempts,
            failure: failure
        )
    }
}
