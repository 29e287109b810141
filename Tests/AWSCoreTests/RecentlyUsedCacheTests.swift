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

    @Test func aCostBoundDropsTheLeastRecentlyUsedUntilTheNewValueFits() {
        var cache = RecentlyUsedCache<String, Int>(capacity: 10, maximumCost: 100)
        #expect(store(&cache, 1, for: "a", cost: 40))
        #expect(store(&cache, 2, for: "b", cost: 30))
        #expect(store(&cache, 3, for: "c", cost: 20))
        #expect(cache.totalCost == 90)
        #expect(cache.value(for: "a") == 1)  // "b", then "c", are now the least recently used
        #expect(store(&cache, 4, for: "d", cost: 50))  // needs 40 more: "b" and "c" go
        #expect(cache.peekValue(for: "b") == nil)
        #expect(cache.peekValue(for: "c") == nil)
        #expect(cache.totalCost == 90)
        #expect(Set(cache.values) == [1, 4])
    }

    @Test func aValueCostingMoreThanTheBoundIsRefusedAndDropsOnlyItsKey() {
        var cache = RecentlyUsedCache<String, Int>(capacity: 10, maximumCost: 100)
        cache.store(1, for: "a", cost: 60)
        cache.store(2, for: "b", cost: 30)
        #expect(!store(&cache, 3, for: "huge", cost: 101))
        #expect(cache.count == 2)
        // A key given a value too large no longer holds its older one.
        #expect(!store(&cache, 4, for: "a", cost: 101))
        #expect(cache.peekValue(for: "a") == nil)
        #expect(cache.totalCost == 30)
    }

    @Test func theTotalCostFollowsReplacementsRemovalsAndFilters() {
        var cache = RecentlyUsedCache<String, Int>(capacity: 10, maximumCost: 1000)
        cache.store(1, for: "a", cost: 10)
        cache.store(2, for: "b", cost: 20)
        cache.store(3, for: "c", cost: 30)
        cache.store(10, for: "a", cost: 15)  // replaced: its new cost only
        #expect(cache.totalCost == 65)
        cache.removeValue(for: "b")
        #expect(cache.totalCost == 45)
        cache.keepOnly { key, _ in key != "c" }
        #expect(cache.totalCost == 15)
        #expect(cache.values == [10])
        cache.removeAll()
        #expect(cache.totalCost == 0)
    }

    @Test func peekingIsNotAUse() {
        var cache = RecentlyUsedCache<String, Int>(capacity: 2)
        cache.store(1, for: "a")
        cache.store(2, for: "b")
        #expect(cache.peekValue(for: "a") == 1)  // "a" stays the least recently used
        cache.store(3, for: "c")
        #expect(cache.peekValue(for: "a") == nil)
        #expect(cache.peekValue(for: "b") == 2)
    }

    /// `cache.store`, for use inside `#expect` (which cannot call a mutating method).
    private func store(_ cache: inout RecentlyUsedCache<String, Int>, _ value: Int, for key: String, cost: Int) -> Bool {
        cache.store(value, for: key, cost: cost)
    }
}
