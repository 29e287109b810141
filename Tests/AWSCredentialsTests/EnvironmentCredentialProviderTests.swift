import AWSCore
@testable import AWSCredentials
import Logging
import Testing

/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`.
@Suite struct EnvironmentCredentialProviderTests {
    let logger = Logger(label: "test.environment-credentials")

    @Test func theVariablesAreTheIdentity() async throws {
        let provider = EnvironmentCredentialProvider(environment: [
            "AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": "env-token",
        ])
        #expect(provider.isConfigured)
        let credentials = try await provider.credentials(logger: logger)
        #expect(credentials.accessKeyId == "AKIAENV" && credentials.secretAccessKey == "env-secret")
        #expect(credentials.sessionToken == "env-token")
        let noToken = EnvironmentCredentialProvider(environment: [
            "AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": "",
        ])
        #expect(try await noToken.credentials(logger: logger).sessionToken == nil)
        #expect(!EnvironmentCredentialProvider(environment: ["AWS_ACCESS_KEY_ID": "AKIAENV"]).isConfigured)
    }

    /// A value with a byte no key holds (a quoted trailing space, a line break) would be signed
    /// as it is, and AWS would refuse every call with `SignatureDoesNotMatch`: refused, naming the
    /// variable and the position, never the value.
    @Test(arguments: [
        ("AWS_ACCESS_KEY_ID", "AKIA ENV", 5), ("AWS_SECRET_ACCESS_KEY", "env-secret\n", 11),
        ("AWS_SESSION_TOKEN", "env-token ", 10),
    ])
    func aValueWithAByteNoKeyHoldsIsRefusedNamingTheVariable(name: String, value: String, position: Int) async {
        var environment = [
            "AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": "env-token",
        ]
        environment[name] = value
        let provider = EnvironmentCredentialProvider(environment: environment)
        let error = await #expect(throws: AWSError.self) { try await provider.credentials(logger: logger) }
        #expect(
            error?.message
                == "the environment's \(name) has a character no key holds (white space, a control character or a "
                + "non-ASCII byte) at byte \(position)")
        #expect(error?.retryable == false)
        #expect(error?.description.contains(value.trimmingCharacters(in: .whitespacesAndNewlines)) == false)
    }
}
