import AWSCredentials
import Foundation
import HTTP
import Testing
import TestSupport

@testable import Delegate
@testable import SecretsManager

/// The read cache of named connectors (section 14), through the executor over an in-memory
/// Secrets Manager that counts calls, with a clock the tests step.
@Suite struct ReadCacheTests {
    /// Stages and version ids are AWS's strings, compared as bytes: `rel-é` precomposed and
    /// decomposed are two stages, which Swift's `==` (canonical equivalence) took for one, so a
    /// read of one was answered from the other's cache entry.
    @Test func versionStagesAndIDsAreComparedAsBytes() {
        func key(id: String? = nil, stage: String?) -> SecretCacheKey {
            SecretCacheKey(
                connectorID: "prod", region: "us-east-1", fullName: "devops/db", versionId: id, versionStage: stage)
        }
        let composed = key(stage: "rel-\u{E9}")
        let decomposed = key(stage: "rel-e\u{301}")
        #expect(composed != decomposed)
        #expect(Set([composed, decomposed, key(stage: "rel-\u{E9}")]).count == 2)
        #expect(key(id: "v-\u{E9}", stage: nil) != key(id: "v-e\u{301}", stage: nil))

        let described = SecretsManagerClient.DescribeSecretOutput(
            arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:devops/db-AbCdEf", name: "devops/db",
            versionIdsToStages: ["v-\u{E9}": ["rel-\u{E9}"]])
        #expect(CachedSecretRead.version(for: composed, in: described) == "v-\u{E9}")
        #expect(CachedSecretRead.version(for: decomposed, in: described) == nil)
        #expect(CachedSecretRead.version(for: key(id: "v-e\u{301}", stage: nil), in: described) == nil)
        #expect(CachedSecretRead.version(for: key(id: "v-\u{E9}", stage: "rel-e\u{301}"), in: described) == nil)
    }

    @Test func aSecondReadWithinTheTTLDoesNotReachAWS() async throws {
        let fixture = ReadCacheFixture()
        fixture.fake.put("devops/db", "first")
        let first = try await fixture.run()
        #expect(first.status == .succeeded)
        #expect(first.secretText == "first")
        #expect(first.cached == false)
        #expect(!first.jsonLine.contains(#""cached":"#))

        // Changed behind the delegate's back: within the TTL the cached value is the answer.
        fixture.fake.put("devops/db", "second")
        fixture.clock.advance(by: 59)
        let second = try await fixture.run()
        #expect(second.status == .succeeded)
        #expect(second.secretText == "first")
        #expect(second.cached == true)
        #expect(second.stale == false)
        #expect(second.attempts == 0)
        #expect(second.jsonLine.contains(#""attempts":0,"cached":true,"result":"#), "\(second.jsonLine)")
        #expect(fixture.fake.calls("GetSecretValue") == 1)
        #expect(fixture.fake.calls("DescribeSecret") == 0)

        // `#key` reads share the entry of the whole secret.
        fixture.fake.put("devops/json", #"{"password":"p1"}"#)
        _ = try await fixture.run(params: ["name": "json"])
        let field = try await fixture.run(params: ["name": "json#password"])
        #expect(field.secretText == "p1")
        #expect(field.cached == true)
        #expect(fixture.fake.calls("GetSecretValue") == 2)
        // A field's name is relative to the prefix however the task named the secret.
        #expect(field.result?["name"] == "json#password")
        let byARN = try await fixture.run(
            params: ["name": "arn:aws:secretsmanager:us-east-1:123456789012:secret:devops/json-AbCdEf#password"])
        #expect(byARN.secretText == "p1")
        #expect(byARN.result?["name"] == "json#password")
    }

    @Test func refreshBypassesTheCacheAndStoresTheFreshValue() async throws {
        let fixture = ReadCacheFixture()
        fixture.fake.put("devops/db", "first")
        _ = try await fixture.run()
        fixture.fake.put("devops/db", "second")
        let refreshed = try await fixture.run(params: ["name": "db", "refresh": true])
        #expect(refreshed.secretText == "second")
        #expect(refreshed.cached == false)
        let after = try await fixture.run()
        #expect(after.secretText == "second")
        #expect(after.cached == true)
        #expect(fixture.fake.calls("GetSecretValue") == 2)

        // `refresh` must be a boolean.
        let bad = await #expect(throws: TaskRejection.self) {
            try await fixture.run(params: ["name": "db", "refresh": "yes"])
        }
        #expect(bad?.code == .invalidTask)
        #expect(bad?.message.contains("refresh") == true)
    }

    @Test func aWriteThroughTheDelegateDropsTheSecretForEveryConnector() async throws {
        let fixture = ReadCacheFixture()
        fixture.fake.put("devops/db", "first")
        _ = try await fixture.run("cached")
        _ = try await fixture.run("other")
        #expect(try await fixture.run("other").cached == true)

        let put = try await fixture.run(
            "cached", operation: "putSecretValue", params: ["name": "db", "secretString": "written"])
        #expect(put.status == .succeeded)
        let cached = try await fixture.run("cached")
        #expect(cached.secretText == "written")
        #expect(cached.cached == false)
        let other = try await fixture.run("other")
        #expect(other.secretText == "written")
        #expect(other.cached == false)
        #expect(fixture.fake.calls("GetSecretValue") == 4)

        // A write that failed may still have happened: the secret is dropped all the same.
        #expect(try await fixture.run("cached").cached == true)
        fixture.fake.setMode(.unreachable)
        let failed = try await fixture.run(
            "plain", operation: "updateSecret", params: ["name": "db", "secretString": "maybe"])
        #expect(failed.status == .failed)
        fixture.fake.setMode(.normal)
        #expect(try await fixture.run("cached").cached == false)

        // A write that names the secret by its partial ARN (no random suffix) drops it too.
        #expect(try await fixture.run("cached").cached == true)
        let partial = try await fixture.run(
            "cached", operation: "putSecretValue",
            params: ["name": "arn:aws:secretsmanager:us-east-1:123456789012:secret:devops/db", "secretString": "again"])
        #expect(partial.status == .succeeded)
        let afterPartial = try await fixture.run("cached")
        #expect(afterPartial.cached == false)
        #expect(afterPartial.secretText == "again")
    }

