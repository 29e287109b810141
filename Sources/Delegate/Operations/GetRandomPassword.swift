import AWSCore
import SecretsManager
import JSON

extension OperationName {
    public static let getRandomPassword = OperationName(declaring: "getRandomPassword")
}

extension TaskOperation {
    public static func getRandomPassword(_ params: GetRandomPasswordParams) -> TaskOperation { TaskOperation(params) }
}

/// `getRandomPassword`. Options left nil are not sent, so AWS's defaults apply.
public struct GetRandomPasswordParams: Sendable, Equatable {
    public let passwordLength: Int?
    public let excludeCharacters: String?
    public let excludeNumbers: Bool?
    public let excludePunctuation: Bool?
    public let excludeUppercase: Bool?
    public let excludeLowercase: Bool?
    public let includeSpace: Bool?
    public let requireEachIncludedType: Bool?

    public static let passwordLengthRange = 1...4096
}

extension GetRandomPasswordParams: DelegateOperation {
    static let name = OperationName.getRandomPassword
    static let allowedParams: [String] = [
        "passwordLength", "excludeCharacters", "excludeNumbers", "excludePunctuation", "excludeUppercase",
        "excludeLowercase", "includeSpace", "requireEachIncludedType",
    ]
    static let writesSecret = false
    var namedSecret: SecretReference? { nil }

    static func decode(_ params: OperationParams) throws(TaskProblem) -> GetRandomPasswordParams {
        GetRandomPasswordParams(
            passwordLength: try params.optionalInt("passwordLength", range: passwordLengthRange),
            excludeCharacters: try params.optionalString("excludeCharacters", length: 0...4096),
            excludeNumbers: try params.optionalBool("excludeNumbers"),
            excludePunctuation: try params.optionalBool("excludePunctuation"),
            excludeUppercase: try params.optionalBool("excludeUppercase"),
            excludeLowercase: try params.optionalBool("excludeLowercase"),
            includeSpace: try params.optionalBool("includeSpace"),
            requireEachIncludedType: try params.optionalBool("requireEachIncludedType"))
    }

    func run(with runner: OperationRunner) async throws(AWSError) -> OperationOutcome {
        let response = try await runner.client.getRandomPassword(
            .init(
                passwordLength: passwordLength, excludeCharacters: excludeCharacters, excludeNumbers: excludeNumbers,
                excludePunctuation: excludePunctuation, excludeUppercase: excludeUppercase,
                excludeLowercase: excludeLowercase, includeSpace: includeSpace,
                requireEachIncludedType: requireEachIncludedType),
            logger: runner.logger)
        return runner.outcome(["randomPassword": .string(response.value.randomPassword)], response.attempts)
    }
}
