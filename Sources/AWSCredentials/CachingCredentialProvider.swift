import AWSCore
import FoundationEssentials
import Logging
import SigV4

/// Caches a `CredentialSource`'s credentials and refreshes them the way a busy daemon needs.
///
/// - Single flight: any number of concurrent callers cause one fetch.
/// - A caller that is cancelled stops waiting, but never cancels the shared refresh.
/// - A failed refresh is not sticky: a caller after ``RefreshPolicy/failureHold`` tries again
///   (one sooner, with nothing valid cached, gets the failure).
/// - Credentials are refreshed ahead of expiry while the old ones keep serving.
///
/// soto-core's `ExpiringValue` lets one cancelled caller cancel everyone's refresh and keeps a
/// failure around; this type does neither.
public actor CachingCredentialProvider: CredentialProvider {
    public let source: any CredentialSource
    private let clock: any WallClock
    /// What the shared refresh logs with: the daemon's logger, not the one of the task whose call
    /// happened to start it (its task, connector and operation are not the refresh's). Without
    /// one, the starting caller's.
    private let refreshLogger: Logger?

    private var cached: Credentials?
    private var cachedAt: Date?
    private var refresh: Task<Void, Never>?
    private var waiters: [UInt64: CheckedContinuation<Result<Credentials, AWSError>, Never>] = [:]
    private var nextWaiterID: UInt64 = 0
    private var lastFailureAt: Date?
    private var lastError: String?
    /// The last failed fetch's error, kept while ``lastFailureAt`` is within the failure hold.
    private var lastFailure: AWSError?

    /// Logs a failed refresh's warning: at once by default; the registry's assumed-role sessions
    /// through a rate limit (a task may name any role, each with its own session).
    public typealias FailureLog = @Sendable (_ message: String, _ metadata: Logger.Metadata, _ logger: Logger) -> Void

    private let failureLog: FailureLog

    public init(
        source: any CredentialSource, clock: any WallClock = SystemWallClock(),
        refreshLogger: Logger? = nil, failureLog: FailureLog? = nil
    ) {
        self.source = source
        self.clock = clock
        self.refreshLogger = refreshLogger
        self.failureLog =
            failureLog ?? { message, metadata, logger in logger.warning("\(message)", metadata: metadata) }
    }

    /// What the status object reports about this provider.
    public struct Snapshot: Sendable, Equatable {
        public var source: String
        public var expiration: Date?
        public var lastError: String?
    }

    public func snapshot() -> Snapshot {
        Snapshot(source: source.name, expiration: cached?.expiration, lastError: lastError)
    }

    /// Callers waiting for the refresh in flight (for tests).
    var waitingCallers: Int { waiters.count }

    public func credentials(logger: Logger) async throws(AWSError) -> Credentials {
        let now = clock.now()
        if let cached, !isExpired(cached, now: now) {
            if shouldRefreshAhead(cached, now: now) { startRefresh(logger: logger) }
            return cached
        }
        if refresh == nil, let lastFailure, let lastFailureAt,
            now.timeIntervalSince(lastFailureAt) < RefreshPolicy.failureHold,
            now >= lastFailureAt
        {
            throw lastFailure
        }
        startRefresh(logger: logger)
        return try await waitForRefresh()
    }

    /// Drops the cached credentials if they are the ones refused; the source forgets what it
    /// keeps for them too (IMDS: its session token).
    /// Always true: the next call fetches (or another caller already has).
    @discardableResult
    public func invalidate(accessKeyID: String) async -> Bool {
        guard let cached, cached.accessKeyId == accessKeyID else { return true }
        self.cached = nil
        // A refresh ahead that failed while these served is no reason to hold callers back now.
        lastFailure = nil
        await source.invalidate(accessKeyID: accessKeyID)
        return true
    }

    private func isExpired(_ credentials: Credentials, now: Date) -> Bool {
        guard let expiration = credentials.expiration else { return false }
        return now >= expiration.addingTimeInterval(-RefreshPolicy.expirySafetyMargin)
    }

    private func shouldRefreshAhead(_ credentials: Credentials, now: Date) -> Bool {
        guard let expiration = credentials.expiration, refresh == nil else { return false }
        // As for the hold above: a clock set back since the failure ends the pause.
        if let lastFailureAt, now >= lastFailureAt,
            now.timeIntervalSince(lastFailureAt) < RefreshPolicy.retryAfterFailure
        {
            return false
        }
        let lifetime = expiration.timeIntervalSince(cachedAt ?? now)
        return expiration.timeIntervalSince(now) <= RefreshPolicy.refreshWindow(lifetime: lifetime)
    }

    /// Starts the one shared refresh unless it is already running. It is an unstructured task,
    /// so no caller's cancellation reaches it; nor does the deadline of the task whose call
    /// started it (``AWSCallDeadline``, which a new task inherits): the refresh serves every
    /// waiting caller, so its AWS calls (STS) retry as no one task's deadline would allow.
    private func startRefresh(logger caller: Logger) {
        guard refresh == nil else { return }
        let logger = refreshLogger ?? caller
        let source = self.source
        refresh = Task {
            let result = await AWSCallDeadline.$current.withValue(nil) { () async -> Result<Credentials, AWSError> in
                do throws(AWSError) {
                    return .success(try await source.fetch(logger: logger))
                } catch {
                    return .failure(error)
                }
            }
            self.finishRefresh(result, logger: logger)
        }
    }

    private func finishRefresh(_ result: Result<Credentials, AWSError>, logger: Logger) {
        refresh = nil
        let now = clock.now()
        switch result {
        case .success(let credentials):
            cached = credentials
            cachedAt = now
            lastFailureAt = nil
            // Credentials that serve though the source is failing (static stability) keep its
            // failure in sight: `status` shows it as the session's last error.
            lastError = source.degradation
            lastFailure = nil
            var metadata: Logger.Metadata = ["event": "credentials-refreshed", "credential_source": "\(source.name)"]
            // As results and `status` write it (not `Date`'s description, "2026-11-21 12:00:00 +0000").
            if let expiration = credentials.expiration { metadata["expiration"] = "\(Timestamp.format(expiration))" }
            logger.info("credentials refreshed", metadata: metadata)
        case .failure(let error) where error.code == .cancelled:
            // Cut off by the stop (the HTTP client closed under it): no failure of the source's,
            // nothing to warn of after the delegate said it stopped, nor to hold for callers.
            logger.debug("credentials refresh cut off by the stop", metadata: ["credential_source": "\(source.name)"])
        case .failure(let error):
            lastFailureAt = now
            // Held for callers only when nothing valid is cached: a refresh ahead that failed
            // just before the expiry must not keep the first caller after it from fetching.
            lastFailure = cached.map { !isExpired($0, now: now) } == true ? nil : error
            lastError = error.description
            failureLog(
                "credentials refresh failed: \(error.description)",
                [
                    "event": "credentials-refresh-failed", "credential_source": "\(source.name)",
                    "error_code": "\(error.code)",
                ],
                logger)
        }
        let pending = waiters
        waiters.removeAll()
        for continuation in pending.values {
            continuation.resume(returning: result)
        }
    }

    private func waitForRefresh() async throws(AWSError) -> Credentials {
        let id = nextWaiterID
        nextWaiterID += 1
        return try await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<Credentials, AWSError>, Never>) in
                if Task.isCancelled {
                    continuation.resume(returning: .failure(.cancelled()))
                } else {
                    waiters[id] = continuation
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }.get()
    }

    private func cancelWaiter(_ id: UInt64) {
        waiters.removeValue(forKey: id)?.resume(returning: .failure(.cancelled()))
    }
}
