import AWSCore
import AWSCredentials
import FoundationEssentials
import HTTP
import JSON
import Logging
import ServiceLifecycle
import Systemd
import TaskQueue
import UnixSignals

/// What the delegate tells of itself: the `STATUS=` line `systemctl status` shows and the
/// status object `secrets-delegate status` prints.
extension DelegateDaemon {
    /// The credential sessions `STATUS=` names (the status object has them all).
    static let credentialsShown = 3

    /// The sessions for `STATUS=`: those without valid credentials first (their last refresh
    /// failed, and they have none or theirs expired: "failing"), so that no failing one is cut off
    /// the line; among them the delegate's own identity (IMDS) before assumed roles, which every
    /// named connector and SQS rely on and which inline tasks' failing roles must not push into
    /// "+N more"; then by name; at most ``credentialsShown``, and how many more there are. A
    /// session that serves though its last refresh failed (or static stability holds) shows
    /// `until <time> (<error, 60 characters>)`.
    static func credentialsSummary(_ snapshots: [CachingCredentialProvider.Snapshot], now: Date) -> String {
        let sessions = snapshots.map { snapshot in
            (snapshot, failing: snapshot.lastError != nil && !(snapshot.expiration.map { $0 > now } ?? false))
        }
        .sorted { first, second in
            if first.failing != second.failing { return first.failing }
            let firstIsRole = first.0.source.hasPrefix(AssumeRoleSource.namePrefix)
            if firstIsRole != second.0.source.hasPrefix(AssumeRoleSource.namePrefix) { return !firstIsRole }
            return first.0.source < second.0.source
        }
        var shown = sessions.prefix(credentialsShown).map { snapshot, failing in
            if failing, let error = snapshot.lastError { return "\(snapshot.source): failing (\(error.prefix(60)))" }
            let until = "\(snapshot.source): until \(snapshot.expiration.map(Timestamp.format) ?? "-")"
            // Serving, but not as it should: a refresh ahead failed, or static stability keeps
            // expired IMDS credentials (while IMDS is down, a fresh-looking time alone would hide it).
            return snapshot.lastError.map { "\(until) (\($0.prefix(60)))" } ?? until
        }
        if sessions.count > credentialsShown { shown.append("+\(sessions.count - credentialsShown) more") }
        return shown.joined(separator: ", ")
    }

    func statusLine() async -> String {
        let counts = dispatcher.status.snapshot
        var line =
            "\(counts.inFlight) in flight, \(counts.done) done (\(counts.succeeded) succeeded, \(counts.failed) failed, \(counts.rejected) rejected)"
        let credentials = await components.registry.snapshots()
        if !credentials.isEmpty {
            line += "; credentials " + Self.credentialsSummary(credentials, now: components.clock.now())
        }
        let tags = dispatcher.selectionPolicy.tags
        line += "; tags \(tags.isEmpty ? "none" : tags.joined(separator: ","))"
        return Self.statusLine(
            line, awsCallsFailing: components.httpClientToShutDown?.startFailure?.message,
            unwrittenResults: spoolUnwritten.current, unclaimable: spoolClaimFailure.current,
            failingQueues: SQSQueueStatus.failingSummary(sqsStatus.snapshot))
    }

    /// `STATUS=`: what keeps the delegate from its work leads the counts, so that
    /// `systemctl status` shows it before it is cut off, the gravest first: every AWS call failing
    /// until a restart, the spool paused (results that cannot be written, no task claimed), a spool
    /// task that cannot be claimed, SQS queues failing (the delegate may take no tasks at all).
    static func statusLine(
        _ counts: String, awsCallsFailing: String?, unwrittenResults: Int, unclaimable: String?,
        failingQueues: String?
    ) -> String {
        var leading: [String] = []
        if let failure = awsCallsFailing { leading.append("AWS calls failing: \(failure.prefix(100))") }
        if unwrittenResults > 0 {
            leading.append("spool paused: \(unwrittenResults) result(s) cannot be written to done/ (see the journal)")
        }
        if let claim = unclaimable { leading.append("spool: a task cannot be claimed: \(claim.prefix(120))") }
        if let queues = failingQueues { leading.append(queues) }
        return (leading + [counts]).joined(separator: "; ")
    }

    func statusReport() async -> JSONValue {
        let counts = dispatcher.status.snapshot
        let credentialCounts = dispatcher.status.credentials
        let policy = dispatcher.selectionPolicy
        let credentials = await components.registry.snapshots().map { snapshot -> JSONValue in
            var object: JSONObject = [
                "source": .string(snapshot.source), "expiration": date(snapshot.expiration),
            ]
            if let error = snapshot.lastError { object["lastError"] = .string(error) }
            return .object(object)
        }
        var report: JSONObject = [
            "name": .string(policy.name),
            "version": .string(DelegateVersion.current),
            "tags": .array(policy.tags.map(JSONValue.string)),
            "acceptUntagged": .bool(policy.acceptUntagged),
            "startedAt": .string(Timestamp.format(dispatcher.status.startedAt)),
            "inFlight": .integer(Int64(counts.inFlight)),
            "counts": .object([
                "succeeded": .integer(Int64(counts.succeeded)), "failed": .integer(Int64(counts.failed)),
                "rejected": .integer(Int64(counts.rejected)),
            ]),
            "credentials": .array(credentials),
            // Tasks per named connector id, whatever their outcome.
            "connectors": .object(JSONObject(dispatcher.connectors.taskCounts.mapValues { .integer(Int64($0)) })),
            "cache": components.cache.statistics.jsonValue,
            // Credentials socket requests (section 11) answered with a value, and closed without one.
            "credentialRequests": .object([
                "served": .integer(Int64(credentialCounts.served)),
                "refused": .integer(Int64(credentialCounts.refused)),
            ]),
            // Per SQS queue: received, released, deleted, result send failures, last receive, error.
            "queues": sqsStatus.report,
        ]
        // Only while the spool is paused: results of finished tasks (counted above) not yet
        // written to done/, and no new spool task claimed (the status line says so too).
        let unwritten = spoolUnwritten.current
        if unwritten > 0 {
            report["unwrittenResults"] = .integer(Int64(unwritten))
        }
        // Only while the last spool task tried could not be claimed (until one is, or it leaves new/).
        if let claim = spoolClaimFailure.current {
            report["spoolClaimError"] = .string(claim)
        }
        // Only when every AWS call fails because HTTP cannot start (libcurl could not be loaded).
        if let failure = components.httpClientToShutDown?.startFailure {
            report["httpError"] = .string(failure.message)
        }
        return .object(report)
    }
}