    @Test func pastTheTTLAnUnchangedVersionCostsOneDescribeSecretOnly() async throws {
        let fixture = ReadCacheFixture(ttl: 60)
        fixture.fake.put("devops/db", "first")
        _ = try await fixture.run()
        fixture.clock.advance(by: 61)
        let renewed = try await fixture.run()
        #expect(renewed.secretText == "first")
        #expect(renewed.cached == true)
        #expect(renewed.attempts == 1)
        #expect(fixture.fake.calls("DescribeSecret") == 1)
        #expect(fixture.fake.calls("GetSecretValue") == 1)

        // Renewed: a new TTL from now.
        fixture.clock.advance(by: 59)
        #expect(try await fixture.run().cached == true)
        #expect(fixture.fake.calls("DescribeSecret") == 1)

        // A new current version past the TTL: fetched again.
        fixture.fake.put("devops/db", "second")
        fixture.clock.advance(by: 2)
        let changed = try await fixture.run()
        #expect(changed.secretText == "second")
        #expect(changed.cached == false)
        #expect(fixture.fake.calls("DescribeSecret") == 2)
        #expect(fixture.fake.calls("GetSecretValue") == 2)

        let statistics = fixture.cache.statistics
        #expect(statistics.hits == 2)
        #expect(statistics.misses == 2)
        #expect(statistics.revalidations == 2)
        #expect(statistics.entries == 1)
    }

    /// Deleted and created again elsewhere with a version id the cached one had (a client token
    /// repeated by a task id): another secret, another ARN. Past the TTL the value is read again,
    /// not renewed for good.
    @Test func aSecretRecreatedUnderTheSameVersionIDIsReadAgain() async throws {
        let fixture = ReadCacheFixture(ttl: 60)
        fixture.fake.recreate("devops/db", "first", versionId: "token-of-task-t1")
        #expect(try await fixture.run().secretText == "first")
        fixture.fake.recreate("devops/db", "second", versionId: "token-of-task-t1")
        fixture.clock.advance(by: 61)
        let after = try await fixture.run()
        #expect(after.secretText == "second")
        #expect(after.cached == false)
        #expect(fixture.fake.calls("DescribeSecret") == 1)
        #expect(fixture.fake.calls("GetSecretValue") == 2)
        let again = try await fixture.run()
        #expect(again.secretText == "second")
        #expect(again.cached == true)
    }

    /// A new current version whose id differs from the cached one's only in how a character is
    /// composed (`é` and `e` + U+0301: equal to Swift's `==`, two versions to AWS) is a new version:
    /// read again past the TTL, not renewed.
    @Test func aVersionIDThatDiffersOnlyInItsBytesIsANewVersion() async throws {
        let fixture = ReadCacheFixture(ttl: 60)
        let composed = String(repeating: "t", count: 32) + "\u{E9}"
        let decomposed = String(repeating: "t", count: 32) + "e\u{301}"
        #expect(composed == decomposed, "Swift finds them equal")
        fixture.fake.recreate("devops/db", "first", versionId: composed)
        #expect(try await fixture.run().secretText == "first")
        // Deleted and created twice: the ARN's suffix comes back to the cached one's.
        fixture.fake.recreate("devops/db", "x", versionId: "tmp-" + String(repeating: "0", count: 32))
        fixture.fake.recreate("devops/db", "second", versionId: decomposed)
        fixture.clock.advance(by: 61)
        let after = try await fixture.run()
        #expect(after.secretText == "second")
        #expect(after.cached == false)
        #expect(fixture.fake.calls("GetSecretValue") == 2)
    }

    @Test func versionsAndStagesAreKeysOfTheirOwn() async throws {
        let fixture = ReadCacheFixture(ttl: 60)
        let v1 = fixture.fake.put("devops/db", "first")
        fixture.fake.put("devops/db", "second")
        #expect(try await fixture.run(params: ["name": "db"]).secretText == "second")
        #expect(try await fixture.run(params: ["name": "db", "versionStage": "AWSPREVIOUS"]).secretText == "first")
        #expect(try await fixture.run(params: ["name": "db", "versionId": .string(v1)]).secretText == "first")
        #expect(fixture.fake.calls("GetSecretValue") == 3)
        // Asking for AWSCURRENT by name is the same entry as asking for nothing.
        #expect(try await fixture.run(params: ["name": "db", "versionStage": "AWSCURRENT"]).cached == true)

        // Past the TTL an explicit version id that still exists is confirmed by DescribeSecret.
        fixture.clock.advance(by: 61)
        let byID = try await fixture.run(params: ["name": "db", "versionId": .string(v1)])
        #expect(byID.cached == true)
        #expect(byID.secretText == "first")
        #expect(fixture.fake.calls("GetSecretValue") == 3)
    }

