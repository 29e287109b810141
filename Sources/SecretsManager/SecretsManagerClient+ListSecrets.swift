import AWSCore
import FoundationEssentials
import Logging

extension SecretsManagerClient {
    public struct SecretListEntry: Decodable, Sendable, Equatable {
        public var arn: String
        public var name: String
        public var description: String?
        public var lastChangedDate: Date?

        enum CodingKeys: String, CodingKey {
            case arn = "ARN"
            case name = "Name"
            case description = "Description"
            case lastChangedDate = "LastChangedDate"
        }
    }

    public struct ListSecretsOutput: Decodable, Sendable, Equatable {
        public var secretList: [SecretListEntry]
        public var nextToken: String?

        enum CodingKeys: String, CodingKey {
            case secretList = "SecretList"
            case nextToken = "NextToken"
        }

        public init(secretList: [SecretListEntry], nextToken: String?) {
            self.secretList = secretList
            self.nextToken = nextToken
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            secretList = try container.decodeIfPresent([SecretListEntry].self, forKey: .secretList) ?? []
            nextToken = try container.decodeIfPresent(String.self, forKey: .nextToken)
        }
    }

    struct ListFilter: Encodable {
        var key: String
        var values: [String]

        enum CodingKeys: String, CodingKey {
            case key = "Key"
            case values = "Values"
        }
    }

    struct ListSecretsRequest: Encodable {
        var filters: [ListFilter]?
        var maxResults: Int?
        var nextToken: String?

        enum CodingKeys: String, CodingKey {
            case filters = "Filters"
            case maxResults = "MaxResults"
            case nextToken = "NextToken"
        }
    }

    /// The most pages `allPages` follows (10,000 secrets at 100 a page): past them the answer
    /// carries the `nextToken` to go on from, so one task cannot page (and hold) without end.
    public static let maximumPages = 100

    /// The most entries a page may hold (AWS's `MaxResults` at most), and the longest `NextToken`
    /// AWS gives (its API reference: 4096 characters). A page past either is no answer of AWS's:
    /// held for every page, it would grow a task's memory by the response limit each time.
    public static let maximumPageEntries = 100
    public static let maximumTokenLength = 4096

    /// Refuses a listing's page larger than AWS gives (more entries than a page holds, a longer
    /// `NextToken`, which the next task could not pass back): `InvalidResponse`, naming `page`.
    static func checkPage(
        _ page: String, entries: Int, nextToken: String?, requestId: String?, attempts: Int
    ) throws(AWSError) {
        let tokenBytes = nextToken?.utf8.count ?? 0
        guard entries <= maximumPageEntries, tokenBytes <= maximumTokenLength else {
            let what =
                entries > maximumPageEntries
                ? "\(entries) entries, more than AWS gives (\(maximumPageEntries))"
                : "a NextToken of \(tokenBytes) bytes, longer than AWS gives (\(maximumTokenLength))"
            throw AWSError(
                kind: .invalidResponse, code: .invalidResponse,
                message: "\(page) held \(what) (a proxy or endpoint that is not AWS?)", requestId: requestId,
                attempts: attempts)
        }
    }

    /// Refuses a page size AWS would refuse (ListSecrets' and ListSecretVersionIds' alike).
    static func checkMaxResults(_ maxResults: Int?) throws(AWSError) {
        if let maxResults, !(1...maximumPageEntries).contains(maxResults) {
            throw AWSError.validation(.invalidTask, "maxResults must be 1-\(maximumPageEntries), not \(maxResults)")
        }
    }

    /// Lists the secrets under the prefix whose names start with `nameFilter` (relative to the
    /// prefix). With `allPages`, follows `NextToken` to the end (at most `maximumPages` pages)
    /// and returns everything at once.
    public func listSecrets(
        nameFilter: String? = nil,
        maxResults: Int? = nil,
        nextToken: String? = nil,
        allPages: Bool = false,
        logger: Logger
    ) async throws(AWSError) -> SecretsManagerResponse<ListSecretsOutput> {
        let scope = namespace.prefix.isEmpty ? "" : namespace.prefix + "/"
        let filterValue = scope + (nameFilter ?? "")
        try Self.checkMaxResults(maxResults)
        // AWS takes a filter of at most 512 characters, as long as a name can be: a longer one
        // (the prefix with the filter) is no name's beginning, so the list is empty, without a call.
        guard filterValue.count <= SecretReference.maximumNameLength else {
            return SecretsManagerResponse(
                value: ListSecretsOutput(secretList: [], nextToken: nil), requestId: nil, attempts: 0)
        }
        var request = ListSecretsRequest(
            filters: filterValue.isEmpty ? nil : [ListFilter(key: "name", values: [filterValue])],
            maxResults: maxResults,
            nextToken: nextToken
        )
        var collected: [SecretListEntry] = []
        var attempts = 0
        var lastRequestId: String?
        var pages = 0
        // Every token asked for: a page that answers with one of them would start a cycle.
        var tokensAsked: Set<String> = request.nextToken.map { [$0] } ?? []
        while true {
            let page: SecretsManagerResponse<ListSecretsOutput>
            do {
                page = try await perform("ListSecrets", request, as: ListSecretsOutput.self, logger: logger)
            } catch var failed {
                failed.attempts += attempts  // the pages before it were asked for too
                throw failed
            }
            attempts += page.attempts
            lastRequestId = page.requestId
            pages += 1
            try Self.checkPage(
                "ListSecrets page \(pages)", entries: page.value.secretList.count, nextToken: page.value.nextToken,
                requestId: lastRequestId, attempts: attempts)
            // AWS's name filter matches loosely (any case, the start of any word of the name);
            // keep only names that really start with it, with or without a connector's prefix.
            collected += page.value.secretList.filter { filterValue.isEmpty || $0.name.hasPrefix(filterValue) }
            let next = page.value.nextToken.flatMap { $0.isEmpty ? nil : $0 }
            guard allPages, let token = next, pages < Self.maximumPages else {
                return SecretsManagerResponse(
                    value: ListSecretsOutput(secretList: collected, nextToken: next),
                    requestId: lastRequestId,
                    attempts: attempts
                )
            }
            guard tokensAsked.insert(token).inserted else {
                throw AWSError(
                    kind: .invalidResponse, code: .invalidResponse,
                    message: "ListSecrets answered page \(pages) with a NextToken it was asked for already; "
                        + "stopped paging",
                    requestId: lastRequestId, attempts: attempts)
            }
            request.nextToken = token
        }
    }
}
