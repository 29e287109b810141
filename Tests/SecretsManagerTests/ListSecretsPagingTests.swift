import AWSCore
import Foundation
import HTTP
import Logging
import SecretsManager
import SigV4
import TestSupport
import Testing

/// `listSecrets` with every page: bounded, and stopped by an endpoint that repeats its token.
@Suite struct ListSecretsPagingTests {
    let logger = Logger(label: "test.list-secrets")

    /// A client whose ListSecrets answers every page with one secret and a `NextToken` from
    /// `next(token asked for)`.
    func client(next: @escaping @Sendable (String?) -> String?) -> (SecretsManagerClient, ScriptedHTTPClient) {
        let http = ScriptedHTTPClient(fallback: { request throws(HTTPClientError) in
            let asked = SentRequest(request).json?["NextToken"] as? String
            var page: [String: Any] = [
                "SecretList": [["Name": "s-\(asked ?? "first")", "ARN": "arn:aws:secretsmanager:us-east-1:1:secret:s"]]
            ]
            if let token = next(asked) { page["NextToken"] = token }
            return HTTPResponse.awsJSON(page, requestId: "req-\(asked ?? "first")")
        })
        return (scriptedSecretsManager(http, accessKeyID: "AKIDPAGINGTEST", secretAccessKey: "paging-test-secret"), http)
    }