    @Test func staleIsServedOnlyWhenUnreachableAndWithinTheStaleWindow() async throws {
        let fixture = ReadCacheFixture(ttl: 60, stale: 30)
        fixture.fake.put("devops/db", "first")
        _ = try await fixture.run()

        // Within the TTL an unreachable endpoint does not matter.
        fixture.fake.setMode(.unreachable)
        #expect(try await fixture.run().cached == true)

        fixture.clock.advance(by: 70)
        let stale = try await fixture.run()
        #expect(stale.status == .succeeded)
        #expect(stale.secretText == "first")
        #expect(stale.cached == true)
        #expect(stale.stale == true)
        #expect(stale.jsonLine.contains(#""cached":true,"stale":true"#), "\(stale.jsonLine)")

        // HTTP 5xx counts as unreachable too.
        fixture.fake.setMode(.serverError)
        #expect(try await fixture.run().stale == true)

        // An answer AWS gives is never covered up, and the entry goes.
        fixture.fake.setMode(.refused("AccessDeniedException"))
        let denied = try await fixture.run()
        #expect(denied.status == .failed)
        #expect(denied.error?.code == TaskFailure.Code(rawValue: "AccessDeniedException"))
        fixture.fake.setMode(.unreachable)
        let gone = try await fixture.run()
        #expect(gone.status == .failed)
        #expect(gone.error?.code == .endpointUnreachable)
        #expect(fixture.cache.statistics.staleServed == 2)
    }

    /// A read whose GetSecretValue finds Secrets Manager unreachable after another read stored a
    /// fresh value meanwhile answers with that value as the plain hit it is: not `stale`, not
    /// counted or logged as served stale.
    @Test(.timeLimit(.minutes(1))) func aValueStoredMeanwhileIsServedAsAHitNotStale() async throws {
        let fixture = ReadCacheFixture(ttl: 60, stale: 30)
        fixture.fake.put("devops/db", "first")
        fixture.fake.http.script(.any, .hold(.transport(.couldNotConnect)))
        let recorder = LogRecorder()
        let failing = Task { try await fixture.run(logger: recorder.logger()) }
        #expect(await eventually { fixture.fake.http.holding == 1 })
        let other = try await fixture.run()
        #expect(other.secretText == "first" && other.cached != true, "the other read asked AWS")
        fixture.fake.http.releaseHeld()
        let answer = try await failing.value
        #expect(answer.status == .succeeded)
        #expect(answer.secretText == "first")
        #expect(answer.cached == true)
        #expect(answer.stale != true, "\(answer.jsonLine)")
        #expect(!answer.jsonLine.contains(#""stale""#), "\(answer.jsonLine)")
        #expect(fixture.cache.statistics.staleServed == 0)
        #expect(!recorder.allText.contains("cache-stale-served"), "\(recorder.records)")
    }

    /// Credentials that cannot be had (STS, or IMDS, unreachable) say nothing about Secrets
    /// Manager: nothing is served stale, nothing is sent to Secrets Manager, and the entry stays
    /// for the credentials' return (DescribeSecret then confirms it).
    @Test(arguments: ["no connection", "HTTP 503"])
    func unreachableCredentialsServeNothingStaleAndKeepTheEntry(outage: String) async throws {
        let fixture = ReadCacheFixture(ttl: 60, stale: 3600)
        fixture.fake.put("devops/db", "first")
        fixture.answerAssumeRole(expiringIn: 900)
        let first = try await fixture.run("assumed")
        #expect(first.status == .succeeded && first.secretText == "first", "\(first.jsonLine)")

        fixture.fake.http.removeScripts()
        fixture.fake.http.always(
            ReadCacheFixture.sts,
            outage == "HTTP 503" ? .awsError("ServiceUnavailable", status: 503) : .transport(.couldNotConnect))
        fixture.clock.advance(by: 1000)  // past the TTL and the session; within the stale window
        let calls = fixture.fake.totalCalls
        let (misses, revalidations) = (fixture.cache.statistics.misses, fixture.cache.statistics.revalidations)
        let failed = try await fixture.run("assumed")
        #expect(failed.status == .failed, "\(failed.jsonLine)")
        #expect(failed.stale != true && failed.secretText == nil)
        #expect(fixture.cache.statistics.misses == misses, "no GetSecretValue was sent, so no miss")
        #expect(fixture.cache.statistics.revalidations == revalidations, "no DescribeSecret was sent either")
        #expect(fixture.fake.http.requests.dropFirst(calls).allSatisfy { ReadCacheFixture.sts.matches($0.request) })
        #expect(fixture.cache.statistics.staleServed == 0)

        fixture.fake.http.removeScripts()
        fixture.clock.advance(by: 2)  // past the failure hold
        fixture.answerAssumeRole(expiringIn: 900)
        let back = try await fixture.run("assumed")
        #expect(back.status == .succeeded && back.secretText == "first", "\(back.jsonLine)")
        #expect(back.cached == true, "the entry was kept: \(back.jsonLine)")
        #expect(fixture.fake.calls("GetSecretValue") == 1)
    }

    /// A proxy refusing the tunnel to Secrets Manager (a policy cutting the host off), or a
    /// certificate refused, is no outage that passes: nothing is served stale.
    @Test(arguments: [HTTPClientError.Code.proxyRefused, .tlsFailure])
    func aRefusalOnTheWayIsNoOutageToServeStaleThrough(_ refusal: HTTPClientError.Code) async throws {
        let fixture = ReadCacheFixture(ttl: 60, stale: 3600)
        fixture.fake.put("devops/db", "first")
        #expect(try await fixture.run().secretText == "first")
        fixture.fake.http.always(.any, .transport(refusal))
        fixture.clock.advance(by: 61)
        let reads = fixture.fake.calls("GetSecretValue")
        let refused = try await fixture.run()
        // DescribeSecret's refusal ends the read: GetSecretValue would be refused the same way.
        #expect(fixture.fake.calls("GetSecretValue") == reads)
        #expect(refused.status == .failed && refused.secretText == nil, "\(refused.jsonLine)")
        #expect(refused.error?.code == .endpointUnreachable && refused.error?.retryable == false)
        #expect(refused.stale != true)
        #expect(fixture.cache.statistics.staleServed == 0)
        // The same path with an outage that passes serves it stale.
        fixture.fake.http.removeScripts()
        fixture.fake.http.always(.any, .transport(.couldNotConnect))
        #expect(try await fixture.run().stale == true)
    }

