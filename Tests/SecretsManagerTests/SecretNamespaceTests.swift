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

    @Test func fieldReferencesSplitAtTheLastHash() {
        #expect(SecretReference(parsing: "db#password") == SecretReference(name: "db", field: "password"))
        #expect(SecretReference(parsing: "db").field == nil)
    }

    @Test func idempotencyTokensAreStableUUIDShapedAndDistinct() {
        let a = IdempotencyToken.derive(taskID: "t1", operation: "CreateSecret", secret: "p/db")
        #expect(a == IdempotencyToken.derive(taskID: "t1", operation: "CreateSecret", secret: "p/db"))
        #expect(a != IdempotencyToken.derive(taskID: "t2", operation: "CreateSecret", secret: "p/db"))
        #expect(a != IdempotencyToken.derive(taskID: "t1", operation: "PutSecretValue", secret: "p/db"))
        #expect(a.count == 36)
        #expect(a.split(separator: "-").map(\.count) == [8, 4, 4, 4, 12])
    }
}