    /// A page size AWS would refuse is refused before any call, by both listing operations alike.
    @Test(arguments: [0, 101])
    func aPageSizeAWSRefusesIsRefusedFirst(maxResults: Int) async throws {
        let (sm, http) = client { _ in nil }
        let listing = await #expect(throws: AWSError.self) {
            try await sm.listSecrets(maxResults: maxResults, logger: logger)
        }
        let versions = await #expect(throws: AWSError.self) {
            try await sm.listSecretVersionIds(name: "db", maxResults: maxResults, logger: logger)
        }
        for error in [listing, versions] {
            #expect(error?.code == .invalidTask && error?.message == "maxResults must be 1-100, not \(maxResults)", "\(String(describing: error))")
        }
        #expect(http.requests.isEmpty)
    }

    @Test func everyPageIsAtMostAHundredAndTheRestIsANextToken() async throws {
        let (sm, http) = client { asked in "p\((asked.flatMap { Int($0.dropFirst()) } ?? 0) + 1)" }
        let listed = try await sm.listSecrets(allPages: true, logger: logger)
        #expect(listed.value.secretList.count == SecretsManagerClient.maximumPages)
        #expect(listed.value.nextToken == "p\(SecretsManagerClient.maximumPages)")
        #expect(http.requests.count == SecretsManagerClient.maximumPages)
        // To the end when there is one: no token in the answer.
        let (short, _) = client { asked in asked == "p2" ? nil : "p\((asked.flatMap { Int($0.dropFirst()) } ?? 0) + 1)" }
        let all = try await short.listSecrets(allPages: true, logger: logger)
        #expect(all.value.secretList.count == 3)
        #expect(all.value.nextToken == nil)
    }

    /// A page past what AWS gives (over 100 entries, or a NextToken over 4096 characters) is no
    /// answer of AWS's: paging stops, InvalidResponse, rather than holding every such page.
    @Test(arguments: [(101, 10), (1, 4097)])
    func aPageLargerThanAWSGivesStopsPaging(entries: Int, tokenLength: Int) async throws {
        let http = ScriptedHTTPClient()
        let list = (0..<entries).map { ["Name": "s-\($0)", "ARN": "arn:aws:secretsmanager:us-east-1:1:secret:s-\($0)"] }
        http.always(
            .target("secretsmanager.ListSecrets"),
            .response(HTTPResponse.awsJSON(["SecretList": list, "NextToken": String(repeating: "t", count: tokenLength)], requestId: "req-big")))
        let sm = scriptedSecretsManager(http, accessKeyID: "AKIDPAGINGTEST", secretAccessKey: "paging-test-secret")
        let error = await #expect(throws: AWSError.self) { try await sm.listSecrets(allPages: true, logger: logger) }
        #expect(error?.code == .invalidResponse, "\(String(describing: error))")
        #expect(http.requests.count == 1)
        // A page AWS could give is taken.
        let fine = ScriptedHTTPClient()
        fine.always(
            .target("secretsmanager.ListSecrets"),
            .response(HTTPResponse.awsJSON(["SecretList": Array(list.prefix(100))], requestId: "req-fine")))
        let listed = try await scriptedSecretsManager(fine, accessKeyID: "AKIDPAGINGTEST", secretAccessKey: "paging-test-secret")
            .listSecrets(allPages: true, logger: logger)
        #expect(listed.value.secretList.count == min(entries, 100))

        // ListSecretVersionIds alike: its token would be handed to a task that could not pass it back.
        let versions = (0..<entries).map { ["VersionId": "v-\($0)", "VersionStages": ["AWSCURRENT"]] as [String: Any] }
        let bigVersions = ScriptedHTTPClient()
        bigVersions.always(
            .target("secretsmanager.ListSecretVersionIds"),
            .response(HTTPResponse.awsJSON(["Versions": versions, "NextToken": String(repeating: "t", count: tokenLength)], requestId: "req-big")))
        let versionError = await #expect(throws: AWSError.self) {
            try await scriptedSecretsManager(bigVersions, accessKeyID: "AKIDPAGINGTEST", secretAccessKey: "paging-test-secret")
                .listSecretVersionIds(name: "db", logger: logger)
        }
        #expect(versionError?.code == .invalidResponse, "\(String(describing: versionError))")
        #expect(versionError?.message.hasPrefix("ListSecretVersionIds held ") == true)
        #expect(versionError?.requestId == "req-big" && versionError?.attempts == 1)
    }

    /// A later page that fails reports the attempts of the pages before it too: every request
    /// the listing made counts.
    @Test func aFailedLaterPageCountsEveryAttempt() async throws {
        let http = ScriptedHTTPClient()
        http.script(
            .target("secretsmanager.ListSecrets"),
            .response(HTTPResponse.awsJSON(["SecretList": [] as [Any], "NextToken": "t1"], requestId: "req-1")),
            .awsError("AccessDeniedException"))
        let sm = scriptedSecretsManager(http, accessKeyID: "AKIDPAGINGTEST", secretAccessKey: "paging-test-secret")
        let error = await #expect(throws: AWSError.self) { try await sm.listSecrets(allPages: true, logger: logger) }
        #expect(error?.code.rawValue == "AccessDeniedException")
        #expect(http.requests.count == 2)
        #expect(error?.attempts == 2)
    }

    /// An empty `NextToken` is no token (a task could not ask for it: tokens are 1-4096
    /// characters), for one page as for every page.
    @Test func anEmptyNextTokenIsNoToken() async throws {
        let (sm, _) = client { _ in "" }
        #expect(try await sm.listSecrets(logger: logger).value.nextToken == nil)
        #expect(try await sm.listSecrets(allPages: true, logger: logger).value.nextToken == nil)
    }

    /// An answer without `Versions` lists none, as one without `SecretList` does.
    @Test func versionIdsWithoutVersionsListNone() throws {
        typealias Output = SecretsManagerClient.ListSecretVersionIdsOutput
        let bare = try JSONDecoder().decode(Output.self, from: Data(#"{"ARN":"arn","Name":"db","NextToken":""}"#.utf8))
        #expect(bare.versions.isEmpty)
        #expect(bare.nextToken == nil)
        let full = try JSONDecoder().decode(
            Output.self, from: Data(#"{"Versions":[{"VersionId":"v1","VersionStages":["AWSCURRENT"]}],"NextToken":"t"}"#.utf8))
        #expect(full.versions.map(\.versionId) == ["v1"])
        #expect(full.nextToken == "t")
    }

    @Test func aRepeatedTokenStopsThePaging() async throws {
        let (sm, http) = client { asked in "same" }
        let error = await #expect(throws: AWSError.self) { try await sm.listSecrets(allPages: true, logger: logger) }
        #expect(error?.code == .invalidResponse)
        #expect(error?.message.contains("NextToken it was asked for") == true)
        #expect(http.requests.count == 2)
    }

    /// A cycle of tokens (A, B, A, ...) stops the paging as a repeated one does, at the page that
    /// closes it, rather than list every secret again until the page cap.
    @Test func aCycleOfTokensStopsThePaging() async throws {
        let (sm, http) = client { asked in asked == "A" ? "B" : "A" }
        let error = await #expect(throws: AWSError.self) { try await sm.listSecrets(allPages: true, logger: logger) }
        #expect(error?.code == .invalidResponse)
        #expect(error?.message.contains("page 3") == true, "\(String(describing: error))")
        #expect(http.requests.count == 3)
    }

    /// AWS's name filter matches any case and the start of any word; `nameFilter` is a prefix of
    /// the name, for a connector without a prefix as for one with.
    @Test func theNameFilterIsAPrefixWithoutAConnectorPrefixToo() async throws {
        let http = ScriptedHTTPClient(fallback: { _ throws(HTTPClientError) in
            let names = ["db-1", "prod/db", "DB-x", "dbx"]
            return HTTPResponse.awsJSON(
                ["SecretList": names.map { ["Name": $0, "ARN": "arn:aws:secretsmanager:us-east-1:1:secret:\($0)"] }],
                requestId: "req-filter")
        })
        let sm = scriptedSecretsManager(http, accessKeyID: "AKIDFILTER", secretAccessKey: "filter-test")
        let listed = try await sm.listSecrets(nameFilter: "db", logger: logger)
        #expect(listed.value.secretList.map(\.name) == ["db-1", "dbx"])
        #expect(http.requests.first?.json.map { "\($0["Filters"] ?? "")" }?.contains("db") == true)
        // Longer than any name (AWS would refuse the filter): nothing, and no call.
        let tooLong = try await sm.listSecrets(nameFilter: String(repeating: "a", count: 513), logger: logger)
        #expect(tooLong.value.secretList.isEmpty && tooLong.value.nextToken == nil)
        #expect(http.requests.count == 1)
    }
}