    @Test func staleIsRefusedBeyondTheStaleWindowOrWithoutOne() async throws {
        let fixture = ReadCacheFixture(ttl: 60, stale: 30)
        fixture.fake.put("devops/db", "first")
        _ = try await fixture.run()
        fixture.fake.setMode(.unreachable)
        fixture.clock.advance(by: 89)
        #expect(try await fixture.run().stale == true)
        fixture.clock.advance(by: 2)
        let late = try await fixture.run()
        #expect(late.status == .failed)
        #expect(late.error?.code == .endpointUnreachable)
        #expect(late.cached == false)

        let noWindow = ReadCacheFixture(ttl: 60, stale: 0)
        noWindow.fake.put("devops/db", "first")
        _ = try await noWindow.run()
        noWindow.fake.setMode(.unreachable)
        noWindow.clock.advance(by: 61)
        let (reads, checks) = (noWindow.fake.calls("GetSecretValue"), noWindow.fake.calls("DescribeSecret"))
        #expect(try await noWindow.run().error?.code == .endpointUnreachable)
        // DescribeSecret found Secrets Manager unreachable: GetSecretValue, on the same endpoint,
        // is not tried after the retries already spent.
        #expect(noWindow.fake.calls("DescribeSecret") > checks)
        #expect(noWindow.fake.calls("GetSecretValue") == reads)

        // refresh never answers from the cache, not even stale.
        let refresh = ReadCacheFixture(ttl: 60, stale: 30)
        refresh.fake.put("devops/db", "first")
        _ = try await refresh.run()
        refresh.fake.setMode(.unreachable)
        #expect(try await refresh.run(params: ["name": "db", "refresh": true]).error?.code == .endpointUnreachable)
    }

    /// DescribeSecret refused for want of access, or throttled, then GetSecretValue unreachable:
    /// AWS answered (access revoked, maybe), so the stale value is not served. After a refusal
    /// for want of access, not at the next read in an outage either (the entry is gone); after
    /// throttling, which says nothing of the secret, the next read in an outage serves it stale.
    @Test(arguments: [("AccessDeniedException", false), ("ThrottlingException", true)])
    func noStaleValueRightAfterDescribeSecretWasRefused(_ code: String, servedLater: Bool) async throws {
        let fixture = ReadCacheFixture(ttl: 60, stale: 3600)
        fixture.fake.put("devops/db", "first")
        #expect(try await fixture.run().secretText == "first")
        fixture.fake.refuseDescribe(code)
        fixture.fake.http.always(.target("secretsmanager.GetSecretValue"), .transport(.couldNotConnect))
        fixture.clock.advance(by: 70)
        let read = try await fixture.run()
        #expect(read.status == .failed)
        #expect(read.error?.code == .endpointUnreachable)
        #expect(read.secretText == nil)
        #expect(read.stale != true)

        fixture.fake.setMode(.unreachable)
        let next = try await fixture.run()
        #expect((next.secretText == "first") == servedLater, "\(next.status) \(next.error?.code.rawValue ?? "-")")
        #expect((next.stale == true) == servedLater)
        #expect(next.status == (servedLater ? .succeeded : .failed))
    }

    /// Once DescribeSecret has said the cached version is no longer the one asked for (another
    /// version holds the stage, or the secret is gone), the old value is never served stale: not
    /// when the GetSecretValue that follows finds Secrets Manager unreachable, nor at the next
    /// read (the entry is gone).
    @Test func noStaleValueAfterDescribeSecretSaidItChanged() async throws {
        for refusal in [nil, "ResourceNotFoundException"] {
            let fixture = ReadCacheFixture(ttl: 60, stale: 3600)
            fixture.fake.put("devops/db", "first")
            #expect(try await fixture.run().secretText == "first")
            if let refusal {
                fixture.fake.refuseDescribe(refusal)
            } else {
                fixture.fake.put("devops/db", "second")
            }
            fixture.fake.http.always(.target("secretsmanager.GetSecretValue"), .transport(.couldNotConnect))
            fixture.clock.advance(by: 70)
            let read = try await fixture.run()
            #expect(read.status == .failed, "\(refusal ?? "rotated")")
            #expect(read.error?.code == .endpointUnreachable)
            #expect(read.secretText == nil)
            fixture.fake.setMode(.unreachable)
            #expect(try await fixture.run().error?.code == .endpointUnreachable, "\(refusal ?? "rotated")")
            #expect(fixture.cache.statistics.staleServed == 0)
            #expect(fixture.cache.statistics.entries == 0)
        }
    }

    /// An answer without a `VersionId` (an endpoint that leaves it out) is cached like any other;
    /// once DescribeSecret says the secret is gone or another, no version is current and the
    /// entry is dropped, not served stale when GetSecretValue then finds AWS unreachable.
    @Test func anAnswerWithoutAVersionIDIsNotServedStaleOnceTheSecretIsGone() async throws {
        for change in ["deleted", "recreated"] {
            let fixture = ReadCacheFixture(ttl: 60, stale: 3600)
            fixture.fake.put("devops/db", "first")
            fixture.fake.http.script(
                .target("secretsmanager.GetSecretValue"),
                .json([
                    "ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:devops/db-AbCdEf", "Name": "devops/db",
                    "SecretString": "first", "CreatedDate": 1_700_000_000,
                ]))
            #expect(try await fixture.run().secretText == "first")
            #expect(fixture.cache.statistics.entries == 1)
            if change == "deleted" {
                fixture.fake.markDeleted("devops/db")
            } else {
                fixture.fake.recreate("devops/db", "second", versionId: "v-new")
            }
            fixture.fake.http.always(.target("secretsmanager.GetSecretValue"), .transport(.couldNotConnect))
            fixture.clock.advance(by: 70)
            let read = try await fixture.run()
            #expect(read.error?.code == .endpointUnreachable && read.secretText == nil, "\(change): \(read)")
            #expect(fixture.cache.statistics.staleServed == 0, "\(change)")
            #expect(fixture.cache.statistics.entries == 0, "\(change)")
        }
    }

