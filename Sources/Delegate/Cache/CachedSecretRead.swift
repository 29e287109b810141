import AWSCore
import AWSCredentials
import JSON
import Logging
import SecretsManager
import SigV4

/// One `getSecretValue` through the read cache of a named connector (section 14).
///
/// Within the TTL the entry is the answer and AWS is not called. Past it, DescribeSecret says
/// whether the version asked for (the stage's current version, or the version id) is still the
/// cached one: if so the entry is renewed and answered, otherwise (or if DescribeSecret is refused)
/// GetSecretValue is called and its answer stored. `refresh` skips the cache and stores the fresh
/// answer. When Secrets Manager is unreachable (`AWSError.meansUnreachable`) an entry within its
/// stale window is answered stale; any other failure is the task's answer, and a refusal by AWS
/// drops the entry.
///
/// An entry is served only to the principal that read it, as the task's credentials say (they
/// sign its calls; ``ResolvedCredentials/Principal``): another may read less.
struct CachedSecretRead: Sendable {
    struct Answer: Sendable {
        var output: SecretCache.Output
        var requestId: String?
        var attempts: Int
        var cached = false
        var stale = false
    }

    let cache: SecretCache
    let client: SecretsManagerClient
    let key: SecretCacheKey
    /// The connector the task runs with (its id is `key.connectorID`).
    let connector: NamedConnector
    /// Who signs the task's calls.
    let principal: ResolvedCredentials.Principal
    /// The name relative to the prefix, as the client takes it.
    let name: String
    let versionId: String?
    let versionStage: String?
    let refresh: Bool
    let logger: Logger

    func run() async throws(AWSError) -> Answer {
        var token = cache.beginRead()
        var attempts = 0
        // DescribeSecret said the cached version is not the one asked for any more (another
        // version holds the stage, the secret is deleted or gone): the entry must not be served
        // stale after that.
        var changed = false
        if !refresh {
            switch cache.lookup(key, connector: connector, principal: principal) {
            case .fresh(let output):
                cache.count(.hit)
                return Answer(output: output, attempts: 0, cached: true)
            case .expired(let output):
                // Counted as calls sent, as misses are (not one its credentials or a deadline
                // kept from being sent).
                do throws(AWSError) {
                    let described = try await client.describeSecret(name: name, logger: logger)
                    cache.count(.revalidation)
                    attempts += described.attempts
                    // A secret deleted and created again under the name is another secret (another
                    // ARN), though its first version's id may repeat (a client token reused by a
                    // task id): nothing of the cached one is current.
                    let sameSecret = described.value.arn == output.arn
                    let current = sameSecret ? Self.version(for: key, in: described.value) : nil
                    // By bytes, as AWS compares version ids (``SecretCacheKey/same(_:_:)``). No
                    // version current (gone, deleted, another secret) is a change, whether or not
                    // the cached answer named its version (an endpoint may leave it out).
                    let stillCurrent = current != nil && SecretCacheKey.same(current, output.versionId)
                    if let current, stillCurrent,
                        let renewed = cache.renew(
                            key, versionId: current,
                            stages: described.value.versionIdsToStages?.first { JSONKey.same($0.key, current) }?.value,
                            connector: connector, principal: principal, token: token)
                    {
                        cache.count(.hit)
                        return Answer(output: renewed, requestId: described.requestId, attempts: attempts, cached: true)
                    }
                    if !stillCurrent {
                        changed = true
                        token = forgetEntry()
                    }
                } catch {
                    if error.attempts > 0 { cache.count(.revalidation) }
                    attempts += error.attempts
                    if error.meansUnreachable {
                        return try served(stale: error, attempts: attempts)
                    }
                    if error.endsTheRead {
                        var failure = error
                        failure.attempts = attempts
                        throw failure
                    }
                    // DescribeSecret refused (a policy that allows only GetSecretValue, say):
                    // GetSecretValue gives the answer. A refusal is an answer of AWS's, though
                    // (access revoked, maybe), and so is throttling: no stale value is served on
                    // its heels, should GetSecretValue find Secrets Manager unreachable. A refusal
                    // that is no passing state (not found, access denied: not retryable) drops the
                    // entry too, so that no later read in an outage serves it stale either; the
                    // GetSecretValue that follows stores it again if it may still be read.
                    if error.kind == .service {
                        changed = true
                        if !error.retryable { token = forgetEntry() }
                    }
                    logger.debug("read cache: DescribeSecret failed (\(error.code)); reading the value again")
                }
            case .miss:
                break
            }
        }
        // A miss is a GetSecretValue call made: not one that credentials, a deadline or a stop
        // kept from being sent.
        do throws(AWSError) {
            let response = try await client.getSecretValue(
                name: name, versionId: versionId, versionStage: versionStage, logger: logger)
            cache.count(.miss)
            cache.store(response.value, for: key, connector: connector, principal: principal, token: token)
            return Answer(output: response.value, requestId: response.requestId, attempts: attempts + response.attempts)
        } catch {
            if error.attempts > 0 { cache.count(.miss) }
            attempts += error.attempts
            if error.meansUnreachable, !refresh, !changed {
                return try served(stale: error, attempts: attempts)
            }
            // AWS itself refused (not found, access denied): nothing may be served for the key now.
            // (Not so when the credentials could not be had: Secrets Manager was not asked.)
            if error.kind == .service, !error.whileObtainingCredentials, !error.meansUnreachable { cache.forget(key) }
            var failure = error
            failure.attempts = attempts
            throw failure
        }
    }

    /// Drops the entry (so that no later read serves it stale either) and returns the token for
    /// the GetSecretValue that follows: taken after the drop, or the drop would refuse its store.
    private func forgetEntry() -> SecretCache.ReadToken {
        cache.forget(key)
        return cache.beginRead()
    }

    /// The entry, served stale after `error` if it is within its stale window; else `error`.
    private func served(stale error: AWSError, attempts: Int) throws(AWSError) -> Answer {
        guard let (output, stale) = cache.staleValue(key, connector: connector, principal: principal) else {
            var failure = error
            failure.attempts = attempts
            throw failure
        }
        // Another read may have stored a fresh value meanwhile: served as the hit it is.
        if stale {
            logger.notice(
                "Secrets Manager is unreachable (\(error.code)); serving a cached value past its TTL",
                metadata: ["event": "cache-stale-served"])
        }
        return Answer(output: output, attempts: attempts, cached: true, stale: stale)
    }

    /// The version DescribeSecret names for what `key` asks: the version id if it still exists
    /// (with the stage, if one was asked for too), else the version holding the stage. Nil for a
    /// secret scheduled for deletion or a version that is gone.
    static func version(
        for key: SecretCacheKey, in described: SecretsManagerClient.DescribeSecretOutput
    ) -> String? {
        guard described.deletedDate == nil else { return nil }
        let stages = described.versionIdsToStages ?? [:]
        // By bytes, as AWS compares them (``SecretCacheKey/==(_:_:)``).
        if let id = key.versionId {
            guard let held = stages.first(where: { JSONKey.same($0.key, id) })?.value else { return nil }
            if let stage = key.versionStage, !held.contains(where: { JSONKey.same($0, stage) }) { return nil }
            return id
        }
        guard let stage = key.versionStage else { return nil }
        return stages.first { $0.value.contains { JSONKey.same($0, stage) } }?.key
    }
}
