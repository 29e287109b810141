import AWSCore
import Foundation
import SecretsManager
import Testing

@Suite struct SecretNamespaceTests {
    @Test(arguments: [("devops", "devops/db"), ("/devops/", "devops/db"), ("//a/b//", "a/b/db"), ("", "db")])
    func prefixesAreTrimmedAndJoined(prefix: String, expected: String) throws {
        #expect(try SecretNamespace(prefix: prefix).fullName(for: "db") == expected)
    }

    @Test func arnsUnderThePrefixPassUnchangedAndResultsAreRelative() throws {
        let namespace = SecretNamespace(prefix: "devops")
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:devops/db-AbCdEf"
        #expect(try namespace.fullName(for: arn) == arn)
        // A partial ARN (no random suffix) is a name AWS takes too.
        let partial = "arn:aws:secretsmanager:us-east-1:123456789012:secret:devops/db"
        #expect(try namespace.fullName(for: partial) == partial)
        let anywhere = "arn:aws:secretsmanager:us-east-1:123456789012:secret:x"
        #expect(try SecretNamespace(prefix: "").fullName(for: anywhere) == anywhere)
        #expect(namespace.relativeName(for: "devops/db/x") == "db/x")
        #expect(namespace.relativeName(for: "elsewhere/db") == "elsewhere/db")
    }

    /// A connector's prefix fences its tasks in: an ARN naming a secret outside it is refused
    /// before any call, whatever account, region or partial form it takes.
    @Test(arguments: [
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:other/db-AbCdEf",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:payroll/db",
        "arn:aws:secretsmanager:eu-west-1:210987654321:secret:devopsdb-AbCdEf",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:devops-AbCdEf",
        "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:Devops/db",
    ])
    func anARNOutsideThePrefixIsRefused(arn: String) {
        let error = #expect(throws: AWSError.self) { try SecretNamespace(prefix: "/devops/").fullName(for: arn) }
        #expect(error?.code == .invalidSecretName)
        #expect(
            error?.message.contains("outside the connector's prefix 'devops/'") == true, "\(String(describing: error))")
        #expect(throws: SecretNameError.self) {
            try SecretReference(parsing: arn + "#password", prefix: "devops", allowJSONKey: true)
        }
    }

    /// The fence compares bytes, as AWS compares names: a prefix that is canonically equivalent
    /// but not the same (a Kelvin sign for a K, should a caller skip the prefix's validation)
    /// fences nothing in.
    @Test func theFenceComparesBytesNotCanonicallyEquivalentCharacters() {
        #expect(throws: SecretNameError.self) {
            try SecretReference.resolve(
                prefix: "\u{212A}", name: "arn:aws:secretsmanager:us-east-1:123456789012:secret:K/x")
        }
        #expect(
            (try? SecretReference.resolve(prefix: "K", name: "arn:aws:secretsmanager:us-east-1:123456789012:secret:K/x"))
                == "arn:aws:secretsmanager:us-east-1:123456789012:secret:K/x")
    }

    @Test func fieldReferencesSplitOffTheJSONKey() throws {
        let reference = try SecretReference(parsing: "db#password", prefix: "/ops/", allowJSONKey: true)
        #expect(reference.name == "db")
        #expect(reference.fullName == "ops/db")
        #expect(reference.jsonKey == "password")
        #expect(throws: SecretNameError.self) {
            try SecretReference(parsing: "db#password", prefix: "", allowJSONKey: false)
        }
    }

    @Test func idempotencyTokensAreStableUUIDShapedAndDistinct() throws {
        let a = try IdempotencyToken.derive(taskID: "t1", operation: "CreateSecret", secret: "p/db")
        #expect(try a == IdempotencyToken.derive(taskID: "t1", operation: "CreateSecret", secret: "p/db"))
        #expect(try a != IdempotencyToken.derive(taskID: "t2", operation: "CreateSecret", secret: "p/db"))
        #expect(try a != IdempotencyToken.derive(taskID: "t1", operation: "PutSecretValue", secret: "p/db"))
        // Without stages, the token earlier releases derived: a rerun after an upgrade is the
        // same request to AWS.
        #expect(a == "1c0853fb-74b3-893d-bce5-9901a7f9ca57")
        #expect(
            try a == IdempotencyToken.derive(taskID: "t1", operation: "CreateSecret", secret: "p/db", versionStages: [])
        )
        let staged = try IdempotencyToken.derive(
            taskID: "t1", operation: "PutSecretValue", secret: "p/db", versionStages: ["A", "B"])
        #expect(try staged != IdempotencyToken.derive(taskID: "t1", operation: "PutSecretValue", secret: "p/db"))
        // Stage lists that would read alike joined are told apart.
        #expect(
            try staged
                != IdempotencyToken.derive(
                    taskID: "t1", operation: "PutSecretValue", secret: "p/db", versionStages: ["A\n1:B"]))
        #expect(a.count == 36)
        #expect(a.split(separator: "-").map(\.count) == [8, 4, 4, 4, 12])
    }

    /// A name of characters AWS does not allow is refused for them, not for a length counted in
    /// bytes (300 of "é" are 600 bytes, but 300 characters).
    @Test func aNameWithCharactersNotAllowedIsRefusedForThemFirst() {
        let error = #expect(throws: SecretNameError.self) {
            try SecretReference.validate(fullName: String(repeating: "\u{E9}", count: 300))
        }
        #expect(error?.message.contains("contains") == true, "\(String(describing: error))")
        #expect(error?.message.contains("long") == false)
    }
}