    /// A secret scheduled for deletion counts as changed: past the TTL the entry is dropped, not
    /// renewed (its versions are still listed), and not served stale while AWS is unreachable.
    @Test func aSecretScheduledForDeletionIsNotRenewedNorServedStale() async throws {
        let fixture = ReadCacheFixture(ttl: 60, stale: 3600)
        fixture.fake.put("devops/db", "first")
        #expect(try await fixture.run().secretText == "first")
        fixture.fake.markDeleted("devops/db")
        fixture.clock.advance(by: 70)
        let read = try await fixture.run()
        #expect(fixture.fake.calls("DescribeSecret") == 1)
        #expect(read.status == .failed && read.cached != true, "\(read)")
        #expect(read.error?.code.rawValue == "InvalidRequestException", "\(read)")
        #expect(read.secretText == nil)
        #expect(fixture.cache.statistics.entries == 0)
        fixture.fake.setMode(.unreachable)
        let unreachable = try await fixture.run()
        #expect(unreachable.error?.code == .endpointUnreachable && unreachable.secretText == nil, "\(unreachable)")
        #expect(fixture.cache.statistics.staleServed == 0)
    }

    @Test func aRefusedDescribeSecretFallsBackToGetSecretValue() async throws {
        let fixture = ReadCacheFixture(ttl: 60)
        fixture.fake.put("devops/db", "first")
        _ = try await fixture.run()
        fixture.fake.refuseDescribe("AccessDeniedException")
        fixture.clock.advance(by: 61)
        let read = try await fixture.run()
        #expect(read.status == .succeeded)
        #expect(read.cached == false)
        #expect(fixture.fake.calls("GetSecretValue") == 2)
    }

    @Test func inlineAndUncachedConnectorsNeverCache() async throws {
        let fixture = ReadCacheFixture()
        fixture.fake.put("devops/db", "first")
        for connector in [ReadCacheFixture.inline, "plain"] {
            for _ in 0..<2 {
                let result = try await fixture.run(connector)
                #expect(result.secretText == "first")
                #expect(result.cached == false)
            }
        }
        #expect(fixture.fake.calls("GetSecretValue") == 4)
        #expect(fixture.cache.statistics == SecretCache.Statistics())
    }

    @Test func sealedResultsKeepCachedReadable() async throws {
        let fixture = ReadCacheFixture()
        fixture.fake.put("devops/db", "first")
        _ = try await fixture.run()
        var cached = try await fixture.run()
        cached = try cached.sealed(to: SealingKey(base64: "3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08="))
        #expect(cached.result == nil)
        #expect(cached.jsonLine.contains(#""cached":true,"sealed":"#), "\(cached.jsonLine)")
        #expect(try TaskResult.decode(jsonLine: Data(cached.jsonLine.utf8)).cached == true)
    }
}

/// `SecretCache` itself: the bound, LRU order, late stores, reloads, expiry.
@Suite struct SecretCacheTests {
    static func output(
        _ name: String, version: String = "v1", value: String = "value", binary: Data? = nil
    ) -> SecretCache.Output {
        SecretCache.Output(
            arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:\(name)-AbCdEf", name: name, versionId: version,
            versionStages: ["AWSCURRENT"], secretString: value, secretBinary: binary, createdDate: nil)
    }

    static func key(_ name: String, connector: String = "prod") -> SecretCacheKey {
        SecretCacheKey(connectorID: connector, region: "us-east-1", fullName: name, versionId: nil, versionStage: nil)
    }

    /// Who reads, for every entry of these tests.
    static let principal = ResolvedCredentials.Principal.accessKey(id: "AKIDSECRETCACHETEST")

    static func connector(_ id: String = "prod", ttl: Int = 60, stale: Int = 0) -> NamedConnector {
        NamedConnector(
            connector: Connector(
                id: id, region: "us-east-1", secretNamePrefix: "", delegateSelectors: [], credentials: .instanceRole),
            policy: ConnectorPolicy(cacheTTLSeconds: ttl, cacheStaleSeconds: stale), origin: "[connectors.\(id)]")
    }

    /// A cache with the connectors `prod` and `staging` in force.
    static func cache(_ clock: ManualClock = ManualClock()) -> SecretCache {
        let cache = SecretCache(clock: clock)
        cache.update(connectors: ["prod": connector("prod"), "staging": connector("staging")])
        return cache
    }

    func store(_ cache: SecretCache, _ name: String, connector: String = "prod", token: SecretCache.ReadToken? = nil) {
        cache.store(
            Self.output(name), for: Self.key(name, connector: connector), connector: Self.connector(connector),
            principal: SecretCacheTests.principal, token: token ?? cache.beginRead())
    }

    /// Whether `cache` holds `name` for the connector `connector`, as it is in force (`installed`;
    /// ``connector(_:ttl:stale:)`` by default): a lookup under any other is a miss, whatever is held.
    func isCached(
        _ cache: SecretCache, _ name: String, connector: String = "prod", installed: NamedConnector? = nil
    ) -> Bool {
        let key = Self.key(name, connector: connector)
        if case .miss = cache.lookup(
            key, connector: installed ?? Self.connector(connector), principal: SecretCacheTests.principal)
        {
            return false
        }
        return true
    }

