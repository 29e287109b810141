import AWSCore
import Foundation
import Logging
@testable import SecretsManager
import SigV4
import TestSupport
import Testing

/// Every operation against moto_server with signature checking and IAM policies on.
@Suite struct SecretsManagerMotoTests {
    let logger = Logger(label: "test.secretsmanager")

    func client(actions: [String] = MotoServer.fullPolicyActions) async throws -> (SecretsManagerClient, MotoHarness) {
        let harness = try await MotoHarness.make()
        let user = try await harness.moto.createUser(allowing: actions)
        let client = SecretsManagerClient(
            aws: harness.awsClient(),
            credentials: StaticCredentialProvider(user),
            namePrefix: "/\(harness.prefix)/"
        )
        return (client, harness)
    }

    /// boto3 reads what this client wrote, and this client reads what boto3 wrote, byte for byte:
    /// a string with escapes, a line break and characters beyond ASCII, and every byte value as a
    /// binary secret. (Read back with the same client only, a mistake made on both of its paths
    /// would pass.)
    @Test func boto3AndThisClientAgreeOnEveryValue() async throws {
        let harness = try await MotoHarness.make()
        let user = try await harness.moto.createUser(allowing: MotoServer.fullPolicyActions)
        let sm = SecretsManagerClient(
            aws: harness.awsClient(), credentials: StaticCredentialProvider(user), namePrefix: "/\(harness.prefix)/")
        let text = "{\"password\":\"p\\\"w/\\u00e9\",\"note\":\"line\\nbreak\"} é 漢字 😀\ttab"
        let bytes = Data((0...255).map { UInt8($0) })
        func boto3(_ name: String) async throws -> (string: String?, binary: Data?) {
            try await Boto3SecretsManager.read(
                name: "\(harness.prefix)/\(name)", endpoint: harness.moto.endpoint, region: MotoServer.region, credentials: user)
        }
        _ = try await sm.createSecret(.init(name: "text", value: .string(text)), taskID: "b3-text", logger: logger)
        _ = try await sm.createSecret(.init(name: "bytes", value: .binary(bytes)), taskID: "b3-bytes", logger: logger)
        #expect(try await boto3("text").string == text)
        #expect(try await boto3("bytes").binary == bytes)

        for (name, string, binary) in [("from-boto3-text", Optional(text), Data?.none), ("from-boto3-bytes", nil, bytes)] {
            try await Boto3SecretsManager.create(
                name: "\(harness.prefix)/\(name)", string: string, binary: binary, endpoint: harness.moto.endpoint,
                region: MotoServer.region, credentials: user)
            let read = try await sm.getSecretValue(name: name, logger: logger).value
            #expect(read.secretString == string, "\(name)")
            #expect(read.secretBinary == binary, "\(name)")
        }
    }

