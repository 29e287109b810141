import AWSCore
import SecretsManager
import Testing

@Suite struct SecretNamespaceTests {
    @Test(arguments: [("devops", "devops/db"), ("/devops/", "devops/db"), ("//a/b//", "a/b/db"), ("", "db")])
    func prefixesAreTrimmedAndJoined(prefix: String, expected: String) throws {
        #expect(try SecretNamespace(prefix: prefix).fullName(for: "db") == expected)
    }

    @Test func arnsPassUnchangedAndResultsAreRelative() throws {
        let namespace = SecretNamespace(prefix: "devops")
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:other/db-AbCdEf"
        #expect(try namespace.fullName(for: arn) == arn)
        #expect(namespace.relativeName(for: "devops/db/x") == "db/x")
        #expect(namespace.relativeName(for: "elsewhere/db") == "elsewhere/db")
    }

    @Test func fieldReferencesSplitOffTheJSONKey() throws {
        let reference = try SecretReference(parsing: "db#password", prefix: "/ops/", allowJSONKey: true)
        #expect(reference.name == "db")
        #expect(reference.fullName == "ops/db")
        #expect(reference.jsonKey == "password")
        #expect(throws: SecretNameError.self) { try SecretReference(parsing: "db#password", prefix: "", allowJSONKey: false) }
    }

    @Test func idempotencyTokensAreStableUUIDShapedAndDistinct() throws {
        let a = try IdempotencyToken.derive(taskID: "t1", operation: "CreateSecret", secret: "p/db")
        #expect(try a == IdempotencyToken.derive(taskID: "t1", operation: "CreateSecret", secret: "p/db"))
        #expect(try a != IdempotencyToken.derive(taskID: "t2", operation: "CreateSecret", secret: "p/db"))
        #expect(try a != IdempotencyToken.derive(taskID: "t1", operation: "PutSecretValue", secret: "p/db"))
        #expect(a.count == 36)
        #expect(a.split(separator: "-").map(\.count) == [8, 4, 4, 4, 12])
    }
}