    @Test func atMostAThousandEntriesTheLeastRecentlyUsedGoFirst() {
        let cache = Self.cache()
        #expect(cache.capacity == 1000)
        for index in 0..<1000 { store(cache, "s\(index)") }
        #expect(cache.statistics.entries == 1000)
        // s0 was used, so s1 is now the least recently used.
        #expect(isCached(cache, "s0"))
        store(cache, "s1000")
        #expect(cache.statistics.entries == 1000)
        #expect(!isCached(cache, "s1"))
        #expect(isCached(cache, "s0"))
        #expect(isCached(cache, "s1000"))
        store(cache, "s1001")
        #expect(!isCached(cache, "s2"))
        #expect(cache.statistics.entries == 1000)
    }

    /// The values kept are bounded in bytes too: the least recently used go first to make room,
    /// and a value larger than the whole budget is not kept (and evicts nothing).
    @Test func atMostMaximumBytesOfValuesTheLeastRecentlyUsedGoFirst() {
        #expect(SecretCache.maximumValueBytes == 16 << 20)
        let cache = SecretCache(clock: ManualClock(), maximumBytes: 100)
        cache.update(connectors: ["prod": Self.connector("prod")])
        func keep(_ name: String, _ value: String, binary: Data? = nil) {
            cache.store(
                Self.output(name, value: value, binary: binary), for: Self.key(name), connector: Self.connector("prod"),
                principal: SecretCacheTests.principal, token: cache.beginRead())
        }
        keep("a", String(repeating: "a", count: 40))
        keep("b", String(repeating: "b", count: 30), binary: Data(count: 10))
        #expect(cache.statistics.entries == 2)
        #expect(isCached(cache, "a"))  // b is now the least recently used
        keep("c", String(repeating: "c", count: 40))  // 120 bytes: b goes
        #expect(!isCached(cache, "b"))
        #expect(isCached(cache, "a"))
        #expect(isCached(cache, "c"))
        keep("huge", String(repeating: "h", count: 101))
        #expect(!isCached(cache, "huge"))
        #expect(cache.statistics.entries == 2, "a value over the budget evicted something")
        // Replacing an entry counts its new size only.
        keep("a", String(repeating: "A", count: 60))
        #expect(isCached(cache, "a"))
        #expect(isCached(cache, "c"))
        // A newer answer too large to keep does not leave the older one to be served.
        keep("c", String(repeating: "C", count: 101))
        #expect(!isCached(cache, "c"))
        #expect(isCached(cache, "a"))
    }

    @Test func aReadThatBeganBeforeAWriteCannotStoreItsAnswer() {
        let cache = Self.cache()
        let token = cache.beginRead()
        cache.invalidate(region: "us-east-1", name: "devops/db")
        store(cache, "devops/db", token: token)
        #expect(!isCached(cache, "devops/db"))
        // Another secret is not concerned; a write by ARN covers an entry read by name.
        store(cache, "devops/other", token: token)
        #expect(isCached(cache, "devops/other"))
        cache.invalidate(region: "us-east-1", name: Self.output("devops/other").arn)
        #expect(!isCached(cache, "devops/other"))
        // The same name in another region is another secret.
        store(cache, "devops/db")
        cache.invalidate(region: "eu-west-1", name: "devops/db")
        #expect(isCached(cache, "devops/db"))
    }

    /// A refused read drops the entry, and a read that began before cannot put it back.
    @Test func aForgottenKeyCannotBeStoredByAReadThatBeganBefore() {
        let cache = Self.cache()
        store(cache, "devops/db")
        let token = cache.beginRead()
        cache.forget(Self.key("devops/db"))
        #expect(!isCached(cache, "devops/db"))
        store(cache, "devops/db", token: token)
        #expect(!isCached(cache, "devops/db"))
        // Other keys are not concerned; a read begun after stores.
        store(cache, "devops/other", token: token)
        #expect(isCached(cache, "devops/other"))
        store(cache, "devops/db")
        #expect(isCached(cache, "devops/db"))

        // A refusal whose record goes when refusals pile up (a peer can provoke them at will)
        // still keeps a read begun before it from putting the key back; reads begun after the
        // pile store as before.
        let slow = cache.beginRead()
        cache.forget(Self.key("devops/db"))
        for index in 0..<(SecretCache.forgottenMemory + SecretCache.invalidationMemory + 10) {
            cache.forget(Self.key("devops/missing-\(index)"))
        }
        store(cache, "devops/db", token: slow)
        #expect(!isCached(cache, "devops/db"))
        store(cache, "devops/later")
        #expect(isCached(cache, "devops/later"))
    }

    /// The floor that stands for refusal records let go is not lowered by a write once the
    /// remembered writes are full (each write then lets the oldest go).
    @Test func aWriteAfterManyWritesDoesNotLetAForgottenKeyBeStoredAgain() {
        let cache = Self.cache()
        for index in 0..<SecretCache.invalidationMemory {
            cache.invalidate(region: "us-east-1", name: "devops/written-\(index)")
        }
        let slow = cache.beginRead()
        cache.forget(Self.key("devops/db"))
        for index in 0..<SecretCache.forgottenMemory {
            cache.forget(Self.key("devops/missing-\(index)"))
        }
        cache.invalidate(region: "us-east-1", name: "devops/unrelated")
        store(cache, "devops/db", token: slow)
        #expect(!isCached(cache, "devops/db"))
        store(cache, "devops/db")
        #expect(isCached(cache, "devops/db"))
    }

