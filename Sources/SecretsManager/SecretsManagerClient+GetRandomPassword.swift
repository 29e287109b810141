import AWSCore
import FoundationEssentials
import Logging

extension SecretsManagerClient {
    /// GetRandomPassword's options; nil leaves AWS's default.
    public struct RandomPasswordOptions: Encodable, Sendable, Equatable {
        public var passwordLength: Int?
        public var excludeCharacters: String?
        public var excludeNumbers: Bool?
        public var excludePunctuation: Bool?
        public var excludeUppercase: Bool?
        public var excludeLowercase: Bool?
        public var includeSpace: Bool?
        public var requireEachIncludedType: Bool?

        enum CodingKeys: String, CodingKey {
            case passwordLength = "PasswordLength"
            case excludeCharacters = "ExcludeCharacters"
            case excludeNumbers = "ExcludeNumbers"
            case excludePunctuation = "ExcludePunctuation"
            case excludeUppercase = "ExcludeUppercase"
            case excludeLowercase = "ExcludeLowercase"
            case includeSpace = "IncludeSpace"
            case requireEachIncludedType = "RequireEachIncludedType"
        }

        public init(
            passwordLength: Int? = nil,
            excludeCharacters: String? = nil,
            excludeNumbers: Bool? = nil,
            excludePunctuation: Bool? = nil,
            excludeUppercase: Bool? = nil,
            excludeLowercase: Bool? = nil,
            includeSpace: Bool? = nil,
            requireEachIncludedType: Bool? = nil
        ) {
            self.passwordLength = passwordLength
            self.excludeCharacters = excludeCharacters
            self.excludeNumbers = excludeNumbers
            self.excludePunctuation = excludePunctuation
            self.excludeUppercase = excludeUppercase
            self.excludeLowercase = excludeLowercase
            self.includeSpace = includeSpace
            self.requireEachIncludedType = requireEachIncludedType
        }
    }

    public struct GetRandomPasswordOutput: Decodable, Sendable, Equatable {
        public var randomPassword: String

        enum CodingKeys: String, CodingKey {
            case randomPassword = "RandomPassword"
        }
    }

    /// Has AWS generate a random password (nothing is stored).
    public func getRandomPassword(
        _ options: RandomPasswordOptions = RandomPasswordOptions(),
        logger: Logger
    ) async throws(AWSError) -> SecretsManagerResponse<GetRandomPasswordOutput> {
        if let length = options.passwordLength, !(1...4096).contains(length) {
            throw AWSError.validation(.invalidTask, "passwordLength must be 1-4096, not \(length)")
        }
        return try await perform("GetRandomPassword", options, as: GetRandomPasswordOutput.self, logger: logger)
    }
}
