import Foundation
import Testing

@testable import AWSCredentials
@testable import Delegate

/// `STATUS=`, what `systemctl status` shows an operator at a glance: what keeps the delegate from
/// its work first, then the counts and the credential sessions.
@Suite struct StatusLineTests {
    let now = Date(timeIntervalSince1970: 1_796_367_605)

    func session(_ source: String, expiresIn seconds: TimeInterval?, error: String? = nil) -> CachingCredentialProvider.Snapshot {
        CachingCredentialProvider.Snapshot(
            source: source, expiration: seconds.map { now.addingTimeInterval($0) }, lastError: error)
    }

    /// A session whose credentials expired and whose refreshes fail is failing, not "until" a
    /// time gone by; one still valid while a refresh ahead failed is not (yet).
    @Test func aSessionWhoseCredentialsExpiredAndCannotBeRefreshedIsFailing() {
        let line = DelegateDaemon.credentialsSummary(
            [
                session("assume-role:dead", expiresIn: -600, error: "AccessDenied: trust policy"),
                session("assume-role:ahead", expiresIn: 300, error: "Throttling"),
                session("imds", expiresIn: 3600),
            ], now: now)
        #expect(line.contains("assume-role:dead: failing (AccessDenied: trust policy)"), "\(line)")
        #expect(line.contains("assume-role:ahead: until "), "\(line)")
        #expect(line.contains("imds: until "), "\(line)")
        // Still serving, the refresh's failure is in sight too; a session without one says only its time.
        #expect(line.contains("assume-role:ahead: until 2026-12-04T07:05:05.000Z (Throttling)"), "\(line)")
        #expect(line.contains("imds: until 2026-12-04T08:00:05.000Z,"), "\(line)")
    }

    /// IMDS's static stability (expired instance credentials kept while IMDS cannot refresh
    /// them) shows in the session, not only a fresh-looking time.
    @Test func staticStabilityShowsInTheLine() {
        let line = DelegateDaemon.credentialsSummary(
            [session("imds", expiresIn: 600, error: "static stability: IMDS unreachable (EndpointUnreachable)")],
            now: now)
        #expect(line.contains("imds: until ") && line.contains("(static stability: IMDS unreachable"), "\(line)")
    }

    /// Past three sessions the line says how many it left out, and never a failing one: they come
    /// first, whatever order the registry lists them in.
    @Test func aFailingSessionIsNeverCutOffTheLine() {
        let working = (1...4).map { session("assume-role:ok-\($0)", expiresIn: 3600) }
        let failing = session("assume-role:zz-broken", expiresIn: nil, error: "AccessDenied")
        let line = DelegateDaemon.credentialsSummary(working + [failing], now: now)
        #expect(line.hasPrefix("assume-role:zz-broken: failing (AccessDenied)"), "\(line)")
        #expect(line.hasSuffix(", +2 more"), "\(line)")
        #expect(line.components(separatedBy: ": until ").count == 3, "two working sessions shown: \(line)")
    }

    /// The delegate's own identity failing is shown before failing assumed roles (an inline
    /// task's, a producer's mistake), however many of those there are.
    @Test func aFailingIdentityComesBeforeFailingRoles() {
        let roles = (1...3).map { session("assume-role:arn:aws:iam::1:role/inline-\($0)", expiresIn: nil, error: "AccessDenied") }
        let identity = session("imds", expiresIn: -60, error: "IMDS unreachable")
        let line = DelegateDaemon.credentialsSummary(roles + [identity], now: now)
        #expect(line.hasPrefix("imds: failing (IMDS unreachable)"), "\(line)")
        #expect(line.hasSuffix(", +1 more"), "\(line)")
    }

    /// Each problem leads the counts, the gravest first, all of them at once, each cut to its
    /// length; none, and the line is the counts alone.
    @Test func theProblemsLeadTheLineGravestFirst() {
        let counts = "0 in flight, 3 done (3 succeeded, 0 failed, 0 rejected); tags prod"
        let line = DelegateDaemon.statusLine(
            counts, awsCallsFailing: "curl_global_init failed" + String(repeating: "x", count: 200),
            unwrittenResults: 2, unclaimable: "new/a.json: Read-only file system" + String(repeating: "y", count: 200),
            failingQueues: "SQS queue failing: https://sqs.us-east-1.amazonaws.com/1/tasks (ReceiveMessage: AccessDenied)")
        let parts = line.components(separatedBy: "; ")
        #expect(parts.count == 6, "\(line)")
        #expect(parts[0] == "AWS calls failing: curl_global_init failed" + String(repeating: "x", count: 77), "\(line)")
        #expect(parts[1] == "spool paused: 2 result(s) cannot be written to done/ (see the journal)", "\(line)")
        #expect(parts[2] == "spool: a task cannot be claimed: new/a.json: Read-only file system" + String(repeating: "y", count: 87), "\(line)")
        #expect(parts[3].hasPrefix("SQS queue failing: https://sqs.us-east-1.amazonaws.com/1/tasks"), "\(line)")
        #expect(parts[4...].joined(separator: "; ") == counts, "\(line)")

        let quiet = DelegateDaemon.statusLine(
            counts, awsCallsFailing: nil, unwrittenResults: 0, unclaimable: nil, failingQueues: nil)
        #expect(quiet == counts)
        let claimOnly = DelegateDaemon.statusLine(
            counts, awsCallsFailing: nil, unwrittenResults: 0, unclaimable: "new/b.json: Permission denied",
            failingQueues: "SQS queue failing: q")
        #expect(claimOnly == "spool: a task cannot be claimed: new/b.json: Permission denied; SQS queue failing: q; " + counts)
    }
}