    /// Of two reads of one key, the one begun later keeps its answer: a slow read that ends after
    /// a `refresh` does not put back the older version with a TTL of its own.
    @Test func aSlowerEarlierReadDoesNotPutBackAnOlderVersion() {
        let cache = Self.cache()
        let key = Self.key("devops/db")
        let slow = cache.beginRead()
        let refresh = cache.beginRead()
        storeVersion(cache, "v2", token: refresh)
        storeVersion(cache, "v1", token: slow)
        #expect(freshVersion(cache, key) == "v2")
        storeVersion(cache, "v3", token: cache.beginRead())
        #expect(freshVersion(cache, key) == "v3")
    }

    /// Stores `devops/db` of `prod` at `version`, as the read of `token`.
    func storeVersion(_ cache: SecretCache, _ version: String, token: SecretCache.ReadToken) {
        cache.store(
            Self.output("devops/db", version: version), for: Self.key("devops/db"), connector: Self.connector(),
            principal: SecretCacheTests.principal, token: token)
    }

    /// The version `cache` answers `key` with within its TTL, if any.
    func freshVersion(_ cache: SecretCache, _ key: SecretCacheKey) -> String? {
        guard case .fresh(let held) = cache.lookup(key, connector: Self.connector(), principal: SecretCacheTests.principal)
        else { return nil }
        return held.versionId
    }

    /// The same when the later read's entry was pushed out by other keys before the slower one
    /// answered: the key holds nothing then, and the older version must still not come back (for
    /// a whole TTL after an operator's `refresh`). A read begun after the pushed-out one stores.
    @Test func aSlowerEarlierReadDoesNotPutBackAnOlderVersionAfterAPushOut() {
        let cache = SecretCache(clock: ManualClock(), capacity: 2)
        cache.update(connectors: ["prod": Self.connector("prod")])
        let key = Self.key("devops/db")
        let slow = cache.beginRead()
        let refresh = cache.beginRead()
        storeVersion(cache, "v2", token: refresh)
        store(cache, "devops/a")
        store(cache, "devops/b")  // pushes devops/db out
        #expect(freshVersion(cache, key) == nil)
        storeVersion(cache, "v1", token: slow)
        #expect(freshVersion(cache, key) == nil, "the slower, earlier read put v1 back")
        storeVersion(cache, "v3", token: cache.beginRead())
        #expect(freshVersion(cache, key) == "v3")
    }

    /// And when the later read's answer was too large to keep (it still dropped what the key
    /// held): the slower, earlier read's older version does not take its place.
    @Test func aSlowerEarlierReadDoesNotPutBackAnOlderVersionAfterAnAnswerTooLargeToKeep() {
        let cache = SecretCache(clock: ManualClock(), capacity: 10, maximumBytes: 16)
        cache.update(connectors: ["prod": Self.connector("prod")])
        let key = Self.key("devops/db")
        storeVersion(cache, "v0", token: cache.beginRead())
        let slow = cache.beginRead()
        cache.store(
            Self.output("devops/db", version: "v2", value: String(repeating: "x", count: 17)), for: key,
            connector: Self.connector(), principal: SecretCacheTests.principal, token: cache.beginRead())
        #expect(freshVersion(cache, key) == nil)
        storeVersion(cache, "v1", token: slow)
        #expect(freshVersion(cache, key) == nil, "the slower, earlier read put v1 back")
    }

    /// Past ``SecretCache/pushedOutMemory`` keys pushed out, the older half is forgotten and reads
    /// begun before the newest of those store nothing (they are simply not cached); later reads do.
    @Test func pushedOutKeysAreRememberedBoundedly() {
        let cache = SecretCache(clock: ManualClock(), capacity: 1)
        cache.update(connectors: ["prod": Self.connector("prod")])
        let early = cache.beginRead()
        for index in 0...(SecretCache.pushedOutMemory + 1) { store(cache, "devops/k\(index)") }
        store(cache, "devops/fresh-key", token: early)
        #expect(!isCached(cache, "devops/fresh-key"))
        store(cache, "devops/fresh-key")
        #expect(isCached(cache, "devops/fresh-key"))
    }

    /// A cache on a manual clock holding `devops/db` of connector `prod` (`ttl`, `stale`), stored now.
    static func oneEntry(ttl: Int, stale: Int) -> (ManualClock, SecretCache, NamedConnector, SecretCacheKey) {
        let clock = ManualClock()
        let cache = SecretCache(clock: clock)
        let connector = Self.connector("prod", ttl: ttl, stale: stale)
        cache.update(connectors: ["prod": connector])
        let key = Self.key("devops/db")
        cache.store(
            Self.output("devops/db"), for: key, connector: connector, principal: SecretCacheTests.principal,
            token: cache.beginRead())
        return (clock, cache, connector, key)
    }

