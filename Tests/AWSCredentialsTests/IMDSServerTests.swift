import Foundation
import HTTP
import TestSupport
import Testing

/// The test IMDS is as strict as the real one, so a client that works against it speaks IMDSv2.
@Suite struct IMDSServerTests {
    @Test func refusesWhatRealIMDSv2Refuses() async throws {
        let server = try IMDSServer(credentials: fakeCredentials("strict"), expiration: Date().addingTimeInterval(3600))
        let http = try loopbackHTTPClient()
        let token = IMDSServer.tokenPath
        let role = IMDSServer.credentialsPath

        func status(_ method: String, _ path: String, _ headers: HTTPHeaders = [:]) async throws -> Int {
            try await http.execute(HTTPRequest(method: method, url: server.baseURL + path, headers: headers)).status
        }

        #expect(try await status("GET", role) == 401, "IMDSv1 (no token) is refused")
        #expect(try await status("PUT", token) == 400, "a token PUT needs a TTL")
        #expect(try await status("PUT", token, ["X-aws-ec2-metadata-token-ttl-seconds": "0"]) == 400)
        #expect(try await status("PUT", token, ["X-aws-ec2-metadata-token-ttl-seconds": "21601"]) == 400)
        #expect(try await status("PUT", token, ["X-aws-ec2-metadata-token-ttl-seconds": "soon"]) == 400)
        #expect(
            try await status(
                "PUT", token, ["X-aws-ec2-metadata-token-ttl-seconds": "60", "X-Forwarded-For": "10.0.0.1"]) == 403)

        let issued = try await http.execute(
            HTTPRequest(
                method: "PUT", url: server.baseURL + token, headers: ["X-aws-ec2-metadata-token-ttl-seconds": "21600"]))
        #expect(issued.status == 200)
        #expect(issued.headers["X-aws-ec2-metadata-token-ttl-seconds"] == "21600")
        let value = String(decoding: issued.body, as: UTF8.self)
        #expect(try await status("GET", role, ["X-aws-ec2-metadata-token": value]) == 200)
        #expect(try await status("GET", role, ["X-aws-ec2-metadata-token": "made-up"]) == 401)
        #expect(
            try await status("GET", role, ["X-aws-ec2-metadata-token": value, "X-Forwarded-For": "10.0.0.1"]) == 403)

        server.revokeTokens()
        #expect(try await status("GET", role, ["X-aws-ec2-metadata-token": value]) == 401)

        // A token past its TTL is refused, as IMDS refuses it.
        let clock = ManualClock()
        server.useClock(clock)
        let brief = try await http.execute(
            HTTPRequest(
                method: "PUT", url: server.baseURL + token, headers: ["X-aws-ec2-metadata-token-ttl-seconds": "1"]))
        let briefToken = String(decoding: brief.body, as: UTF8.self)
        #expect(try await status("GET", role, ["X-aws-ec2-metadata-token": briefToken]) == 200)
        clock.advance(by: 2)
        #expect(try await status("GET", role, ["X-aws-ec2-metadata-token": briefToken]) == 401)

        #expect(
            server.counts
                == IMDSServer.Counts(
                    tokenPUTs: 2, roleListGETs: 2, credentialGETs: 0, unauthorized: 4, badRequests: 4, forbidden: 2,
                    whileDown: 0))

        server.setMode(.down)
        await #expect(throws: HTTPClientError.self) { try await status("GET", role) }
        server.setMode(.failing)
        #expect(try await status("GET", role) == 503)
        // (curl may try a dropped keep-alive connection once more on a new one)
        #expect(server.counts.whileDown >= 2)
    }
}
