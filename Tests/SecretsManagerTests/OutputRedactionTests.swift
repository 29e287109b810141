import Foundation
import Testing

@testable import SecretsManager

@Suite struct OutputRedactionTests {
    @Test func outputsCarryingSecretsNeverPrintThem() {
        let output = SecretsManagerClient.GetSecretValueOutput(
            arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf", name: "db", versionId: "v1",
            versionStages: ["AWSCURRENT"], secretString: #"{"password":"canary-7f3a"}"#, secretBinary: nil,
            createdDate: nil)
        let field = SecretsManagerClient.SecretField(output: output, fieldValue: "canary-7f3a")
        let password = SecretsManagerClient.GetRandomPasswordOutput(randomPassword: "canary-9b1c")
        for text in [
            "\(output)", String(reflecting: output), "\(field)", String(reflecting: field), "\(password)",
            String(reflecting: password),
        ] {
            #expect(!text.contains("canary"), "\(text)")
            #expect(text.contains("redacted"), "\(text)")
        }
        #expect("\(output)".contains("db-AbCdEf"))
    }
}