    /// An entry still within its TTL (another read stored it while this one failed) is no stale
    /// value, even on a connector that serves none (`cache_stale_seconds = 0`): not counted or
    /// said as one.
    @Test func aFreshEntryIsNoStaleValue() {
        let (clock, cache, connector, key) = Self.oneEntry(ttl: 60, stale: 0)
        clock.advance(by: 30)
        #expect(cache.staleValue(key, connector: connector, principal: SecretCacheTests.principal)?.stale == false)
        #expect(cache.statistics.staleServed == 0)
        clock.advance(by: 31)
        #expect(
            cache.staleValue(key, connector: connector, principal: SecretCacheTests.principal) == nil,
            "past its TTL, and no stale window")
    }

    /// A clock stepped back past a store: the entry's age cannot be told, so it is not served
    /// stale (it could be far older than the stale window), and the purge drops it.
    @Test func aClockSteppedBackServesNothingStaleAndDropsWhatItCannotDate() {
        let (clock, cache, connector, key) = Self.oneEntry(ttl: 300, stale: 900)
        clock.advance(by: 400)
        #expect(
            cache.staleValue(key, connector: connector, principal: SecretCacheTests.principal)?.stale == true,
            "within its stale window")
        clock.advance(by: -1800)
        #expect(cache.staleValue(key, connector: connector, principal: SecretCacheTests.principal) == nil)
        if case .fresh = cache.lookup(key, connector: connector, principal: SecretCacheTests.principal) {
            Issue.record("served fresh after the clock went back")
        }
        cache.purgeExpired()
        #expect(cache.statistics.entries == 0)
    }

    /// Renewing an entry (DescribeSecret confirmed its version) follows `store`'s rules: a task
    /// admitted under a connector's old configuration, or whose read began before an
    /// invalidation, does not renew it (it would under the old TTL).
    @Test func onlyAReadUnderTheConnectorInForceRenews() {
        let clock = ManualClock()
        let cache = Self.cache(clock)
        let old = Self.connector("prod")
        let oldToken = cache.beginRead()
        let current = Self.connector("prod", ttl: 5)
        cache.update(connectors: ["prod": current])
        let key = Self.key("devops/db")
        cache.store(
            Self.output("devops/db"), for: key, connector: current, principal: SecretCacheTests.principal,
            token: cache.beginRead())
        clock.advance(by: 6)
        #expect(
            cache.renew(
                key, versionId: "v1", stages: nil, connector: old, principal: SecretCacheTests.principal,
                token: cache.beginRead()) == nil)
        #expect(
            cache.renew(
                key, versionId: "v1", stages: nil, connector: current, principal: SecretCacheTests.principal,
                token: oldToken) == nil)
        if case .fresh = cache.lookup(key, connector: current, principal: SecretCacheTests.principal) {
            Issue.record("renewed by a read that may not")
        }
        #expect(
            cache.renew(
                key, versionId: "v1", stages: nil, connector: current, principal: SecretCacheTests.principal,
                token: cache.beginRead()) != nil)
        guard case .fresh = cache.lookup(key, connector: current, principal: SecretCacheTests.principal) else {
            Issue.record("not renewed")
            return
        }
        clock.advance(by: 6)
        guard case .expired = cache.lookup(key, connector: current, principal: SecretCacheTests.principal) else {
            Issue.record("renewed for longer than the connector's TTL")
            return
        }
    }

    @Test func aReloadedConnectorForgetsItsEntriesOnly() {
        let cache = Self.cache()
        store(cache, "db", connector: "prod")
        store(cache, "db", connector: "staging")
        let token = cache.beginRead()
        let reloaded = Self.connector("prod", ttl: 30)
        cache.update(connectors: ["prod": reloaded, "staging": Self.connector("staging")])
        #expect(!isCached(cache, "db", connector: "prod", installed: reloaded))
        #expect(isCached(cache, "db", connector: "staging"))
        // A read that began before the reload stores nothing, even for the connector as it is now.
        cache.store(
            Self.output("db"), for: Self.key("db", connector: "prod"), connector: reloaded,
            principal: SecretCacheTests.principal, token: token)
        #expect(!isCached(cache, "db", connector: "prod", installed: reloaded))
        // A task admitted under the old configuration stores nothing after the reload.
        store(cache, "db", connector: "prod")
        #expect(!isCached(cache, "db", connector: "prod", installed: reloaded))
        // A connector that went away forgets its entries too; one never configured stores nothing.
        cache.update(connectors: ["prod": Self.connector("prod", ttl: 30)])
        #expect(!isCached(cache, "db", connector: "staging"))
        store(cache, "db", connector: "unknown")
        #expect(cache.statistics.entries == 0)
        // A task admitted under the old configuration is not served what the one in force stored.
        cache.store(
            Self.output("db"), for: Self.key("db", connector: "prod"), connector: reloaded,
            principal: SecretCacheTests.principal, token: cache.beginRead())
        #expect(isCached(cache, "db", connector: "prod", installed: reloaded))
        #expect(!isCached(cache, "db", connector: "prod"), "served to a task admitted under the old configuration")
    }

    @Test func entriesAreKeptOneMoreTTLOrTheStaleWindowThenPurged() {
        let clock = ManualClock()
        let cache = SecretCache(clock: clock)
        let connectors = [
            "a": Self.connector("a", ttl: 10, stale: 5), "b": Self.connector("b", ttl: 100),
            "c": Self.connector("c", ttl: 10, stale: 30),
        ]
        cache.update(connectors: connectors)
        for (id, connector) in connectors {
            cache.store(
                Self.output(id), for: Self.key(id, connector: id), connector: connector,
                principal: SecretCacheTests.principal, token: cache.beginRead())
        }
        clock.advance(by: 16)
        cache.purgeExpired()
        #expect(cache.statistics.entries == 3)
        // Past the TTL and the stale window, still kept for revalidation, never served stale.
        #expect(
            cache.staleValue(
                Self.key("a", connector: "a"), connector: connectors["a"]!, principal: SecretCacheTests.principal)
                == nil)
        #expect(
            cache.staleValue(
                Self.key("c", connector: "c"), connector: connectors["c"]!, principal: SecretCacheTests.principal)
                != nil)
        clock.advance(by: 4)
        cache.purgeExpired()
        #expect(cache.statistics.entries == 2)
        #expect(!isCached(cache, "a", connector: "a", installed: connectors["a"]))
        clock.advance(by: 20)
        cache.purgeExpired()
        #expect(cache.statistics.entries == 1)
        #expect(isCached(cache, "b", connector: "b", installed: connectors["b"]))
    }

    @Test func theStatusObjectShowsTheCounters() {
        var statistics = SecretCache.Statistics()
        statistics.hits = 3
        statistics.misses = 2
        statistics.revalidations = 1
        statistics.staleServed = 1
        statistics.entries = 4
        #expect(
            statistics.jsonValue.jsonText
                == #"{"entries":4,"hits":3,"misses":2,"revalidations":1,"staleServed":1}"#)
    }
}