    @Test func everyOperationWorksWithTheFullPolicy() async throws {
        let (sm, harness) = try await client()

        let created = try await sm.createSecret(
            .init(name: "db", value: .string(#"{"user":"app","password":"pw-1"}"#), description: "database", tags: [SecretTag(key: "team", value: "ops")]),
            taskID: "create-1", logger: logger
        ).value
        #expect(created.name == "\(harness.prefix)/db")
        #expect(created.arn.contains(":secret:\(harness.prefix)/db"))

        let described = try await sm.describeSecret(name: "db", logger: logger).value
        #expect(described.description == "database")
        #expect(described.tags == [SecretTag(key: "team", value: "ops")])

        let field = try await sm.getSecretField(name: "db", field: "password", logger: logger).value
        #expect(field.fieldValue == "pw-1")

        let put = try await sm.putSecretValue(name: "db", value: .string(#"{"password":"pw-2"}"#), taskID: "put-1", logger: logger).value
        #expect(put.versionStages?.contains("AWSCURRENT") == true)
        let current = try await sm.getSecretValue(name: "db", logger: logger).value
        #expect(current.secretString == #"{"password":"pw-2"}"#)
        #expect(current.versionId == put.versionId)

        let updated = try await sm.updateSecret(name: "db", value: .binary(Data([0, 1, 2, 255])), description: "binary now", taskID: "update-1", logger: logger).value
        #expect(updated.versionId != nil)
        let binary = try await sm.getSecretValue(name: "db", logger: logger).value
        #expect(binary.secretBinary == Data([0, 1, 2, 255]))

        let versions = try await sm.listSecretVersionIds(name: "db", logger: logger).value.versions
        #expect(versions.count == 3)

        for index in 0..<3 {
            _ = try await sm.createSecret(.init(name: "app/key-\(index)", value: .string("v\(index)")), taskID: "bulk-\(index)", logger: logger)
        }
        let page = try await sm.listSecrets(nameFilter: "app/", maxResults: 2, logger: logger).value
        #expect(page.secretList.count <= 2)
        let all = try await sm.listSecrets(nameFilter: "app/", maxResults: 1, allPages: true, logger: logger).value
        #expect(Set(all.secretList.map(\.name)) == Set((0..<3).map { "\(harness.prefix)/app/key-\($0)" }))
        #expect(all.nextToken == nil)

        let password = try await sm.getRandomPassword(.init(passwordLength: 24, excludePunctuation: true), logger: logger).value
        #expect(password.randomPassword.count == 24)
        #expect(password.randomPassword.allSatisfy { $0.isLetter || $0.isNumber })

        let deleted = try await sm.deleteSecret(name: "db", recovery: .none, logger: logger).value
        #expect(deleted.name == "\(harness.prefix)/db")
        await #expect(throws: AWSError.self) { try await sm.getSecretValue(name: "db", logger: logger) }
    }

    @Test func theMinimumPolicyReadsButCannotCreate() async throws {
        let (admin, harness) = try await client()
        _ = try await admin.createSecret(.init(name: "shared", value: .string("v")), taskID: "seed", logger: logger)

        let reader = try await harness.moto.createUser(allowing: MotoServer.readOnlyPolicyActions)
        let sm = SecretsManagerClient(aws: harness.awsClient(), credentials: StaticCredentialProvider(reader), namePrefix: harness.prefix)
        let listed = try await sm.listSecrets(logger: logger).value
        #expect(listed.secretList.map(\.name) == ["\(harness.prefix)/shared"])
        #expect(try await sm.describeSecret(name: "shared", logger: logger).value.name == "\(harness.prefix)/shared")

        let error = await #expect(throws: AWSError.self) {
            try await sm.createSecret(.init(name: "new", value: .string("v")), taskID: "denied", logger: logger)
        }
        #expect(error?.code == .accessDeniedException)
        #expect(error?.kind == .service)
        #expect(error?.retryable == false)
        #expect(error?.attempts == 1, "access denied is never retried")
    }

    @Test func aWrongSecretKeyIsASignatureErrorThatLeaksNothing() async throws {
        let harness = try await MotoHarness.make()
        let user = try await harness.moto.createUser(allowing: MotoServer.fullPolicyActions)
        let wrongSecret = "WRONG" + String(user.secretAccessKey.dropFirst(5).reversed())
        let recorder = LogRecorder()
        let sm = SecretsManagerClient(
            aws: harness.awsClient(),
            credentials: StaticCredentialProvider(Credentials(accessKeyId: user.accessKeyId, secretAccessKey: wrongSecret)),
            namePrefix: harness.prefix
        )
        let error = await #expect(throws: AWSError.self) {
            try await sm.listSecrets(logger: recorder.logger())
        }
        // moto's code for it; Secrets Manager itself says `InvalidSignatureException`. Nothing here
        // depends on which (the skew check knows both).
        #expect(error?.code == AWSError.Code(rawValue: "SignatureDoesNotMatch"))
        #expect(error?.attempts == 1)
        let everything = "\(String(describing: error)) \(error?.message ?? "") \(recorder.allText)"
        #expect(!everything.contains(wrongSecret))
        #expect(!everything.contains(user.secretAccessKey))
        #expect(!everything.contains("Signature="))
    }

    @Test func namesWithEveryAllowedCharacterRoundTripUnderAPrefix() async throws {
        let (sm, harness) = try await client()
        let name = "a/b_c+d=e.f@g-h/Z9"
        let created = try await sm.createSecret(.init(name: name, value: .string("punctuated")), taskID: "punct", logger: logger).value
        #expect(created.name == "\(harness.prefix)/\(name)")
        #expect(sm.namespace.relativeName(for: created.name) == name)
        let read = try await sm.getSecretValue(name: name, logger: logger).value
        #expect(read.secretString == "punctuated")
        let byARN = try await sm.getSecretValue(name: created.arn, logger: logger).value
        #expect(byARN.secretString == "punctuated")
    }

    /// A secret another AWS service manages (RDS's `rds!db-<id>`, made here by a raw call as RDS
    /// would) is read by name and by ARN, described and its versions listed; changing it is
    /// refused before any call (it is changed through the service that manages it).
    @Test func aManagedSecretIsReadButNotChanged() async throws {
        let (sm, harness) = try await client()
        let name = "rds!db-\(UUID().uuidString.lowercased())"
        let user = try await harness.moto.createUser(allowing: MotoServer.fullPolicyActions)
        let body = try JSONSerialization.data(withJSONObject: [
            "Name": "\(harness.prefix)/\(name)", "SecretString": #"{"username":"admin","password":"managed-pw"}"#,
        ])
        let created = try await sm.aws.send(
            .json(targetPrefix: "secretsmanager", operation: "CreateSecret", body: body),
            credentials: StaticCredentialProvider(user), logger: logger)
        let arn = try #require(
            (try JSONSerialization.jsonObject(with: created.body) as? [String: Any])?["ARN"] as? String)

        #expect(try await sm.getSecretValue(name: name, logger: logger).value.secretString?.contains("managed-pw") == true)
        #expect(try await sm.getSecretField(name: name, field: "password", logger: logger).value.fieldValue == "managed-pw")
        #expect(try await sm.getSecretValue(name: arn, logger: logger).value.name == "\(harness.prefix)/\(name)")
        #expect(try await sm.describeSecret(name: name, logger: logger).value.name == "\(harness.prefix)/\(name)")
        #expect(try await sm.listSecretVersionIds(name: name, logger: logger).value.versions.count == 1)

        let put = await #expect(throws: AWSError.self) {
            try await sm.putSecretValue(name: name, value: .string("x"), taskID: "put-managed", logger: logger)
        }
        #expect(put?.code == .invalidSecretName)
        #expect(put?.message.contains("another AWS service manages") == true, "\(put?.message ?? "")")
        await #expect(throws: AWSError.self) {
            try await sm.createSecret(.init(name: "rds!db-new", value: .string("x")), taskID: "create-managed", logger: logger)
        }
        // Still the managed secret's first value: nothing was written.
        #expect(try await sm.listSecretVersionIds(name: name, logger: logger).value.versions.count == 1)
    }

    @Test func aRepeatedWriteWithTheSameTaskIDMakesOneVersion() async throws {
        let (sm, _) = try await client()
        let first = try await sm.createSecret(.init(name: "idem", value: .string("v1")), taskID: "task-1", logger: logger).value
        let again = try await sm.createSecret(.init(name: "idem", value: .string("v1")), taskID: "task-1", logger: logger).value
        #expect(first.versionId == again.versionId)
        let put1 = try await sm.putSecretValue(name: "idem", value: .string("v2"), taskID: "task-2", logger: logger).value
        let put2 = try await sm.putSecretValue(name: "idem", value: .string("v2"), taskID: "task-2", logger: logger).value
        #expect(put1.versionId == put2.versionId)
        let versions = try await sm.listSecretVersionIds(name: "idem", includeDeprecated: true, logger: logger).value.versions
        #expect(versions.count == 2)
    }

    @Test func badNamesAndOversizedValuesAreRefusedBeforeAnyCall() async throws {
        let harness = try await MotoHarness.make()
        let counting = ScriptedHTTPClient(forwardingTo: harness.moto.httpClient)
        let sm = SecretsManagerClient(
            aws: harness.awsClient(http: counting),
            credentials: StaticCredentialProvider(harness.moto.admin),
            namePrefix: harness.prefix
        )
        for bad in ["has space", "semi;colon", "", "ünïcode", String(repeating: "x", count: 600)] {
            let error = await #expect(throws: AWSError.self) { try await sm.getSecretValue(name: bad, logger: logger) }
            #expect(error?.code == .invalidSecretName)
        }
        let big = String(repeating: "x", count: SecretValue.maximumBytes + 1)
        let error = await #expect(throws: AWSError.self) {
            try await sm.createSecret(.init(name: "big", value: .string(big)), taskID: "big", logger: logger)
        }
        #expect(error?.code == .invalidTask)
        #expect(error?.message.contains(big) == false)
        #expect(counting.requests.count == 0)
    }

    @Test func pickingAFieldOfANonJSONSecretIsAClearError() async throws {
        let (sm, _) = try await client()
        _ = try await sm.createSecret(.init(name: "plain", value: .string("not json at all")), taskID: "plain", logger: logger)
        let error = await #expect(throws: AWSError.self) {
            try await sm.getSecretField(name: "plain", field: "password", logger: logger)
        }
        #expect(error?.code == .secretFieldUnavailable)
        #expect(error?.message.contains("not json at all") == false)
    }
}
