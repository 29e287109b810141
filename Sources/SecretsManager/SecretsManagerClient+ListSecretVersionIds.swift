import AWSCore
import FoundationEssentials
import Logging

extension SecretsManagerClient {
    public struct SecretVersion: Decodable, Sendable, Equatable {
        public var versionId: String
        public var versionStages: [String]?
        public var createdDate: Date?

        enum CodingKeys: String, CodingKey {
            case versionId = "VersionId"
            case versionStages = "VersionStages"
            case createdDate = "CreatedDate"
        }
    }

    public struct ListSecretVersionIdsOutput: Decodable, Sendable, Equatable {
        public var arn: String?
        public var name: String?
        public var versions: [SecretVersion]
        public var nextToken: String?

        enum CodingKeys: String, CodingKey {
            case arn = "ARN"
            case name = "Name"
            case versions = "Versions"
            case nextToken = "NextToken"
        }

        public init(arn: String?, name: String?, versions: [SecretVersion], nextToken: String?) {
            (self.arn, self.name, self.versions, self.nextToken) = (arn, name, versions, nextToken)
        }

        /// An answer without `Versions` lists none (as one without `SecretList` does for
        /// ListSecrets); an empty `NextToken` is no token (it could not be asked for).
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            arn = try container.decodeIfPresent(String.self, forKey: .arn)
            name = try container.decodeIfPresent(String.self, forKey: .name)
            versions = try container.decodeIfPresent([SecretVersion].self, forKey: .versions) ?? []
            nextToken = try container.decodeIfPresent(String.self, forKey: .nextToken).flatMap { $0.isEmpty ? nil : $0 }
        }
    }

    struct ListSecretVersionIdsRequest: Encodable {
        var secretId: String
        var includeDeprecated: Bool?
        var maxResults: Int?
        var nextToken: String?

        enum CodingKeys: String, CodingKey {
            case secretId = "SecretId"
            case includeDeprecated = "IncludeDeprecated"
            case maxResults = "MaxResults"
            case nextToken = "NextToken"
        }
    }

    /// Lists a secret's versions and their staging labels.
    public func listSecretVersionIds(
        name: String,
        includeDeprecated: Bool? = nil,
        maxResults: Int? = nil,
        nextToken: String? = nil,
        logger: Logger
    ) async throws(AWSError) -> SecretsManagerResponse<ListSecretVersionIdsOutput> {
        try Self.checkMaxResults(maxResults)
        let request = ListSecretVersionIdsRequest(
            secretId: try namespace.fullName(for: name, allowManaged: true),
            includeDeprecated: includeDeprecated,
            maxResults: maxResults,
            nextToken: nextToken
        )
        let page = try await perform(
            "ListSecretVersionIds", request, as: ListSecretVersionIdsOutput.self, logger: logger)
        try Self.checkPage(
            "ListSecretVersionIds", entries: page.value.versions.count, nextToken: page.value.nextToken,
            requestId: page.requestId, attempts: page.attempts)
        return page
    }
}
