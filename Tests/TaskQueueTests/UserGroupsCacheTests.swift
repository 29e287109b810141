import Synchronization
import TestSupport
import Testing

@testable import TaskQueue

@Suite struct UserGroupsCacheTests {
    @Test func aUsersGroupsAreLookedUpOncePerTTL() {
        let clock = ManualMonotonicClock()
        let lookups = Atomic<Int>(0)
        let cache = UserGroupsCache(
            ttl: .seconds(60), now: { clock.now },
            lookup: { uid in
                lookups.add(1, ordering: .relaxed)
                return [uid, 100]
            })
        for _ in 0..<50 { #expect(cache.groups(ofUID: 1000) == [1000, 100]) }
        #expect(lookups.load(ordering: .relaxed) == 1)
        clock.advance(by: .seconds(61))
        #expect(cache.groups(ofUID: 1000) == [1000, 100])
        #expect(lookups.load(ordering: .relaxed) == 2, "a group change is seen after the TTL")
    }

    /// A database that could not answer is asked again at the next call, not taken for a user
    /// without groups for a minute.
    @Test func aFailedLookupIsNotRemembered() {
        let clock = ManualMonotonicClock()
        let lookups = Atomic<Int>(0)
        let cache = UserGroupsCache(
            ttl: .seconds(60), now: { clock.now },
            lookup: { uid in
                lookups.add(1, ordering: .relaxed).newValue == 1 ? nil : [uid]
            })
        #expect(cache.groups(ofUID: 1000) == nil)
        #expect(cache.groups(ofUID: 1000) == [1000])
        #expect(cache.groups(ofUID: 1000) == [1000])
        #expect(lookups.load(ordering: .relaxed) == 2)
    }

    @Test func theRealLookupFindsRootInGroupZero() {
        #expect(PeerPolicy.lookUpGroups(ofUID: 0)?.contains(0) == true)
        #expect(PeerPolicy.groups(ofUID: 0)?.contains(0) == true)
    }
}
