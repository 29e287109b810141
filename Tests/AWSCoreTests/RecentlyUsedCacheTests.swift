import AWSCore
import Testing

/// A bounded cache that makes room by dropping what was used least recently.
@Suite struct RecentlyUsedCacheTests {
    @Test func aFullCacheDropsTheEntryUsedLeastRecently() {
        var cache = RecentlyUsedCache<String, Int>(capacity: 3)
        cache.store(1, for: "a")
        cache.store(2, for: "b")
        cache.store(3, for: "c")
        #expect(cache.value(for: "a") == 1)  // "b" is now the least recently used
        cache.store(4, for: "d")
        #expect(cache.count == 3)
        #expect(cache.value(for: "b") == nil)
        #expect(cache.value(for: "a") == 1)
        #expect(cache.value(for: "c") == 3)
        #expect(cache.value(for: "d") == 4)
    }

    @Test func storingAnExistingKeyReplacesItsValueAndDropsNothing() {
        var cache = RecentlyUsedCache<String, Int>(capacity: 2)
        cache.store(1, for: "a")
        cache.store(2, for: "b")
        cache.store(10, for: "a")
        #expect(cache.count == 2)
        #expect(cache.value(for: "a") == 10)
        #expect(cache.value(for: "b") == 2)
        cache.store(3, for: "c")  // "a" was used before "b" last
        #expect(cache.value(for: "a") == nil)
        #expect(Set(cache.values) == [2, 3])
        cache.removeAll()
        #expect(cache.count == 0)
    }
}
